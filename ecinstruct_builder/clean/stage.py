"""The clean stage of one task: text cleaning and cheap filters on every candidate, then the
expensive steps (language id, exact + near-duplicate removal, decontamination) only on the rows the
split quotas reach, in the order the splitter offers them.

Every dropped row becomes a reject with its stage and reason (and for duplicates the kept row).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from ..report import CleanReport, Drop, FunnelStep
from ..tasks.base import TaskBuilder
from .dedup import DedupConfig, DuplicateIndex, Match
from .filters import Filter, FiltersConfig, Language, build_filters, raw_column
from .privacy import scrub_columns
from .text import CleanConfig, clean_columns
from .variants import VARIANT_REASON

if TYPE_CHECKING:
    from ..config import TaskConfig

REJECT_SCHEMA: dict[str, pl.DataType] = {
    "task": pl.String,
    "candidate_id": pl.String,
    "stage": pl.String,  # filter / dedup / decontaminate / split / cross_task
    "reason": pl.String,
    "split": pl.String,
    "cluster_id": pl.String,  # duplicates: the cluster (named after its kept row)
    "kept_id": pl.String,  # duplicates: the candidate id of the row that was kept
    "similarity": pl.Float64,
    "content_key": pl.String,
    "source_ids": pl.List(pl.String),
}


def task_filters(
    builder: TaskBuilder, config: FiltersConfig, seed: int, where: str = "filters"
) -> list[Filter]:
    """A task's filter chain: its config applied to the task's own fields and language scope."""
    return build_filters(
        config,
        builder.text_columns(),
        builder.required_columns(),
        set(builder.schema()),
        seed,
        builder.language_fields,
        where,
    )


def reject_frame(
    rows: pl.DataFrame, task: str, stage: str, reasons: pl.Series | str, **extra: Any
) -> pl.DataFrame:
    """Reject records (REJECT_SCHEMA) for `rows` of a task, with one reason or one per row."""
    reason = (
        reasons if isinstance(reasons, pl.Series) else pl.Series([reasons] * rows.height, dtype=pl.String)
    )
    frame = rows.select(
        task=pl.lit(task, dtype=pl.String),
        candidate_id="candidate_id",
        stage=pl.lit(stage, dtype=pl.String),
        reason=reason.alias("reason"),
        split=pl.col("split") if "split" in rows.columns else pl.lit(None, dtype=pl.String),
        content_key="content_key",
        source_ids="source_ids",
    )
    defaults = {"cluster_id": None, "kept_id": None, "similarity": None}
    frame = frame.with_columns(
        pl.Series(name, extra.get(name, [value] * rows.height), dtype=REJECT_SCHEMA[name])
        for name, value in defaults.items()
    )
    return frame.select(list(REJECT_SCHEMA)).cast(REJECT_SCHEMA)


@dataclass(frozen=True)
class SelectionMark:
    """A cleaner's state before a selection run (`TaskCleaner.mark`)."""

    rejects: int
    dropped: Counter[tuple[str, str]]
    touched: Counter[str]
    seen: int


@dataclass
class TaskCleaner:
    """Holds one task's filters, duplicate index, rejects and counts while its rows are selected."""

    builder: TaskBuilder
    cheap: list[Filter]
    expensive: list[Filter]
    clean_config: CleanConfig
    dedup: DedupConfig
    index: DuplicateIndex | None = None
    #: copies of one example under several products (`variants.variant_plan`), collapsed first
    variants: pl.DataFrame | None = None
    seen: list[tuple[str, str]] = field(default_factory=list)  # index position -> (candidate id, split)
    rejects: list[pl.DataFrame] = field(default_factory=list)
    funnel: Counter[str] = field(default_factory=Counter)  # cheap step -> rows left, over every batch
    dropped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (stage, reason) -> rows
    touched: Counter[str] = field(default_factory=Counter)  # expensive step -> rows it examined
    scrub: bool = True  # replace personal data in text fields ([privacy].scrub_text)
    scrubbed: Counter[str] = field(default_factory=Counter)  # personal data kind -> values replaced
    raw_fields: tuple[str, ...] = ()  # fields whose text before cleaning a filter judges

    @property
    def raw_columns(self) -> list[str]:
        """The columns `prepare` adds for `raw_fields`; `finish` removes them."""
        return [raw_column(name) for name in self.raw_fields]

    @classmethod
    def for_task(
        cls, builder: TaskBuilder, config: TaskConfig, seed: int, variants: pl.DataFrame | None = None
    ) -> TaskCleaner:
        filters = task_filters(builder, config.filters, seed)
        dedup = config.dedup
        return cls(
            builder=builder,
            cheap=[f for f in filters if not f.expensive],
            expensive=[f for f in filters if f.expensive],
            clean_config=config.clean,
            dedup=dedup,
            index=DuplicateIndex(dedup) if dedup.exact or dedup.near else None,
            variants=variants,
            scrub=config.privacy.scrub_text,
            raw_fields=tuple(
                dict.fromkeys(c for f in filters if isinstance(f, Language) and f.raw for c in f.fields)
            ),
        )

    def reject(self, rows: pl.DataFrame, stage: str, reasons: pl.Series | str, **extra: Any) -> None:
        if rows.is_empty():
            return
        frame = reject_frame(rows, self.builder.name, stage, reasons, **extra)
        self.rejects.append(frame)
        for value, count in frame.group_by("reason").len().iter_rows():
            self.dropped[(stage, value)] += count

    def prepare(self, candidates: pl.DataFrame) -> pl.DataFrame:
        """Clean the text of every candidate and run the cheap filters (vectorised, whole frame)."""
        # the dedup key is cleaned like the text it stands for: copies that differ only in markup
        # or entities render identically, so they must be exact duplicates
        columns = (*self.builder.text_columns(), "content_key")
        self.funnel["candidates"] += candidates.height
        rows = self._collapse_variants(candidates)
        rows = rows.with_columns(pl.col(name).alias(raw_column(name)) for name in self.raw_fields)
        rows = clean_columns(rows, columns, self.clean_config)
        if self.scrub:
            rows, found = scrub_columns(rows, self.builder.text_columns())
            self.scrubbed.update(found)
        for step in self.cheap:
            reasons = step.reasons(rows)
            drop = reasons.is_not_null()
            self.reject(rows.filter(drop), "filter", reasons.filter(drop))
            rows = rows.filter(~drop)
            self.funnel[f"filter:{step.name}"] += rows.height
        return rows

    def _collapse_variants(self, candidates: pl.DataFrame) -> pl.DataFrame:
        """Keep one copy of each example shared by several products, split with its whole family."""
        if self.variants is None:
            return candidates
        rows = candidates.join(self.variants, on="candidate_id", how="left", maintain_order="left")
        copies = rows.filter(pl.col("kept_id").is_not_null())
        kept_ids = copies["kept_id"].to_list()
        self.reject(
            copies,
            "dedup",
            VARIANT_REASON,
            kept_id=kept_ids,
            cluster_id=[f"{self.builder.abbr}-cluster-{k}" for k in kept_ids],
            similarity=[1.0] * copies.height,
        )
        rows = rows.filter(pl.col("kept_id").is_null()).with_columns(group_key=pl.col("family"))
        self.funnel["variant_copies"] += rows.height
        return rows.drop("family", "kept_id")

    def accept(self, chunk: pl.DataFrame, need: int) -> tuple[pl.DataFrame, int]:
        """The expensive steps on a chunk of rows in selection order, stopping once `need` rows are kept.

        Returns the kept rows and how many rows of the chunk were used up; rows after that point
        leave no trace (no reject, nothing in the duplicate index) and may be offered again.
        """
        reasons = pl.Series([None] * chunk.height, dtype=pl.String)
        for step in self.expensive:
            self.touched[step.name] += chunk.height
            reasons = reasons.fill_null(step.reasons(chunk))
        passing = chunk.with_row_index("_at").filter(reasons.is_null())
        if self.index is not None and not passing.is_empty():
            self.touched["dedup"] += passing.height
            partitions = passing[self.builder.dedup_partition] if self.builder.dedup_partition else None
            matches = self.index.add_chunk(passing["content_key"], partitions, limit=need)
        else:
            matches = [None] * min(need, passing.height)
        processed = passing.head(len(matches))
        used = chunk.height if len(matches) == passing.height else int(passing["_at"][len(matches)])
        dropped = reasons.head(used).is_not_null()
        self.reject(chunk.head(used).filter(dropped), "filter", reasons.head(used).filter(dropped))
        duplicates = [i for i, m in enumerate(matches) if m is not None]
        self.seen += zip(processed["candidate_id"].to_list(), processed["split"].to_list(), strict=True)
        if duplicates:
            self._reject_duplicates(processed.drop("_at"), duplicates, [matches[i] for i in duplicates])
        kept = processed.filter(pl.Series([m is None for m in matches], dtype=pl.Boolean)).drop("_at")
        return kept, used

    def _reject_duplicates(self, chunk: pl.DataFrame, positions: list[int], matches: list[Match]) -> None:
        """Duplicates of a kept train row in an evaluation split are contamination; the rest dedup."""
        rows = chunk[positions]
        kept = [self.seen[m.kept_position] for m in matches]
        contaminated = [
            k_split == "train" and split != "train"
            for (_, k_split), split in zip(kept, rows["split"].to_list(), strict=True)
        ]
        for stage, wanted in (("dedup", False), ("decontaminate", True)):
            pick = [j for j, c in enumerate(contaminated) if c is wanted]
            if not pick:
                continue
            prefix = "contaminated" if wanted else "duplicate"
            self.reject(
                rows[pick],
                stage,
                pl.Series([f"{prefix}:{matches[j].kind}" for j in pick], dtype=pl.String),
                cluster_id=[f"{self.builder.abbr}-cluster-{kept[j][0]}" for j in pick],
                kept_id=[kept[j][0] for j in pick],
                similarity=[matches[j].similarity for j in pick],
            )

    def finish(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Selected rows without the columns this cleaner added for its own steps."""
        return rows.drop(self.raw_columns)

    def mark(self) -> SelectionMark:
        """Where selection starts: `rewind` undoes everything selection did after this point."""
        return SelectionMark(len(self.rejects), Counter(self.dropped), Counter(self.touched), len(self.seen))

    def rewind(self, mark: SelectionMark) -> None:
        """Forget a selection run (its rejects, counts and duplicate index) to run it again on more
        candidates; what `prepare` recorded before the mark stays."""
        del self.rejects[mark.rejects :]
        del self.seen[mark.seen :]
        self.dropped = Counter(mark.dropped)
        self.touched = Counter(mark.touched)
        self.index = DuplicateIndex(self.dedup) if self.index is not None else None

    def rejects_frame(self) -> pl.DataFrame:
        return pl.concat(self.rejects) if self.rejects else pl.DataFrame(schema=REJECT_SCHEMA)

    def report(self) -> CleanReport:
        return CleanReport(
            funnel=[FunnelStep(step, rows) for step, rows in self.funnel.items()],  # in step order
            dropped=[Drop(s, r, n) for (s, r), n in sorted(self.dropped.items())],
            touched=dict(sorted(self.touched.items())),
            scrubbed=dict(sorted(self.scrubbed.items())),
        )
