"""Copies of one example listed under several products, found before the split.

In the real Amazon 2018 review files one review (same reviewer, same text) is listed under several
ASINs of one product family: 416 of 445 (reviewer, text) pairs in one file. Split by product, the
copies land on both sides and decontamination then empties the evaluation splits. So before the
split, products that share a copy are linked into one family (the split's group), and of each set
of copies one is kept; the others become rejects that name it.
"""

from __future__ import annotations

import polars as pl

VARIANT_REASON = "duplicate:variant_copy"


def product_families(keys: pl.DataFrame, copy_key: str) -> pl.DataFrame:
    """Per group key, `family`: the smallest group key reachable through shared copies.

    Connected components by repeated min-propagation over the (group, copy) pairs; product families
    are small, so this takes a few rounds.
    """
    edges = keys.drop_nulls(copy_key).select("group_key", copy_key).unique()
    labels = keys.select("group_key").unique().with_columns(family=pl.col("group_key"))
    while True:
        per_copy = edges.join(labels, on="group_key").group_by(copy_key).agg(pl.col("family").min())
        moved = edges.join(per_copy, on=copy_key).group_by("group_key").agg(moved=pl.col("family").min())
        updated = (
            labels.join(moved, on="group_key", how="left")
            .with_columns(family=pl.min_horizontal("family", "moved"))
            .drop("moved")
        )
        if updated.sort("group_key").equals(labels.sort("group_key")):
            return labels
        labels = updated


def variant_plan(keys: pl.DataFrame, copy_key: str) -> pl.DataFrame:
    """Per candidate: its `family` (the split group) and `kept_id`, null for the copy that is kept,
    else the candidate kept in its place (the smallest candidate id of its copies)."""
    families = product_families(keys, copy_key)
    kept = keys.drop_nulls(copy_key).group_by(copy_key).agg(kept=pl.col("candidate_id").min())
    return (
        keys.join(families, on="group_key", how="left")
        .join(kept, on=copy_key, how="left")
        .select(
            "candidate_id",
            "family",
            kept_id=pl.when(pl.col("kept").is_null() | (pl.col("kept") == pl.col("candidate_id")))
            .then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.col("kept")),
        )
    )
