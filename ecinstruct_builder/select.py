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
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from .candidate_store import ROW, CandidateStore
from .clean.stage import TaskCleaner
from .clean.variants import variant_plan
from .records import IND_EVAL_SPLITS, SPLITS
from .report import HoldOutReport, Quota, SplitReport, StageTiming
from .split import assign_buckets, assign_sides, assign_splits, by_row
from .tasks.base import TaskBuilder

if TYPE_CHECKING:
    from .config import SplitConfig, TaskConfig

# Candidates per batch streamed from a builder: big enough for Polars, small enough for flat memory.
CANDIDATE_BATCH_ROWS = 100_000
MARGIN = 1.1  # rows offered per row still needed: a small safety margin for rows the steps drop
MIN_CHUNK = 16


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

    def take(self, pool: pl.DataFrame, cap: int, equal_shares: bool) -> pl.DataFrame:
        """`cap` kept rows in selection order; with `equal_shares` and several domains, an equal share
        of each domain first, then fill up from what they have left."""
        ordered = pool.sort("order", "candidate_id")
        domains = sorted(d for d in ordered["domain"].unique().to_list() if d is not None)
        if not equal_shares or len(domains) < 2:
            chunks, _, _ = self._fill(ordered, 0, cap)
            return pl.concat(chunks) if chunks else ordered.head(0)
        share, extra = divmod(cap, len(domains))
        streams = {d: ordered.filter(pl.col("domain") == d) for d in domains}
        positions = dict.fromkeys(domains, 0)
        chunks: list[pl.DataFrame] = []
        total = 0
        for i, domain in enumerate(domains):
            taken, got, positions[domain] = self._fill(streams[domain], 0, share + (i < extra))
            chunks += taken
            total += got
        # fill up from what the domains have left, still in bucket order
        rest = pl.concat([streams[d].slice(positions[d]) for d in domains]).sort("order", "candidate_id")
        taken, _, _ = self._fill(rest, 0, cap - total)
        chunks += taken
        return pl.concat(chunks).sort("order", "candidate_id") if chunks else ordered.head(0)

    def select(self, keys: pl.DataFrame) -> tuple[pl.DataFrame, SplitReport]:
        """Place the candidates and fill every split's quota, train first, so evaluation rows can be
        checked against it: a validation/test row whose group already sits in the selected train rows
        is dropped (official splits need this; hash splits never trigger it)."""
        sided, held_rows, holdout = assign_sides(keys, self.builder, self.config, self.seed, self.split)
        self.cleaner.reject(self._full(held_rows), "split", "held_out_domain")
        placed = assign_splits(sided, self.split.fractions, exact=self.split.mode == "random")
        selected: list[pl.DataFrame] = []
        quotas: list[Quota] = []
        overlap = 0
        train_groups = pl.Series("group_key", [], dtype=pl.String)
        for split in SPLITS:
            pool = placed.filter(pl.col("split") == split)
            cap = self.config.sizes.cap(split)
            if cap is None:
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
            taken = self.take(pool, cap, equal_shares)
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

    Memory holds the key columns of every candidate but full rows only for the rows the quotas
    reach; the full rows wait in a temporary store under `scratch`.
    """
    started = time.perf_counter()
    candidates = builder.build({t: tables[t] for t in builder.tables}, config, seed)
    variants = None
    copy_key = builder.copy_column(config)
    if copy_key is not None:  # a key-only pass: which products share copies of one example
        keys = candidates.select("candidate_id", "group_key", copy_key).collect()
        variants = variant_plan(keys, copy_key)
    cleaner = TaskCleaner.for_task(builder, config, seed, variants)
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".candidates-{builder.abbr}-", dir=scratch) as folder:
        store = CandidateStore(Path(folder), seed, builder.abbr, by_row(split, builder))
        batches = candidates.collect_batches(chunk_size=CANDIDATE_BATCH_ROWS)
        keys = [store.add(cleaner.prepare(batch)) for batch in batches]
        if not keys:  # no candidates: still one (empty) pass, for the funnel and the schema
            keys = [store.add(cleaner.prepare(pl.DataFrame(schema=builder.schema())))]
        built = time.perf_counter()
        kept = pl.concat(keys)
        selector = Selector(builder, config, seed, split, cleaner, store)
        selected, report = selector.select(kept)
    timings = {
        "build_clean": StageTiming(round(built - started, 3), None, store.rows),
        "select": StageTiming(round(time.perf_counter() - built, 3), kept.height, selected.height),
    }
    return TaskSelection(
        builder, cleaner.finish(selected.drop(ROW)), cleaner.rejects_frame(), report, cleaner, timings
    )
