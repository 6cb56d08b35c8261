"""Deterministic IND / OOD splits, grouped so a product never straddles train and test.

Every choice comes from a hash of (seed, key), never from a global shuffle: adding source rows does
not move the rows that were already placed. Steps, each a small function over Polars frames:

1. `assign_buckets`: a number in [0, 1) per group key (product, or user for SR).
2. `assign_sides`: IND or OOD per row from the task's OOD axis (recipe categories, held-out
   attribute values for AVE, or none).
3. `assign_splits`: the source's official split where it has one (an official test without a
   validation split is halved), else 80/10/10 by bucket; OOD rows go to `test_ood`.
4. `select_quotas`: the recipe caps, filled in bucket order with equal shares per IND category, and
   validation/test rows whose group already sits in train dropped (official splits need this).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from .hashing import fraction_expr
from .recipe import SPLITS, TaskRecipe
from .tasks.base import TaskBuilder

DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
# The bucket salt is shared by all tasks: a product falls on the same side of train/test in every
# task that splits by hash, which keeps leakage across tasks low.
BUCKET_SALT = "shared"
EVAL_SPLITS = ("validation", "test")


def hashed_fraction(column: str, seed: int, salt: str) -> pl.Expr:
    """A stable number in [0, 1) per value of `column`, from (seed, salt, value)."""
    return fraction_expr(pl.lit(str(seed)), pl.lit(salt), column)


def bucket_expr(seed: int, salt: str = BUCKET_SALT) -> pl.Expr:
    """The split bucket of each row's group key: the order in which quotas take rows."""
    return hashed_fraction("group_key", seed, f"{salt}:split")


def assign_buckets(candidates: pl.DataFrame, seed: int, salt: str) -> pl.DataFrame:
    """Add `bucket` (hash of the group key) and `halve` (a second, independent hash for halving)."""
    keys = (
        candidates.select("group_key")
        .unique()
        .with_columns(
            bucket=bucket_expr(seed, salt),
            halve=hashed_fraction("group_key", seed, f"{salt}:halve"),
        )
    )
    return candidates.join(keys, on="group_key", how="left", maintain_order="left")


def held_out_domains(candidates: pl.DataFrame, quota: int, seed: int, salt: str) -> list[str]:
    """AVE-style OOD: whole domain values (attributes) in hash order until their test rows reach quota."""
    test_rows = _eval_side_rows(candidates)
    if quota <= 0 or test_rows.is_empty():
        return []
    counts = (
        test_rows.group_by("domain")
        .len()
        .with_columns(order=hashed_fraction("domain", seed, f"{salt}:holdout"))
        .sort("order", "domain")
        .with_columns(total=pl.col("len").cum_sum())
    )
    # keep every domain up to and including the one that crosses the quota
    needed = counts.filter(pl.col("total").shift(1, fill_value=0) < quota)
    return needed["domain"].to_list()


def _eval_side_rows(candidates: pl.DataFrame) -> pl.DataFrame:
    """Rows that can become test rows: the official test split, or the hash test share."""
    if candidates["official_split"].is_not_null().any():
        return candidates.filter(pl.col("official_split") == "test")
    return candidates.filter(pl.col("bucket") >= sum(DEFAULT_FRACTIONS[:2]))


def assign_sides(candidates: pl.DataFrame, builder: TaskBuilder, task: TaskRecipe, seed: int) -> pl.DataFrame:
    """Add `side` ("IND" / "OOD"), dropping rows whose domain the recipe does not use."""
    if builder.ood_axis == "holdout":
        held = held_out_domains(candidates, task.sizes.get("test_ood", 0), seed, builder.abbr)
        held_mask = pl.col("domain").is_in(held)
        # held-out attributes leave train/validation/test entirely; only their test rows are OOD
        eval_ids = _eval_side_rows(candidates).filter(held_mask)["candidate_id"]
        return candidates.filter(~held_mask | pl.col("candidate_id").is_in(eval_ids.implode())).with_columns(
            side=pl.when(held_mask).then(pl.lit("OOD")).otherwise(pl.lit("IND"))
        )
    if builder.ood_axis == "none":
        return candidates.with_columns(side=pl.lit("IND"))
    ind, ood = list(task.ind_categories), list(task.ood_categories)
    in_ind = pl.col("domain").is_in(ind) if ind else ~pl.col("domain").is_in(ood)
    side = pl.when(pl.col("domain").is_in(ood)).then(pl.lit("OOD")).when(in_ind).then(pl.lit("IND"))
    return candidates.with_columns(side=side).filter(pl.col("side").is_not_null())


def assign_splits(
    candidates: pl.DataFrame, fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
) -> pl.DataFrame:
    """Add `split`: official where present (halving a lone official test), else by bucket."""
    official = pl.col("official_split")
    has_official = candidates["official_split"].is_not_null().any()
    has_validation = (candidates["official_split"] == "validation").any()
    if has_official:
        split = official
        if not has_validation:
            split = (
                pl.when(official == "test")
                .then(pl.when(pl.col("halve") < 0.5).then(pl.lit("validation")).otherwise(pl.lit("test")))
                .otherwise(official)
            )
        ind_split = split
        ood_split = pl.when(official == "test").then(pl.lit("test_ood"))  # OOD tests come from official test
    else:
        train_end, validation_end = fractions[0], fractions[0] + fractions[1]
        ind_split = (
            pl.when(pl.col("bucket") < train_end)
            .then(pl.lit("train"))
            .when(pl.col("bucket") < validation_end)
            .then(pl.lit("validation"))
            .otherwise(pl.lit("test"))
        )
        ood_split = pl.lit("test_ood")
    split = pl.when(pl.col("side") == "OOD").then(ood_split).otherwise(ind_split)
    return candidates.with_columns(split=split).filter(pl.col("split").is_not_null())


@dataclass
class Quota:
    split: str
    cap: int
    available: int
    selected: int
    per_category: dict[str, int] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.selected >= self.cap

    def as_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "cap": self.cap,
            "available": self.available,
            "selected": self.selected,
            "met": self.met,
            "per_category": self.per_category,
        }


# An accept function gets rows in selection order and how many it should keep at most; it returns
# the rows that survive the expensive steps (language id, dedup) and how many rows it used up. The
# splitter offers just enough rows to fill each quota.
Accept = Callable[[pl.DataFrame, int], tuple[pl.DataFrame, int]]
MARGIN = 1.1  # rows offered per row still needed: a small safety margin for rows the steps drop
MIN_CHUNK = 16


def _accept_all(rows: pl.DataFrame, need: int) -> tuple[pl.DataFrame, int]:
    return rows.head(need), min(need, rows.height)


def _fill(stream: pl.DataFrame, start: int, need: int, accept: Accept) -> tuple[list[pl.DataFrame], int, int]:
    """Offer rows of `stream` from `start` in chunks until `need` rows are accepted or it runs out.

    Returns the accepted chunks, how many were accepted and where the stream now stands.
    """
    taken: list[pl.DataFrame] = []
    got = 0
    while got < need and start < stream.height:
        size = max(MIN_CHUNK, int((need - got) * MARGIN) + 1)
        kept, used = accept(stream.slice(start, size), need - got)
        start += used
        taken.append(kept)
        got += kept.height
    return taken, got, start


def take_rows(pool: pl.DataFrame, cap: int, equal_shares: bool, accept: Accept = _accept_all) -> pl.DataFrame:
    """Take `cap` accepted rows in bucket order; with several domains, equal shares first, then fill up.

    Rows beyond what the quota needs are never offered to `accept`, so expensive steps run on about
    the rows used (plus the margin), and the result equals running them on every row first.
    """
    ordered = pool.sort("bucket", "candidate_id")
    domains = sorted(d for d in ordered["domain"].unique().to_list() if d is not None)
    if not equal_shares or len(domains) < 2:
        chunks, _, _ = _fill(ordered, 0, cap, accept)
        return pl.concat(chunks) if chunks else ordered.head(0)
    share, extra = divmod(cap, len(domains))
    streams = {d: ordered.filter(pl.col("domain") == d) for d in domains}
    positions = dict.fromkeys(domains, 0)
    chunks: list[pl.DataFrame] = []
    total = 0
    for i, domain in enumerate(domains):
        taken, got, positions[domain] = _fill(streams[domain], 0, share + (i < extra), accept)
        chunks += taken
        total += got
    # fill up from what the domains have left, still in bucket order
    rest = pl.concat([streams[d].slice(positions[d]) for d in domains]).sort("bucket", "candidate_id")
    taken, _, _ = _fill(rest, 0, cap - total, accept)
    chunks += taken
    return pl.concat(chunks).sort("bucket", "candidate_id") if chunks else ordered.head(0)


def select_quotas(
    candidates: pl.DataFrame,
    builder: TaskBuilder,
    task: TaskRecipe,
    accept: Accept = _accept_all,
    on_leak: Callable[[pl.DataFrame], None] | None = None,
) -> tuple[pl.DataFrame, list[Quota]]:
    """Apply the caps, split by split (train first, so evaluation rows are checked against it).

    Validation/test rows whose group already sits in the selected train rows are dropped
    (official splits need this; hash splits never trigger it) and handed to `on_leak`.
    """
    selected: list[pl.DataFrame] = []
    quotas: list[Quota] = []
    train_groups = pl.Series("group_key", [], dtype=pl.String)
    for split in SPLITS:
        pool = candidates.filter(pl.col("split") == split)
        cap = task.sizes.get(split)
        if cap is None:
            cap = pool.height if split != "test_ood" or builder.ood_axis != "none" else 0
        if split in EVAL_SPLITS and builder.split_protocol == "grouped":
            leaked = pool.filter(pl.col("group_key").is_in(train_groups.implode()))
            if on_leak is not None:
                on_leak(leaked)
            pool = pool.filter(~pl.col("group_key").is_in(train_groups.implode()))
        # equal shares per category only where the recipe pools several IND categories (as the paper)
        equal_shares = split != "test_ood" and len(task.ind_categories) > 1
        taken = take_rows(pool, cap, equal_shares=equal_shares, accept=accept)
        if split == "train":
            train_groups = taken["group_key"].unique()
        per_category = dict(sorted(taken.group_by("domain").len().fill_null("(none)").iter_rows()))
        if cap or pool.height:
            quotas.append(
                Quota(
                    split, cap, pool.height, taken.height, {str(k): int(v) for k, v in per_category.items()}
                )
            )
        selected.append(taken)
    return pl.concat(selected), quotas


def split_candidates(
    candidates: pl.DataFrame,
    builder: TaskBuilder,
    task: TaskRecipe,
    seed: int,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    accept: Accept = _accept_all,
    on_leak: Callable[[pl.DataFrame], None] | None = None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The whole split stage for one task: returns rows with `split` (and `bucket`) plus a report."""
    leaked: list[int] = []

    def count_leak(rows: pl.DataFrame) -> None:
        leaked.append(rows.height)
        if on_leak is not None:
            on_leak(rows)

    with_buckets = assign_buckets(candidates, seed, BUCKET_SALT)
    sided = assign_sides(with_buckets, builder, task, seed)
    split = assign_splits(sided, fractions)
    selected, quotas = select_quotas(split, builder, task, accept, count_leak)
    report = {
        "candidates": candidates.height,
        "quotas": [q.as_dict() for q in quotas],
        "unmet": [q.split for q in quotas if not q.met],
        "dropped_group_overlap": sum(leaked),
    }
    return selected, report
