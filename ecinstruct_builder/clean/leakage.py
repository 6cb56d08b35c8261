"""Leakage across tasks: the same product, or the same text, in the train split of one task and an
evaluation split of another (e.g. a review in SA train and in another task's test, or one ESCI
query-product pair in MPC train and PSI test). Report only, or remove the evaluation rows.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..records import EVAL_SPLITS
from .dedup import shingle_hashes


def _keys(task: str, selected: pl.DataFrame) -> pl.DataFrame:
    # the exact-duplicate digest: blind to case, punctuation and spacing, as dedup's exact match
    content = pl.Series(shingle_hashes(selected["content_key"], "word", 1)[2], dtype=pl.UInt64)
    return selected.select("candidate_id", "split", "product_id").with_columns(
        task=pl.lit(task), content=content
    )


def find_leaks(selections: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Evaluation rows whose product or content is in another task's train rows.

    Columns: task, candidate_id, kind ("product" / "content"), train_task.
    """
    keys = pl.concat([_keys(task, rows) for task, rows in selections.items()]) if selections else None
    if keys is None or keys.is_empty():
        return pl.DataFrame(
            schema={"task": pl.String, "candidate_id": pl.String, "kind": pl.String, "train_task": pl.String}
        )
    train = keys.filter(pl.col("split") == "train")
    evaluation = keys.filter(pl.col("split").is_in(EVAL_SPLITS))
    found = []
    for kind, column in (("product", "product_id"), ("content", "content")):
        pairs = (
            evaluation.drop_nulls(column)
            .join(train.select(column, train_task="task").unique(), on=column)
            .filter(pl.col("task") != pl.col("train_task"))
        )
        found.append(pairs.select("task", "candidate_id", kind=pl.lit(kind), train_task="train_task"))
    return pl.concat(found).unique().sort("task", "candidate_id", "kind", "train_task")


def leak_summary(leaks: pl.DataFrame) -> list[dict[str, Any]]:
    counts = leaks.group_by("train_task", "task", "kind").agg(rows=pl.col("candidate_id").n_unique())
    return counts.sort("train_task", "task", "kind").to_dicts()
