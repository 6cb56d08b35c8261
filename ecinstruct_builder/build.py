"""`ecbuild render`: per task, selection (candidates -> clean -> split) and rendering, then the build
report over every task in the work dir.

Each task's selection and render are stamped (`workdir.stamp`): a task whose fetched tables, recipe
settings, templates and code are unchanged is reused, not rebuilt, so a killed render resumes at the
first unfinished task and a render of some tasks keeps every other task's dataset and report.
Leakage across tasks is recomputed over all tasks present; in `remove` mode a task whose leaked rows
changed is rendered again from its stored selection.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl
from tqdm import tqdm

from .clean.leakage import find_leaks, leak_summary
from .clean.stage import reject_frame
from .config import Recipe
from .errors import RecipeError
from .fetch import load_source_tables
from .io import atomic_path
from .render import render_task
from .report import (
    BuildReport,
    CleanReport,
    Count,
    DomainCount,
    Drop,
    Leakage,
    LeakPair,
    RecipeRef,
    SplitReport,
    StageTiming,
    TaskReport,
    markdown_report,
)
from .schema import plain
from .select import select_task
from .tasks import builders
from .tasks.base import TaskBuilder
from .templates import check_fields, load_templates, template_path
from .workdir import WorkDir, environment_error, readable_parquet, stamp


@dataclass(frozen=True)
class SelectionRecord:
    """What `selection/<ABBR>.json` holds: the stamp of a finished selection and its reports."""

    abbr: str
    stamp: str
    recipe_hash: str
    split: SplitReport
    clean: CleanReport
    timings: dict[str, StageTiming]


@dataclass
class RenderResult:
    report: BuildReport
    built: list[str] = field(default_factory=list)  # tasks selected or rendered in this run
    reused: list[str] = field(default_factory=list)  # tasks this run found up to date


def selection_stamp(builder: TaskBuilder, recipe: Recipe, manifest: dict) -> str:
    """What a task's selection depends on: its tables as fetched, its settings, the seed and split."""
    tables = {t: manifest["tables"][t]["stamp"] for t in builder.tables}
    return stamp(
        "select", builder.abbr, tables, plain(recipe.task(builder.abbr)), recipe.seed, plain(recipe.split)
    )


def check_categories(builder: TaskBuilder, recipe: Recipe, tables: dict[str, pl.LazyFrame]) -> None:
    """Every recipe category of a task is in the fetched tables it reads (else a one-line error)."""
    config = recipe.task(builder.abbr)
    wanted = [*config.ind_categories, *config.ood_categories]
    if not wanted:
        return
    found: set[str] = set()
    for table in builder.tables:
        if "category" in tables[table].collect_schema():
            found |= set(tables[table].select(pl.col("category").unique()).collect()["category"].drop_nulls())
    missing = [c for c in wanted if c not in found]
    if missing:
        raise RecipeError(
            f"recipe {recipe.path.name}: tasks.{builder.abbr} names category {missing[0]!r}, which the "
            f"fetched {', '.join(builder.tables)} do not have "
            f"(they have: {', '.join(sorted(found)) or 'none'}); fix the recipe or fetch that category"
        )


def _select(builder: TaskBuilder, recipe: Recipe, tables: dict, work: WorkDir, current: str) -> None:
    selection = select_task(
        builder, tables, recipe.task(builder.abbr), recipe.seed, recipe.split, work.scratch
    )
    _write_parquet(selection.selected, work.selected_rows(builder.abbr))
    _write_parquet(selection.rejects, work.selection_rejects(builder.abbr))
    record = SelectionRecord(
        builder.abbr, current, recipe.hash, selection.split, selection.cleaner.report(), selection.timings
    )
    work.write_record(work.selection_record(builder.abbr), record)  # last: it marks the selection done


def _write_parquet(frame: pl.DataFrame, target: Path) -> None:
    with atomic_path(target) as tmp:
        frame.write_parquet(tmp)


def _counts(rows: pl.DataFrame) -> list[Count]:
    grouped = rows.group_by("setting", "split").len().sort("setting", "split")
    return [Count(s, sp, n) for s, sp, n in grouped.iter_rows()]


def _render(
    builder: TaskBuilder,
    record: SelectionRecord,
    leaked: pl.Series,
    recipe: Recipe,
    work: WorkDir,
    current: str,
) -> TaskReport:
    """Render one task from its stored selection, minus the rows leaked to another task's train."""
    started = time.perf_counter()
    selected = pl.read_parquet(work.selected_rows(builder.abbr))
    removed = selected.filter(pl.col("candidate_id").is_in(leaked.implode()))
    selected = selected.filter(~pl.col("candidate_id").is_in(leaked.implode()))
    templates = load_templates(builder.abbr, recipe.templates)
    rows = render_task(selected, builder, templates, recipe.seed)
    _write_parquet(rows, work.dataset_file(builder.name))
    cross = reject_frame(removed, builder.name, "cross_task", "in_train_of_other_task")
    rejects = pl.concat([pl.read_parquet(work.selection_rejects(builder.abbr)), cross])
    _write_parquet(rejects, work.rejects_file(builder.name))
    clean = record.clean
    if removed.height:
        clean = replace(
            clean, dropped=[*clean.dropped, Drop("cross_task", "in_train_of_other_task", removed.height)]
        )
    domains = (
        selected.group_by("split", "domain").len().sort("split", "domain").fill_null("(none)").iter_rows()
    )
    timings = {
        **record.timings,
        "render": StageTiming(round(time.perf_counter() - started, 3), selected.height, rows.height),
    }
    return TaskReport(
        abbr=builder.abbr,
        name=builder.name,
        path=str(work.dataset_file(builder.name).relative_to(work.root)),
        rows=rows.height,
        split=record.split,
        clean=clean,
        counts=_counts(rows),
        domains=[DomainCount(s, d, n) for s, d, n in domains],
        recipe_hash=record.recipe_hash,
        selection_stamp=record.stamp,
        render_stamp=current,
        template_file=str(templates.path),
        timings=timings,
    )


def _leaks(present: dict[str, TaskBuilder], work: WorkDir) -> pl.DataFrame:
    columns = ["candidate_id", "split", "product_id", "content_key"]
    keys = {b.name: pl.read_parquet(work.selected_rows(abbr), columns=columns) for abbr, b in present.items()}
    return find_leaks(keys)


def run_render(
    recipe: Recipe, work: WorkDir, chosen: list[TaskBuilder], progress: bool = True
) -> RenderResult:
    """Select and render the chosen tasks (reusing what is up to date), then report every task present."""
    tables, manifest = load_source_tables(work.root, recipe.name)  # before anything is created
    work.ensure_writable()
    known = builders()
    skipped: dict[str, str] = {}
    runnable = []
    for builder in chosen:
        # a broken template, or one naming a field the task lacks, fails before any expensive work
        check_fields(load_templates(builder.abbr, recipe.templates), set(builder.schema()))
        missing = [t for t in builder.tables if t not in tables]
        if missing:
            skipped[builder.abbr] = f"needs table(s) {', '.join(missing)}, not fetched"
            continue
        check_categories(builder, recipe, tables)
        runnable.append(builder)
    result = RenderResult(report=None)  # type: ignore[arg-type] - set below
    try:
        for builder in tqdm(runnable, desc="select", unit="task", disable=not progress):
            current = selection_stamp(builder, recipe, manifest)
            record = work.try_record(SelectionRecord, work.selection_record(builder.abbr))
            if record is not None and record.stamp == current and work.intact(builder.abbr):
                result.reused.append(builder.abbr)
                continue
            _select(builder, recipe, tables, work, current)
            result.built.append(builder.abbr)
        result.report = _finish(recipe, work, known, manifest, skipped, result, progress)
    except OSError as exc:
        raise environment_error(exc) from exc
    return result


def _finish(
    recipe: Recipe,
    work: WorkDir,
    known: dict[str, TaskBuilder],
    manifest: dict,
    skipped: dict[str, str],
    result: RenderResult,
    progress: bool,
) -> BuildReport:
    """Leakage over every task present, the renders that changed, and the build report."""
    records = {
        abbr: record
        for abbr in known
        if (record := work.try_record(SelectionRecord, work.selection_record(abbr))) is not None
        and work.intact(abbr)
    }
    present = {abbr: known[abbr] for abbr in records}
    started = time.perf_counter()
    leaks = _leaks(present, work)
    mode = recipe.decontaminate.cross_task
    leak_seconds = time.perf_counter() - started
    reports: dict[str, TaskReport] = {}
    for abbr, builder in tqdm(present.items(), desc="render", unit="task", disable=not progress):
        leaked = (
            leaks.filter(pl.col("task") == builder.name)["candidate_id"].unique().sort()
            if mode == "remove"
            else pl.Series("candidate_id", [], dtype=pl.String)
        )
        template = template_path(abbr, recipe.templates)
        template_digest = hashlib.sha256(template.read_bytes()).hexdigest()
        current = stamp(
            "render", records[abbr].stamp, leaked.to_list(), str(template), template_digest, recipe.seed
        )
        previous = work.try_record(TaskReport, work.task_report(abbr))
        if (
            previous is not None
            and previous.render_stamp == current
            and readable_parquet(work.dataset_file(builder.name))
        ):
            reports[abbr] = replace(previous, reused=abbr not in result.built)
            continue
        reports[abbr] = _render(builder, records[abbr], leaked, recipe, work, current)
        work.write_record(work.task_report(abbr), reports[abbr])
        if abbr not in result.built:
            result.built.append(abbr)
    stale = {}
    for abbr, builder in present.items():
        tables_there = all(t in manifest["tables"] for t in builder.tables)
        if not tables_there or records[abbr].stamp != selection_stamp(builder, recipe, manifest):
            stale[abbr] = (
                f"built with other settings or inputs (recipe {records[abbr].recipe_hash}); "
                f"run `ecbuild render --task {abbr}` to rebuild it"
            )
    report = BuildReport(
        recipe=RecipeRef(recipe.name, recipe.hash, recipe.seed),
        tasks=reports,
        cross_task_leakage=Leakage(
            mode, [LeakPair(**pair) for pair in leak_summary(leaks)], round(leak_seconds, 3)
        ),
        skipped=skipped,
        stale=stale,
    )
    work.write_record(work.build_json, report)
    with atomic_path(work.build_md) as tmp:
        tmp.write_text(markdown_report(report), encoding="utf-8")
    return report
