"""Selection on in-memory candidates with every filter and dedup off: the split logic alone."""

import polars as pl

from ecinstruct_builder.clean.stage import TaskCleaner
from ecinstruct_builder.config import SplitConfig, task_config
from ecinstruct_builder.report import SplitReport
from ecinstruct_builder.select import select_rows
from ecinstruct_builder.tasks.base import TaskBuilder

PLAIN = {
    "dedup": {"exact": False, "near": False},
    "filters": {"required": False, "garbled": False, "html": False, "options": False},
}


def plain_selection(
    frame: pl.DataFrame, builder: TaskBuilder, seed: int = 1, split: SplitConfig | None = None, **table
) -> tuple[pl.DataFrame, SplitReport, TaskCleaner]:
    """Rows, report and cleaner (its rejects) of selecting `frame` with the `[tasks.X]` keys `table`."""
    table = {k: list(v) if isinstance(v, tuple) else v for k, v in table.items()}
    config = task_config(builder, {**PLAIN, **table}, seed)
    cleaner = TaskCleaner.for_task(builder, config, seed)
    out, report = select_rows(frame, builder, config, seed, split or SplitConfig(), cleaner)
    return out, report, cleaner
