"""What the two product QA tasks (AP, AG) share: AmazonQA questions with their review snippets.

Both show a question and the review snippets AmazonQA retrieved for it; the file's split is the
official split and the category is the IND/OOD key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from .base import GroupedCandidates, TaskBuilder, grouped_rows, stable_id_expr

if TYPE_CHECKING:
    from ..config import TaskConfig

SOURCE = "amazonqa"
TABLE = "amazonqa"


def qa_rows(tables: dict[str, pl.LazyFrame], config: TaskConfig) -> pl.LazyFrame:
    """Questions that have text, snippets and an answerability flag, from the recipe's categories.

    When the recipe names no category at all, every category is kept (the splitter decides).
    """
    rows = tables[TABLE].filter(
        pl.col("question_text").is_not_null()
        & pl.col("review_snippets").is_not_null()
        & pl.col("is_answerable").is_not_null()
    )
    categories = [*config.ind_categories, *config.ood_categories]
    # Filtering here keeps the later, costlier stages (language id, dedup) off unused categories.
    return rows.filter(pl.col("category").is_in(categories)) if categories else rows


def qa_candidates(builder: TaskBuilder, rows: pl.LazyFrame, label: pl.Expr) -> pl.LazyFrame:
    """One candidate per AmazonQA row: the question and its snippets, keyed by product."""
    document = pl.col("review_snippets")
    return (
        rows.sort("split", "line")
        .select(
            candidate_id=stable_id_expr(builder.abbr, "split", "line", "qid"),
            source=pl.lit(SOURCE),
            source_ids=pl.concat_list(
                pl.concat_str([pl.col("split"), pl.col("line")], separator=":"),
                pl.format("qid:{}", pl.col("qid")),
            ).list.drop_nulls(),
            product_id=pl.col("asin"),
            category=pl.col("category"),
            domain=pl.col("category"),
            group_key=pl.col("asin"),
            # AmazonQA repeats questions across products: the snippets make an example distinct.
            content_key=pl.concat_str([pl.col("question_text"), document.list.join("\n")], separator="\n"),
            official_split=pl.col("split"),
            label=label,
            options=pl.lit(pl.Series([[]], dtype=pl.List(pl.String))),
            question=pl.col("question_text"),
            document=document,
        )
        .cast(builder.schema())
    )


def qa_groups(builder: TaskBuilder, rows: pl.LazyFrame, label: pl.Expr) -> GroupedCandidates:
    """`qa_candidates` product by product (a product is a group)."""
    return grouped_rows(
        rows,
        "asin",
        pl.col("category"),
        pl.col("split"),
        lambda chosen: qa_candidates(builder, chosen, label),
    )
