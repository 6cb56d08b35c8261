"""The Hub layout: which rendered rows go to which config and split, and the Parquet file of each.

- `ecinstruct` (the default): ECInstruct proper (the IND and OOD Diverse-instruction rows of every
  task) in real splits `train`, `validation`, `test` and `test_ood`, so `load_dataset(repo)["train"]`
  holds no evaluation row;
- `ninglab_table`: NingLab/ECInstruct's single table (every setting, one `train` split, filtered on
  the `task`, `setting` and `split` columns), for eCeLLM's own scripts;
- one config per task (its ECInstruct name) with splits `train`, `validation`, `test` (IND) and
  `test_ood` from its Diverse-instruction rows;
- the evaluation settings across tasks: `single_instruction` (train, validation, test, test_ood),
  `unseen_instruction` and `one_shot` (test, test_ood);
- with training formats asked for, one config per format (`alpaca`, `chat`, `prompt_completion`):
  the default config's rows in that trainer's columns (publish/formats.py).

Files are `data/<config>/<split>-NNNNN-of-NNNNN.parquet` (as many shards of at most MAX_SHARD_BYTES
as a split needs), the names `datasets` push_to_hub uses.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from ..render import ROW_SCHEMA
from .features import TABLE_SCHEMA, TYPED_SCHEMA, table_columns, typed_columns, write_rows
from .formats import FORMATS, config_name
from .workdir import Build

# Config split -> (setting side, ECInstruct `split` value of the rows).
SPLIT_SOURCES = {
    "train": ("IND", "train"),
    "validation": ("IND", "validation"),
    "test": ("IND", "test"),
    "test_ood": ("OOD", "test"),
}
DEFAULT_CONFIG = "ecinstruct"
TABLE_CONFIG = "ninglab_table"
# Evaluation configs: name -> (setting without its IND_/OOD_ prefix, splits offered).
EVALUATION_CONFIGS = {
    "single_instruction": ("Single_Instruction", ("train", "validation", "test", "test_ood")),
    "unseen_instruction": ("Unseen_Instruction", ("test", "test_ood")),
    "one_shot": ("Diverse_Instruction_1-shot", ("test", "test_ood")),
}
DIVERSE = "Diverse_Instruction"
# Fixed row groups keep the bytes independent of how many threads the writer had.
ROW_GROUP_ROWS = 10_000
MAX_SHARD_BYTES = 500 * 1024**2  # as push_to_hub's default max_shard_size


@dataclass(frozen=True)
class SplitSpec:
    """One split of one config: the rows of some settings (and one ECInstruct split) of some tasks."""

    config: str
    split: str
    tasks: tuple[str, ...]  # task names, in ECInstruct order
    settings: tuple[str, ...]
    row_split: str | None  # None: every split of those settings
    rows: int
    fmt: str | None = None  # a training format (FORMATS key): the rows in its columns

    def shard_path(self, index: int, total: int) -> str:
        return f"data/{self.config}/{self.split}-{index:05d}-of-{total:05d}.parquet"

    @property
    def pattern(self) -> str:
        """The `data_files` glob in the card, as push_to_hub writes it (it also matches future shards)."""
        return f"data/{self.config}/{self.split}-*"


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    splits: tuple[SplitSpec, ...]

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.splits)


def row_counts(build: Build) -> pl.DataFrame:
    """Rows per task, setting and ECInstruct split of the whole build (columns task, setting, split, rows)."""
    scans = [pl.scan_parquet(t.path).select("task", "setting", "split") for t in build.tasks]
    return (
        pl.concat(scans)
        .group_by("task", "setting", "split")
        .agg(rows=pl.len().cast(pl.Int64))
        .sort("task", "setting", "split")
        .collect()
    )


def _split_spec(
    counts: pl.DataFrame,
    config: str,
    split: str,
    tasks: tuple[str, ...],
    settings: tuple[str, ...],
    row_split: str | None,
) -> SplitSpec:
    selected = counts.filter(pl.col("task").is_in(tasks), pl.col("setting").is_in(settings))
    if row_split is not None:
        selected = selected.filter(pl.col("split") == row_split)
    return SplitSpec(
        config=config,
        split=split,
        tasks=tasks,
        settings=settings,
        row_split=row_split,
        rows=int(selected["rows"].sum()),
    )


def _side_split(
    counts: pl.DataFrame, config: str, split: str, tasks: tuple[str, ...], setting: str
) -> SplitSpec:
    side, row_split = SPLIT_SOURCES[split]
    return _split_spec(counts, config, split, tasks, (f"{side}_{setting}",), row_split)


def side_rows(counts: pl.DataFrame, task: str, setting: str, split: str) -> int:
    """Rows of `task` in config split `split` of a setting family (e.g. Diverse_Instruction, test_ood)."""
    return _side_split(counts, task, split, (task,), setting).rows


def _config(name: str, splits: list[SplitSpec]) -> ConfigSpec | None:
    # A split without rows is left out (PM has no OOD test); a config without any split too.
    kept = tuple(s for s in splits if s.rows)
    return ConfigSpec(name, kept) if kept else None


def _format_config(proper: ConfigSpec, fmt: str) -> ConfigSpec:
    name = config_name(fmt)
    return ConfigSpec(name, tuple(replace(s, config=name, fmt=fmt) for s in proper.splits))


def plan_layout(
    build: Build, counts: pl.DataFrame | None = None, formats: Sequence[str] = ()
) -> list[ConfigSpec]:
    """Every config and split the build fills, in card order: the default, the table, the tasks, the
    evaluation settings, the training formats of `formats`."""
    counts = row_counts(build) if counts is None else counts
    names = tuple(t.name for t in build.tasks)
    every_setting = tuple(counts["setting"].unique().sort().to_list())
    configs = [
        _config(
            DEFAULT_CONFIG, [_side_split(counts, DEFAULT_CONFIG, s, names, DIVERSE) for s in SPLIT_SOURCES]
        ),
        _config(TABLE_CONFIG, [_split_spec(counts, TABLE_CONFIG, "train", names, every_setting, None)]),
    ]
    configs += [_config(n, [_side_split(counts, n, s, (n,), DIVERSE) for s in SPLIT_SOURCES]) for n in names]
    configs += [
        _config(config, [_side_split(counts, config, s, names, setting) for s in splits])
        for config, (setting, splits) in EVALUATION_CONFIGS.items()
    ]
    kept = [c for c in configs if c is not None]
    proper = next((c for c in kept if c.name == DEFAULT_CONFIG), None)
    return kept + [_format_config(proper, f) for f in formats if proper is not None]


def training_splits(build: Build, counts: pl.DataFrame) -> list[SplitSpec]:
    """ECInstruct proper per split (train, validation, test, test_ood), all tasks: the training files."""
    return next(c for c in plan_layout(build, counts) if c.name == DEFAULT_CONFIG).splits


def scan_split(build: Build, spec: SplitSpec) -> pl.LazyFrame:
    """The rows of one split, tasks in ECInstruct order and each task's rows in file order."""
    paths = {t.name: t.path for t in build.tasks}
    condition = pl.col("setting").is_in(spec.settings)
    if spec.row_split is not None:
        condition &= pl.col("split") == spec.row_split
    scans = [pl.scan_parquet(paths[name]).filter(condition).select(list(ROW_SCHEMA)) for name in spec.tasks]
    return pl.concat(scans, how="vertical")


def write_split(
    build: Build, spec: SplitSpec, out: Path, max_shard_bytes: int = MAX_SHARD_BYTES
) -> list[Path]:
    """Write one split's Parquet shards under `out` (streaming, with its `datasets` features).

    Every config has typed columns (publish/features.py) except NingLab's table, whose own columns
    stay text cells so eCeLLM's scripts build the same prompts from it, and the training formats, in
    their own columns. Shards get their final names only once their number is known.
    """
    rows = scan_split(build, spec)
    folder = out / "data" / spec.config
    folder.mkdir(parents=True, exist_ok=True)

    def pending(index: int) -> Path:
        return folder / f".{spec.split}-{index:05d}.tmp"

    if spec.fmt is not None:
        layout = FORMATS[spec.fmt]
        total = write_rows(
            rows.select(layout.columns()), pending, ROW_GROUP_ROWS, layout.schema, max_shard_bytes
        )
    elif spec.config == TABLE_CONFIG:
        total = write_rows(
            rows.with_columns(table_columns()), pending, ROW_GROUP_ROWS, TABLE_SCHEMA, max_shard_bytes
        )
    else:
        total = write_rows(
            rows.with_columns(typed_columns()), pending, ROW_GROUP_ROWS, TYPED_SCHEMA, max_shard_bytes
        )
    shards = [out / spec.shard_path(i, total) for i in range(total)]
    for index, target in enumerate(shards):
        os.replace(pending(index), target)
    return shards
