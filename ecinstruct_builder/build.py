"""`ecbuild render`: candidates -> split -> rendered rows, per task, with a build report.

Writes `WORKDIR/dataset/<Task_Name>.parquet` (every setting and split of one task) and
`WORKDIR/reports/build.{json,md}`.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from tqdm import tqdm

from .candidate_store import ROW, CandidateStore
from .clean.leakage import find_leaks, leak_summary, leakage_mode
from .clean.stage import TaskCleaner
from .fetch import load_source_tables
from .io import atomic_path, write_json
from .recipe import Recipe, TaskRecipe
from .render import render_task
from .report import write_markdown_report
from .split import DEFAULT_FRACTIONS, split_candidates
from .tasks.base import TaskBuilder
from .templates import load_templates


@dataclass
class BuildResult:
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


# Candidates per batch streamed from a builder: big enough for Polars, small enough for flat memory.
CANDIDATE_BATCH_ROWS = 100_000


def dataset_dir(workdir: Path) -> Path:
    return workdir / "dataset"


def reports_dir(workdir: Path) -> Path:
    return workdir / "reports"


def _counts(rows: pl.DataFrame) -> list[dict[str, Any]]:
    grouped = rows.group_by("setting", "split").len().sort("setting", "split")
    return [{"setting": s, "split": sp, "rows": n} for s, sp, n in grouped.iter_rows()]


def rejects_dir(workdir: Path) -> Path:
    return workdir / "rejects"


@dataclass
class TaskSelection:
    """One task after build, clean and split: the rows to render and what happened on the way."""

    builder: TaskBuilder
    selected: pl.DataFrame
    cleaner: TaskCleaner
    split_report: dict[str, Any]
    timings: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> seconds and rows


def select_task(
    builder: TaskBuilder, tables: dict[str, pl.LazyFrame], recipe: Recipe, workdir: Path
) -> TaskSelection:
    """Build the candidates of one task, clean them and select its split rows.

    Candidates stream from the builder in batches: each is cleaned and cheap-filtered, then parked
    in a `CandidateStore`, so memory holds the splitter's key columns of every candidate but full
    rows only for the rows the quotas reach.
    """
    task_recipe = recipe.tasks.get(builder.abbr, TaskRecipe())
    fractions = tuple(recipe.section("split").get("fractions", DEFAULT_FRACTIONS))
    cleaner = TaskCleaner.for_task(builder, recipe)
    started = time.perf_counter()
    candidates = builder.build({t: tables[t] for t in builder.tables}, task_recipe, recipe.seed)
    with tempfile.TemporaryDirectory(prefix=f".candidates-{builder.abbr}-", dir=workdir) as folder:
        store = CandidateStore(Path(folder), recipe.seed)
        batches = candidates.collect_batches(chunk_size=CANDIDATE_BATCH_ROWS)
        keys = [store.add(cleaner.prepare(batch)) for batch in batches]
        if not keys:  # no candidates: still one (empty) pass, for the funnel and the schema
            keys = [store.add(cleaner.prepare(pl.DataFrame(schema=builder.schema())))]
        cleaner.funnel = merge_funnel(cleaner.funnel)
        built = time.perf_counter()
        kept = pl.concat(keys)
        selected, split_report = split_candidates(
            kept,
            builder,
            task_recipe,
            recipe.seed,
            fractions,
            accept=lambda chunk, need: cleaner.accept(store.attach(chunk), need),
            on_leak=lambda rows: cleaner.reject(store.attach(rows), "split", "group_in_train"),
        )
    timings = {
        "build_clean": stage_timing(built - started, None, store.rows),
        "select": stage_timing(time.perf_counter() - built, kept.height, selected.height),
    }
    return TaskSelection(builder, selected.drop(ROW), cleaner, split_report, timings)


def merge_funnel(funnel: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One funnel from the per-batch ones (each batch lists the same steps, in the same order)."""
    rows: dict[str, int] = {}
    for step in funnel:
        rows[step["step"]] = rows.get(step["step"], 0) + step["rows"]
    return [{"step": step, "rows": count} for step, count in rows.items()]


def stage_timing(seconds: float, rows_in: int | None, rows_out: int) -> dict[str, Any]:
    """Wall time and rows of one stage (rows_in None: the stage reads source tables, not rows)."""
    return {"seconds": round(seconds, 3), "rows_in": rows_in, "rows_out": rows_out}


def remove_cross_task_leaks(selections: list[TaskSelection], mode: str) -> list[dict[str, Any]]:
    """Find evaluation rows leaked from another task's train split; drop them when mode is remove."""
    leaks = find_leaks({s.builder.name: s.selected for s in selections})
    if mode == "remove":
        for selection in selections:
            ids = leaks.filter(pl.col("task") == selection.builder.name)["candidate_id"].unique()
            leaked = selection.selected.filter(pl.col("candidate_id").is_in(ids.implode()))
            selection.cleaner.reject(leaked, "cross_task", "in_train_of_other_task")
            selection.selected = selection.selected.filter(~pl.col("candidate_id").is_in(ids.implode()))
    return leak_summary(leaks)


def write_task(selection: TaskSelection, recipe: Recipe, workdir: Path) -> dict[str, Any]:
    """Render one task's selected rows; write its dataset and rejects; return its report."""
    builder, selected = selection.builder, selection.selected
    started = time.perf_counter()
    rows = render_task(selected, builder, load_templates(builder.abbr), recipe.seed)
    target = dataset_dir(workdir) / f"{builder.name}.parquet"
    with atomic_path(target) as tmp:
        rows.write_parquet(tmp)
    with atomic_path(rejects_dir(workdir) / f"{builder.name}.parquet") as tmp:
        selection.cleaner.rejects_frame().write_parquet(tmp)
    selection.timings["render"] = stage_timing(time.perf_counter() - started, selected.height, rows.height)
    categories = (
        selected.group_by("split", "domain").len().sort("split", "domain").fill_null("(none)").iter_rows()
    )
    return {
        "abbr": builder.abbr,
        "name": builder.name,
        "path": str(target.relative_to(workdir)),
        "rows": rows.height,
        "split": selection.split_report,
        "clean": selection.cleaner.report(),
        "counts": _counts(rows),
        "domains": [{"split": s, "domain": d, "rows": n} for s, d, n in categories],
    }


def run_render(
    recipe: Recipe, workdir: Path, builders: list[TaskBuilder], progress: bool = True
) -> BuildResult:
    """Select every task first, so leakage across tasks can be checked before anything is rendered."""
    tables = load_source_tables(workdir)
    for builder in builders:
        load_templates(builder.abbr)  # a broken template fails before any expensive work
    mode = leakage_mode(recipe.section("decontaminate"))
    result = BuildResult()
    selections = []
    for builder in tqdm(builders, desc="select", unit="task", disable=not progress):
        missing = [t for t in builder.tables if t not in tables]
        if missing:
            result.skipped[builder.abbr] = f"needs table(s) {', '.join(missing)}, not fetched"
            continue
        selections.append(select_task(builder, tables, recipe, workdir))
    started = time.perf_counter()
    leaks = remove_cross_task_leaks(selections, mode)
    leakage_seconds = time.perf_counter() - started
    for selection in tqdm(selections, desc="render", unit="task", disable=not progress):
        result.tasks[selection.builder.abbr] = write_task(selection, recipe, workdir)
    report = {
        "recipe": {"name": recipe.name, "hash": recipe.hash, "seed": recipe.seed},
        "tasks": result.tasks,
        "cross_task_leakage": {"mode": mode, "pairs": leaks},
        "skipped": result.skipped,
        # wall time per task and stage; the only part of the report that differs between two runs
        "timings": {
            "tasks": {s.builder.abbr: s.timings for s in selections},
            "cross_task_leakage": {"seconds": round(leakage_seconds, 3)},
        },
    }
    write_json(reports_dir(workdir) / "build.json", report)
    write_markdown_report(report, reports_dir(workdir) / "build.md")
    return result
