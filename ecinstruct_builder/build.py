"""`ecbuild render`: candidates -> split -> rendered rows, per task, with a build report.

Writes `WORKDIR/dataset/<Task_Name>.parquet` (every setting and split of one task) and
`WORKDIR/reports/build.{json,md}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from tqdm import tqdm

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


def dataset_dir(workdir: Path) -> Path:
    return workdir / "dataset"


def reports_dir(workdir: Path) -> Path:
    return workdir / "reports"


def _counts(rows: pl.DataFrame) -> list[dict[str, Any]]:
    grouped = rows.group_by("setting", "split").len().sort("setting", "split")
    return [{"setting": s, "split": sp, "rows": n} for s, sp, n in grouped.iter_rows()]


def rejects_dir(workdir: Path) -> Path:
    return workdir / "rejects"


def build_task(
    builder: TaskBuilder, tables: dict[str, pl.LazyFrame], recipe: Recipe, workdir: Path
) -> dict[str, Any]:
    task_recipe = recipe.tasks.get(builder.abbr, TaskRecipe())
    fractions = tuple(recipe.section("split").get("fractions", DEFAULT_FRACTIONS))
    templates = load_templates(builder.abbr)  # fail on a bad template before any expensive work
    cleaner = TaskCleaner.for_task(builder, recipe)
    candidates = builder.build({t: tables[t] for t in builder.tables}, task_recipe, recipe.seed).collect(
        engine="streaming"
    )
    selected, split_report = split_candidates(
        cleaner.prepare(candidates),
        builder,
        task_recipe,
        recipe.seed,
        fractions,
        accept=cleaner.accept,
        on_leak=lambda rows: cleaner.reject(rows, "split", "group_in_train"),
    )
    rows = render_task(selected, builder, templates, recipe.seed)
    target = dataset_dir(workdir) / f"{builder.name}.parquet"
    with atomic_path(target) as tmp:
        rows.write_parquet(tmp)
    with atomic_path(rejects_dir(workdir) / f"{builder.name}.parquet") as tmp:
        cleaner.rejects_frame().write_parquet(tmp)
    categories = (
        selected.group_by("split", "domain").len().sort("split", "domain").fill_null("(none)").iter_rows()
    )
    return {
        "abbr": builder.abbr,
        "name": builder.name,
        "path": str(target.relative_to(workdir)),
        "rows": rows.height,
        "split": split_report,
        "clean": cleaner.report(),
        "counts": _counts(rows),
        "domains": [{"split": s, "domain": d, "rows": n} for s, d, n in categories],
    }


def run_render(
    recipe: Recipe, workdir: Path, builders: list[TaskBuilder], progress: bool = True
) -> BuildResult:
    tables = load_source_tables(workdir)
    result = BuildResult()
    for builder in tqdm(builders, desc="render", unit="task", disable=not progress):
        missing = [t for t in builder.tables if t not in tables]
        if missing:
            result.skipped[builder.abbr] = f"needs table(s) {', '.join(missing)}, not fetched"
            continue
        result.tasks[builder.abbr] = build_task(builder, tables, recipe, workdir)
    report = {
        "recipe": {"name": recipe.name, "hash": recipe.hash, "seed": recipe.seed},
        "tasks": result.tasks,
        "skipped": result.skipped,
    }
    write_json(reports_dir(workdir) / "build.json", report)
    write_markdown_report(report, reports_dir(workdir) / "build.md")
    return result
