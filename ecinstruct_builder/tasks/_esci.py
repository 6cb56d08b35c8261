"""What the three query-product matching tasks (MPC, PSI, QPR) share: the ESCI rows they start from.

ESCI has no product category, so these tasks have no OOD side; ESCI's own train/test split is kept
as the official split (the splitter halves the test part into validation and test).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from ..schema import option
from .base import GroupedCandidates, TaskBuilder, grouped_rows, stable_id_expr

SOURCE = "esci"
TABLE = "esci"
LABELS = ("E", "S", "C", "I")  # ESCI's judgements, from most to least relevant


@dataclass(frozen=True)
class EsciParams:
    """The parameters of a task built from ESCI."""

    locale: Literal["us", "es", "jp"] = option("us", "the ESCI locale the examples come from")


def esci_rows(tables: dict[str, pl.LazyFrame], locale: str) -> pl.LazyFrame:
    """ESCI rows of one locale that have a query, a title and a known judgement."""
    return tables[TABLE].filter(
        (pl.col("product_locale") == locale)
        & pl.col("query").is_not_null()
        & pl.col("product_title").is_not_null()
        # A row without a known E/S/C/I judgement has no gold output for any of the three tasks.
        & pl.col("esci_label").is_in(LABELS)
    )


def official_split() -> pl.Expr:
    """ESCI's own split ("train" / "test"); anything else is left to the splitter."""
    return pl.when(pl.col("split").is_in(["train", "test"])).then(pl.col("split"))


def query_product_candidates(
    builder: TaskBuilder, rows: pl.LazyFrame, label: pl.Expr, options: list[str]
) -> pl.LazyFrame:
    """One candidate per (query, product) judgement, for the tasks that show a query and one title."""
    return (
        rows.sort("example_id")
        .select(
            candidate_id=stable_id_expr(builder.abbr, "example_id"),
            source=pl.lit(SOURCE),
            source_ids=pl.concat_list(pl.col("example_id").cast(pl.String)),
            product_id=pl.col("product_id"),
            category=pl.lit(None, dtype=pl.String),
            domain=pl.lit(None, dtype=pl.String),
            group_key=pl.col("product_id"),
            content_key=pl.concat_str([pl.col("query"), pl.col("product_title")], separator="\n"),
            official_split=official_split(),
            label=label,
            options=pl.lit(pl.Series([options], dtype=pl.List(pl.String))),
            query=pl.col("query"),
            product_title=pl.col("product_title"),
        )
        .cast(builder.schema())
    )


def query_product_groups(
    builder: TaskBuilder, rows: pl.LazyFrame, label: pl.Expr, options: list[str]
) -> GroupedCandidates:
    """`query_product_candidates` product by product (a product is a group)."""
    return grouped_rows(
        rows,
        "product_id",
        pl.lit(None, dtype=pl.String),
        official_split(),
        lambda chosen: query_product_candidates(builder, chosen, label, options),
    )
