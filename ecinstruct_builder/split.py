"""Deterministic IND / OOD placement, grouped so a product never straddles train and test.

Every choice comes from a hash of (seed, key), never from a global shuffle: adding source rows does
not move the rows that were already placed. Steps, each a small pure function over Polars frames:

1. `assign_buckets`: a number in [0, 1) per group key (product, or user for SR) and a second one
   for halving an official test split. In `[split] mode = "random"` the key is the row's source
   ids instead, so each row is placed on its own, as the ECInstruct notebooks' shuffles did.
2. `assign_sides`: IND or OOD per row from the task's OOD axis (recipe categories, held-out
   attribute values for AVE, or none).
3. `assign_splits`: the source's official split where it has one (an official test without a
   validation split is halved), else the recipe's fractions by bucket; OOD rows go to `test_ood`.
   In random mode the rows are cut at exact counts in bucket order (a seeded shuffle), per
   category, as `train_test_split` cut them.

Filling the quotas from the placed rows is `select.py`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from .hashing import SEPARATOR, fraction_expr
from .tasks.base import TaskBuilder

if TYPE_CHECKING:
    from .config import SplitConfig, TaskConfig

# The bucket salt is shared by all tasks: a product falls on the same side of train/test in every
# task that splits by hash, which keeps leakage across tasks low.
BUCKET_SALT = "shared"


def hashed_fraction(column: str | pl.Expr, seed: int, salt: str) -> pl.Expr:
    """A stable number in [0, 1) per value of `column`, from (seed, salt, value)."""
    return fraction_expr(pl.lit(str(seed)), pl.lit(salt), column)


def by_row(split: SplitConfig, builder: TaskBuilder) -> bool:
    """Whether rows are placed one by one (random mode). SR stays by user: its notebook shuffled
    users, and leave-one-out puts each user's rows in train, validation and test together."""
    return split.mode == "random" and builder.split_protocol != "leave_one_out"


def assign_buckets(candidates: pl.DataFrame, seed: int, task: str, row_level: bool = False) -> pl.DataFrame:
    """Add `bucket` (hash of the group key: which split a hash-split row goes to), `halve` (a second,
    independent hash for halving an official test split) and `order` (the order quotas take groups in;
    a group's rows follow each other by candidate id).

    The bucket is shared by every task, so a product sits on the same side in each; the order is
    salted with the task, so two tasks drawing from one pool (MPC and PSI from ESCI) draw
    independently, as the ECInstruct notebooks' separate random samples did.

    With `row_level` the key is the row's source ids (not its candidate id, which holds the task):
    the rows of one source row fall on the same side in every task, as the ESCI notebook halved
    ESCI's test split once for MPC, PSI and QPR.
    """
    if row_level:
        key = pl.col("source_ids").list.join(SEPARATOR)
        return candidates.with_columns(
            bucket=hashed_fraction(key, seed, f"{BUCKET_SALT}:split"),
            halve=hashed_fraction(key, seed, f"{BUCKET_SALT}:halve"),
            order=hashed_fraction(key, seed, f"{task}:order"),
        )
    keys = (
        candidates.select("group_key")
        .unique()
        .with_columns(
            bucket=hashed_fraction("group_key", seed, f"{BUCKET_SALT}:split"),
            halve=hashed_fraction("group_key", seed, f"{BUCKET_SALT}:halve"),
            order=hashed_fraction("group_key", seed, f"{task}:order"),
        )
    )
    return candidates.join(keys, on="group_key", how="left", maintain_order="left")


@dataclass(frozen=True)
class HoldOut:
    """What an out-of-domain hold-out of whole domain values (AVE's attributes) took."""

    domains: tuple[str, ...]  # the held-out values, in hash order
    eval_rows: int  # their rows on the evaluation side (the OOD test pool)
    eval_domains: int  # domain values on the evaluation side
    limit: int  # the most values the cap allows
    stopped_by: str  # "quota" (enough rows), "cap" (the limit), "pool" (ran out) or "none"


def eval_side_rows(candidates: pl.DataFrame, fractions: tuple[float, float, float]) -> pl.DataFrame:
    """Rows that can become test rows: the official test split, or the hash test share."""
    if candidates["official_split"].is_not_null().any():
        return candidates.filter(pl.col("official_split") == "test")
    return candidates.filter(pl.col("bucket") >= fractions[0] + fractions[1])


def held_out_domains(
    candidates: pl.DataFrame, quota: int, seed: int, salt: str, split: SplitConfig
) -> HoldOut:
    """Whole domain values in hash order until their test rows reach the quota, taking at most
    `holdout_cap` of the evaluation side's values, so the in-domain splits keep the rest."""
    test_rows = eval_side_rows(candidates, split.fractions)
    counts = (
        test_rows.group_by("domain")
        .len()
        .with_columns(order=hashed_fraction("domain", seed, f"{salt}:holdout"))
        .sort("order", "domain")
        .with_columns(total=pl.col("len").cum_sum())
    )
    limit = int(counts.height * split.holdout_cap)
    if quota <= 0 or counts.is_empty():
        return HoldOut((), 0, counts.height, limit, "none")
    # every domain up to and including the one that crosses the quota, within the cap
    needed = counts.filter(pl.col("total").shift(1, fill_value=0) < quota)
    taken = needed.head(limit)
    reached = taken.height > 0 and taken["total"][-1] >= quota
    stopped_by = "quota" if reached else ("cap" if needed.height > limit else "pool")
    return HoldOut(
        tuple(taken["domain"].to_list()), int(taken["len"].sum()), counts.height, limit, stopped_by
    )


def assign_sides(
    candidates: pl.DataFrame,
    builder: TaskBuilder,
    task: TaskConfig,
    seed: int,
    split: SplitConfig,
    held: HoldOut | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, HoldOut | None]:
    """Add `side` ("IND" / "OOD"). Returns the sided rows, the rows a hold-out removes from the
    in-domain splits (for the rejects) and the hold-out; rows of domains the recipe does not use
    are dropped (they are outside the build, not rejected).

    `held`: the hold-out when it was settled beforehand (on candidates built for it), else it is
    taken from `candidates`."""
    none = candidates.head(0)
    if builder.ood_axis == "holdout":
        if held is None:
            held = held_out_domains(candidates, task.sizes.test_ood or 0, seed, builder.abbr, split)
        held_mask = pl.col("domain").is_in(list(held.domains))
        # held-out values leave train/validation/test entirely; only their test rows are OOD
        eval_ids = eval_side_rows(candidates, split.fractions).filter(held_mask)["candidate_id"]
        keep = ~held_mask | pl.col("candidate_id").is_in(eval_ids.implode())
        sided = candidates.filter(keep).with_columns(
            side=pl.when(held_mask).then(pl.lit("OOD")).otherwise(pl.lit("IND"))
        )
        return sided, candidates.filter(~keep), held
    if builder.ood_axis == "none":
        return candidates.with_columns(side=pl.lit("IND")), none, None
    ind, ood = list(task.ind_categories), list(task.ood_categories)
    in_ind = pl.col("domain").is_in(ind) if ind else ~pl.col("domain").is_in(ood)
    side = pl.when(pl.col("domain").is_in(ood)).then(pl.lit("OOD")).when(in_ind).then(pl.lit("IND"))
    return candidates.with_columns(side=side).filter(pl.col("side").is_not_null()), none, None


def exact_cut(rank: pl.Expr, count: pl.Expr, fractions: tuple[float, float, float]) -> pl.Expr:
    """train / validation / test by a row's 0-based rank among `count` rows, at the counts of two
    `train_test_split` calls: ceil(n x (validation + test)) rows leave train, and of those
    ceil(m x test / (validation + test)) are test."""
    evaluation = fractions[1] + fractions[2]
    rest = (count * evaluation).ceil()
    test = (rest * (fractions[2] / evaluation if evaluation else 0.0)).ceil()
    return (
        pl.when(rank < count - rest)
        .then(pl.lit("train"))
        .when(rank < count - test)
        .then(pl.lit("validation"))
        .otherwise(pl.lit("test"))
    )


def _rank(column: str, within: str | None = None) -> pl.Expr:
    """0-based position in `column` order (ties by candidate id), per value of `within`."""
    rank = pl.struct(column, "candidate_id").rank("ordinal") - 1
    return rank.over(within) if within else rank


def assign_splits(
    candidates: pl.DataFrame, fractions: tuple[float, float, float], exact: bool = False
) -> pl.DataFrame:
    """Add `split`: official where present (halving a lone official test), else by bucket.

    With `exact` (random mode) the bucket orders the rows instead of bounding them: each category
    is cut at exact counts, and a lone official test is halved at exact counts (validation gets the
    smaller half)."""
    official = pl.col("official_split")
    has_official = candidates["official_split"].is_not_null().any()
    has_validation = (candidates["official_split"] == "validation").any()
    if has_official:
        split = official
        if not has_validation:
            if exact:
                tests = candidates.filter((official == "test") & (pl.col("side") == "IND"))
                first_half = tests.with_columns(at=_rank("halve")).filter(pl.col("at") < tests.height // 2)[
                    "candidate_id"
                ]
                to_validation = pl.col("candidate_id").is_in(first_half.implode())
            else:
                to_validation = pl.col("halve") < 0.5
            split = (
                pl.when(official == "test")
                .then(pl.when(to_validation).then(pl.lit("validation")).otherwise(pl.lit("test")))
                .otherwise(official)
            )
        ind_split = split
        ood_split = pl.when(official == "test").then(pl.lit("test_ood"))  # OOD tests come from official test
    elif exact:
        ind_split = exact_cut(_rank("bucket", "domain"), pl.len().over("domain"), fractions)
        ood_split = pl.lit("test_ood")
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
