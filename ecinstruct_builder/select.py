"""Selection: one task's candidates from its builder to the rows each split's quota takes.

This module owns the quota loop. Candidates stream from the builder in batches; each batch is
cleaned and cheap-filtered (`clean.stage.TaskCleaner.prepare`) and parked in a `CandidateStore`,
which gives each row its split bucket and its (task-salted) selection order once. The rows are then
placed (`split.py`: side and split), and each split's quota is filled in that order: rows are
offered in chunks a little larger than
what is still needed, their full rows are read back from the store, and the expensive steps
(language id, exact and near-duplicate removal, decontamination) run on them until the quota is
full. Rows past that point leave no trace, so the result equals running every step on every row.
Every row that leaves on the way (filters, duplicates, group overlap, a hold-out) is a reject.

A builder that makes its candidates group by group (`TaskBuilder.grouped`) has only the groups up to
a frontier in selection order built, the frontier moving on while a quota reaches past it
(`_select_grouped`): the cost of building follows the quotas, not the source.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from .candidate_store import ROW, CandidateStore
from .clean.stage import TaskCleaner
from .clean.variants import variant_plan
from .records import IND_EVAL_SPLITS, SPLITS
from .report import HoldOutReport, Quota, SplitReport, StageTiming
from .split import (
    HoldOut,
    assign_buckets,
    assign_sides,
    assign_splits,
    by_row,
    eval_side_rows,
    held_out_domains,
)
from .tasks.base import GroupedCandidates, TaskBuilder

if TYPE_CHECKING:
    from .config import SplitConfig, TaskConfig

# Candidates per batch streamed from a builder: big enough for Polars, small enough for flat memory.
CANDIDATE_BATCH_ROWS = 100_000
MARGIN = 1.1  # rows offered per row still needed: a small safety margin for rows the steps drop
MIN_CHUNK = 16
# key rows built per quota row to start with: the cheap filters and dedup drop few candidates
FRONTIER_MARGIN = 1.25


class NotBuiltYet(Exception):
    """A quota reached past the candidates built so far: build more groups and select again."""


def _require(enough: bool) -> None:
    if not enough:
        raise NotBuiltYet


@dataclass
class TaskSelection:
    """One task after build, clean and split: the rows to render and what happened on the way."""

    builder: TaskBuilder
    selected: pl.DataFrame
    rejects: pl.DataFrame
    split: SplitReport
    cleaner: TaskCleaner
    timings: dict[str, StageTiming] = field(default_factory=dict)


@dataclass
class Selector:
    """Fills one task's quotas from placed candidate keys, running the cleaner's expensive steps.

    `store` holds the full rows behind the keys; without one the keys are the full rows.
    """

    builder: TaskBuilder
    config: TaskConfig
    seed: int
    split: SplitConfig
    cleaner: TaskCleaner
    store: CandidateStore | None = None
    holdout: HoldOut | None = None  # settled before selection (`settle_holdout`), else from the rows

    def _full(self, rows: pl.DataFrame) -> pl.DataFrame:
        return self.store.attach(rows) if self.store is not None else rows

    def _offer(self, chunk: pl.DataFrame, need: int) -> tuple[pl.DataFrame, int]:
        return self.cleaner.accept(self._full(chunk), need)

    def _fill(self, stream: pl.DataFrame, start: int, need: int) -> tuple[list[pl.DataFrame], int, int]:
        """Offer rows of `stream` from `start` until `need` rows are kept or it runs out.

        Returns the kept chunks, how many were kept and where the stream now stands.
        """
        taken: list[pl.DataFrame] = []
        got = 0
        while got < need and start < stream.height:
            size = max(MIN_CHUNK, int((need - got) * MARGIN) + 1)
            kept, used = self._offer(stream.slice(start, size), need - got)
            start += used
            taken.append(kept)
            got += kept.height
        return taken, got, start

    def take(
        self, pool: pl.DataFrame, cap: int, equal_shares: bool, unbuilt: frozenset[str | None] = frozenset()
    ) -> pl.DataFrame:
        """`cap` kept rows in selection order; with `equal_shares` and several domains, an equal share
        of each domain first, then fill up from what they have left.

        `unbuilt`: the domains of this split that have candidates not built yet (past the groups
        built so far, all later in selection order); a fill that runs short on one raises NotBuiltYet.
        """
        ordered = pool.sort("order", "candidate_id")
        domains = sorted(d for d in ordered["domain"].unique().to_list() if d is not None)
        if not equal_shares or len(domains) < 2:
            _require(not (equal_shares and unbuilt - {None} - set(domains)))
            chunks, got, _ = self._fill(ordered, 0, cap)
            _require(got >= cap or not unbuilt)
            return pl.concat(chunks) if chunks else ordered.head(0)
        _require(not unbuilt - {None} - set(domains))  # the shares depend on every domain
        share, extra = divmod(cap, len(domains))
        streams = {d: ordered.filter(pl.col("domain") == d) for d in domains}
        positions = dict.fromkeys(domains, 0)
        chunks: list[pl.DataFrame] = []
        total = 0
        for i, domain in enumerate(domains):
            taken, got, positions[domain] = self._fill(streams[domain], 0, share + (i < extra))
            _require(got >= share + (i < extra) or domain not in unbuilt)
            chunks += taken
            total += got
        # fill up from what the domains have left, still in bucket order
        rest = pl.concat([streams[d].slice(positions[d]) for d in domains]).sort("order", "candidate_id")
        taken, got, _ = self._fill(rest, 0, cap - total)
        _require(got >= cap - total or not unbuilt - {None})
        chunks += taken
        return pl.concat(chunks).sort("order", "candidate_id") if chunks else ordered.head(0)

    def select(
        self, keys: pl.DataFrame, unbuilt: pl.DataFrame | None = None
    ) -> tuple[pl.DataFrame, SplitReport]:
        """Place the candidates and fill every split's quota, train first, so evaluation rows can be
        checked against it: a validation/test row whose group already sits in the selected train rows
        is dropped (official splits need this; hash splits never trigger it).

        `unbuilt` (`split`, `domain`): where candidates not built yet would be placed; a quota that
        would reach them raises NotBuiltYet.
        """
        sided, held_rows, holdout = assign_sides(
            keys, self.builder, self.config, self.seed, self.split, self.holdout
        )
        self.cleaner.reject(self._full(held_rows), "split", "held_out_domain")
        placed = assign_splits(sided, self.split.fractions, exact=self.split.mode == "random")
        selected: list[pl.DataFrame] = []
        quotas: list[Quota] = []
        overlap = 0
        train_groups = pl.Series("group_key", [], dtype=pl.String)
        for split in SPLITS:
            pool = placed.filter(pl.col("split") == split)
            waiting = frozenset(() if unbuilt is None else unbuilt.filter(pl.col("split") == split)["domain"])
            cap = self.config.sizes.cap(split)
            if cap is None:
                _require(not waiting)  # every row of the split: all of them must be built
                cap = pool.height if split != "test_ood" or self.builder.ood_axis != "none" else 0
            if (
                split in IND_EVAL_SPLITS
                and self.builder.split_protocol == "grouped"
                and self.split.drop_group_overlap
            ):
                in_train = pl.col("group_key").is_in(train_groups.implode())
                leaked = pool.filter(in_train)
                overlap += leaked.height
                self.cleaner.reject(self._full(leaked), "split", "group_in_train")
                pool = pool.filter(~in_train)
            # ECInstruct's mix of several IND categories: equal shares (SA, SR) or a pooled draw
            mix = self.config.category_mix or self.builder.category_mix
            equal_shares = split != "test_ood" and mix == "equal" and len(self.config.ind_categories) > 1
            taken = self.take(pool, cap, equal_shares, waiting)
            if split == "train":
                train_groups = taken["group_key"].unique()
            per_category = taken.group_by("domain").len().fill_null("(none)").sort("domain").iter_rows()
            if cap or pool.height:
                quotas.append(
                    Quota(split, cap, pool.height, taken.height, {str(k): int(v) for k, v in per_category})
                )
            selected.append(taken)
        report = SplitReport(
            candidates=keys.height,
            quotas=quotas,
            dropped_group_overlap=overlap,
            holdout=None
            if holdout is None
            else HoldOutReport(
                list(holdout.domains),
                holdout.eval_rows,
                holdout.eval_domains,
                holdout.limit,
                holdout.stopped_by,
            ),
        )
        return pl.concat(selected), report


def select_rows(
    candidates: pl.DataFrame,
    builder: TaskBuilder,
    config: TaskConfig,
    seed: int,
    split: SplitConfig,
    cleaner: TaskCleaner,
) -> tuple[pl.DataFrame, SplitReport]:
    """Selection over candidates already in memory (full rows, cleaned and cheap-filtered)."""
    selector = Selector(builder, config, seed, split, cleaner)
    selected, report = selector.select(assign_buckets(candidates, seed, builder.abbr, by_row(split, builder)))
    return cleaner.finish(selected), report


def select_task(
    builder: TaskBuilder,
    tables: dict[str, pl.LazyFrame],
    config: TaskConfig,
    seed: int,
    split: SplitConfig,
    scratch: Path,
) -> TaskSelection:
    """Build the candidates of one task, clean them and select its split rows.

    Memory holds the key columns of the candidates built but full rows only for the rows the quotas
    reach; the full rows wait in a temporary store under `scratch`. A builder that makes its
    candidates group by group (`TaskBuilder.grouped`) builds only the groups the quotas reach.
    """
    started = time.perf_counter()
    inputs = {t: tables[t] for t in builder.tables}
    copy_key = builder.copy_column(config)
    row_level = by_row(split, builder)
    # copies shared across groups re-key the groups (variant families), and rows placed one by one
    # have no group order to build in: then every candidate is built first
    grouped = None if copy_key is not None or row_level else builder.grouped(inputs, config, seed)
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".candidates-{builder.abbr}-", dir=scratch) as folder:
        store = CandidateStore(Path(folder), seed, builder.abbr, row_level)
        if grouped is None:
            candidates = builder.build(inputs, config, seed)
            variants = None
            if copy_key is not None:  # a key-only pass: which products share copies of one example
                keys = candidates.select("candidate_id", "group_key", copy_key).collect()
                variants = variant_plan(keys, copy_key)
            cleaner = TaskCleaner.for_task(builder, config, seed, variants)
            kept = _store(store, cleaner, candidates, builder)
            build_seconds = time.perf_counter() - started
            selected, report = Selector(builder, config, seed, split, cleaner, store).select(kept)
        else:
            cleaner = TaskCleaner.for_task(builder, config, seed)
            keyed = time.perf_counter() - started  # the key pass is part of building
            selected, report, kept, build_seconds = _select_grouped(
                grouped, Selector(builder, config, seed, split, cleaner, store)
            )
            build_seconds += keyed
    timings = {
        "build_clean": StageTiming(round(build_seconds, 3), None, store.rows),
        "select": StageTiming(
            round(time.perf_counter() - started - build_seconds, 3), kept.height, selected.height
        ),
    }
    return TaskSelection(
        builder, cleaner.finish(selected.drop(ROW)), cleaner.rejects_frame(), report, cleaner, timings
    )


def _store(
    store: CandidateStore, cleaner: TaskCleaner, candidates: pl.LazyFrame, builder: TaskBuilder
) -> pl.DataFrame:
    """Stream candidates through cleaning and the cheap filters into the store; their key rows."""
    batches = candidates.collect_batches(chunk_size=CANDIDATE_BATCH_ROWS)
    keys = [store.add(cleaner.prepare(batch)) for batch in batches]
    if not keys:  # no candidates: still one (empty) pass, for the funnel and the schema
        keys = [store.add(cleaner.prepare(pl.DataFrame(schema=builder.schema())))]
    return pl.concat(keys)


def _select_grouped(
    grouped: GroupedCandidates, selector: Selector
) -> tuple[pl.DataFrame, SplitReport, pl.DataFrame, float]:
    """Selection building candidates group by group in selection order, only as far as the quotas reach.

    Every group up to a frontier in selection order is built; the frontier starts where the key rows
    alone would fill each quota (with a margin for the rows the filters drop) and moves on, the
    margin doubling, while a quota reaches past it. Selection then runs again from the start on
    the rows up to the frontier (the cheap steps are not repeated): a prefix of the whole-source
    order, so its result is the one selecting from every candidate would give. A hold-out is
    settled first (`settle_holdout`), and its evaluation rows are all offered.
    Returns the selection, its report, the key rows built and the seconds spent building.
    """
    builder, seed, fractions = selector.builder, selector.seed, selector.split.fractions
    keyed = assign_buckets(grouped.keys, seed, builder.abbr)
    built = GroupBuilder(grouped, selector)
    if builder.ood_axis == "holdout":
        selector.holdout = settle_holdout(keyed, built, selector)
        held = pl.col("domain").is_in(list(selector.holdout.domains))
        # rows of held-out domains: their evaluation rows are built and offered whole, the others
        # leave the in-domain splits
        rest = keyed.filter(~held).with_columns(side=pl.lit("IND"))
    else:
        held = pl.lit(False)
        rest = assign_sides(keyed, builder, selector.config, seed, selector.split)[0]
    placed = assign_splits(rest, fractions)
    frontier = -1.0
    margin = FRONTIER_MARGIN
    while True:
        reach = quota_frontier(placed, selector.config, selector.builder, margin)
        frontier = reach if reach > frontier else 1.0  # no further the key rows can tell: every group
        built.build(placed.filter(pl.col("order") <= frontier)["group_key"])
        kept = built.rows()
        # only a prefix of the selection order is offered (rows of built groups past the frontier
        # wait for it), so what selection takes is what it takes from every candidate
        prefix = (pl.col("order") <= frontier) | pl.col(ROW).is_in(
            eval_side_rows(kept, fractions).filter(held)[ROW].implode()
        )
        unbuilt = placed.filter(pl.col("order") > frontier).select("split", "domain").unique()
        mark = selector.cleaner.mark()
        try:
            selected, report = selector.select(kept.filter(prefix), unbuilt)
            # the report counts every candidate built, offered or not (a hold-out's first groups)
            return selected, replace(report, candidates=kept.height), kept, built.seconds
        except NotBuiltYet:
            selector.cleaner.rewind(mark)
            margin *= 2


@dataclass
class GroupBuilder:
    """The groups of a task built so far, their candidates in the selector's store."""

    grouped: GroupedCandidates
    selector: Selector
    parts: list[pl.DataFrame] = field(default_factory=list)  # key rows of each build
    done: set[str] = field(default_factory=set)
    seconds: float = 0.0

    def build(self, groups: pl.Series) -> None:
        """Build the candidates of the groups not built yet."""
        started = time.perf_counter()
        groups = groups.unique()
        new = groups.filter(~groups.is_in(pl.Series(list(self.done), dtype=pl.String).implode())).sort()
        if not new.is_empty() or not self.parts:
            self.parts.append(
                _store(
                    self.selector.store,
                    self.selector.cleaner,
                    self.grouped.build(new),
                    self.selector.builder,
                )
            )
        self.done.update(new.to_list())
        self.seconds += time.perf_counter() - started

    def rows(self) -> pl.DataFrame:
        return pl.concat(self.parts)


def settle_holdout(keyed: pl.DataFrame, built: GroupBuilder, selector: Selector) -> HoldOut:
    """The hold-out of whole domains, as taking it from every candidate gives, building only what
    it reads: a domain's evaluation rows are counted only for the domains it may take (built
    whole, one at a time, in its order), and the other domains need one candidate left after the
    cheap filters to count as present (their first evaluation group, or all of them if none is
    left)."""
    builder, split = selector.builder, selector.split
    evaluation = eval_side_rows(keyed, split.fractions).sort("order", "group_key")
    whole: set[str] = set()
    while True:
        sample = evaluation.filter(~pl.col("domain").is_in(list(whole))).unique("domain", keep="first")
        built.build(
            pl.concat(
                [sample["group_key"], evaluation.filter(pl.col("domain").is_in(list(whole)))["group_key"]]
            )
        )
        present = eval_side_rows(built.rows(), split.fractions)["domain"].unique()
        missing = set(sample["domain"]) - set(present)
        if missing:  # no candidate of the first group left: only the whole domain tells
            whole |= missing
            continue
        holdout = held_out_domains(
            built.rows(), selector.config.sizes.test_ood or 0, selector.seed, builder.abbr, split
        )
        partial = [d for d in holdout.domains if d not in whole]
        if not partial:  # every domain it takes was counted whole, so it takes what it would from all
            return holdout
        whole.add(partial[0])


def quota_frontier(placed: pl.DataFrame, config: TaskConfig, builder: TaskBuilder, margin: float) -> float:
    """The selection order up to which the placed key rows fill `margin` times every quota (per
    domain where the IND splits take equal shares); 1.0 (every group) for a split without a cap.
    Only the smallest orders of each split are looked at, not a sort of every key row."""
    mix = config.category_mix or builder.category_mix
    reach = 0.0
    for split in placed["split"].unique().sort().to_list():
        cap = config.sizes.cap(split)
        if cap is None:
            return 1.0
        rows = placed.lazy().filter(pl.col("split") == split)
        domains = rows.select(pl.col("domain").drop_nulls().n_unique()).collect().item()
        streams: list[str] = []
        if split != "test_ood" and mix == "equal" and len(config.ind_categories) > 1 and domains > 1:
            streams = ["domain"]
            cap = -(-cap // domains)
        nth = pl.col("order").bottom_k(int(cap * margin) + 1).max()
        orders = rows.group_by(streams).agg(nth) if streams else rows.select(nth)
        reach = max(reach, float(orders.collect()["order"].max()))
    return reach
