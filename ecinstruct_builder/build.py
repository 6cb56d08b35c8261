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
from contextlib import closing
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import polars as pl
from tqdm import tqdm

from .clean.leakage import find_leaks, leak_summary
from .clean.stage import reject_frame
from .config import Recipe
from .engine import Engine, LocalEngine
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
from .rowformat import style_for
from .schema import plain
from .select import select_task
from .tasks import builders
from .tasks.base import TaskBuilder
from .templates import check_fields, load_templates, template_path
from .verbosity import logger
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


@dataclass(frozen=True)
class RenderResult:
    report: BuildReport
    built: list[str]  # tasks selected or rendered in this run
    reused: list[str]  # tasks whose selection this run found up to date


def selection_stamp(builder: TaskBuilder, recipe: Recipe, manifest: dict) -> str:
    """What a task's selection depends on: its tables as fetched, its settings, the seed and split."""
    tables = {t: manifest["tables"][t]["stamp"] for t in builder.tables}
    return stamp(
        "select", builder.abbr, tables, plain(recipe.task(builder.abbr)), recipe.seed, plain(recipe.split)
    )


def check_categories(builder: TaskBuilder, recipe: Recipe, manifest: dict) -> None:
    """Every recipe category of a task is in the fetched tables it reads (else a one-line error);
    the fetch manifest lists each table's categories, so nothing is scanned."""
    config = recipe.task(builder.abbr)
    wanted = [*config.ind_categories, *config.ood_categories]
    if not wanted:
        return
    found: set[str] = set()
    for table in builder.tables:
        found |= set(manifest["tables"][table].get("categories") or ())
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


def _select_unit(recipe: Recipe, work: WorkDir, unit: tuple[str, str]) -> None:
    """One task's selection (abbreviation, stamp), reading the fetched tables itself: the unit of
    work an engine runs."""
    abbr, current = unit
    tables, _ = load_source_tables(work.root, recipe.name)
    _select(builders()[abbr], recipe, tables, work, current)


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
    style = style_for(recipe.render, builder.abbr)
    categories = recipe.task(builder.abbr).ind_categories
    rows = render_task(selected, builder, templates, recipe.seed, style, categories)
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
    recipe: Recipe,
    work: WorkDir,
    chosen: list[TaskBuilder],
    progress: bool = True,
    engine: Engine | None = None,
    workers: int = 1,
) -> RenderResult:
    """Select and render the chosen tasks (reusing what is up to date), then report every task present.

    The selections run on `engine` (default: this process, `workers` tasks at a time), each task's
    on its own, the ones reading the most fetched rows first (so the longest does not start last);
    the cross-task steps and rendering follow here.
    """
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
        check_categories(builder, recipe, manifest)
        runnable.append(builder)
    built: list[str] = []
    reused: list[str] = []
    pending: list[tuple[str, str]] = []  # (task, selection stamp) to select
    try:
        for builder in runnable:
            current = selection_stamp(builder, recipe, manifest)
            record = work.try_record(SelectionRecord, work.selection_record(builder.abbr))
            if record is not None and record.stamp == current and work.intact(builder.abbr):
                reused.append(builder.abbr)
            else:
                pending.append((builder.abbr, current))
        pending.sort(key=lambda unit: -sum(manifest["tables"][t]["rows"] for t in known[unit[0]].tables))
        selecting = (engine or LocalEngine()).map(partial(_select_unit, recipe, work), pending, workers)
        with closing(selecting) as selections:  # on an error, the selections not started are dropped
            done = tqdm(selections, total=len(pending), desc="select", unit="task", disable=not progress)
            for (abbr, _), (_, where) in zip(pending, done, strict=True):
                logger().info("selected %s on %s", abbr, where)
                built.append(abbr)
        records = _present(known, work)
        started = time.perf_counter()
        leaks = _leaks({abbr: known[abbr] for abbr in records}, work)
        leakage = Leakage(
            recipe.decontaminate.cross_task,
            [LeakPair(**pair) for pair in leak_summary(leaks)],
            round(time.perf_counter() - started, 3),
        )
        reports = _render_all(recipe, work, known, records, leaks, built, progress)
        report = BuildReport(
            recipe=RecipeRef(recipe.name, recipe.hash, recipe.seed),
            tasks=reports,
            cross_task_leakage=leakage,
            skipped=skipped,
            stale=_stale(recipe, known, records, manifest),
        )
        _write_build_report(work, report)
    except OSError as exc:
        raise environment_error(exc) from exc
    rendered = [abbr for abbr, task in reports.items() if not task.reused and abbr not in built]
    return RenderResult(report, [*built, *rendered], reused)


def _present(known: dict[str, TaskBuilder], work: WorkDir) -> dict[str, SelectionRecord]:
    """Every task with a finished selection in the work dir (this run's and earlier runs')."""
    records = {}
    for abbr in known:
        record = work.try_record(SelectionRecord, work.selection_record(abbr))
        if record is not None and work.intact(abbr):
            records[abbr] = record
    return records


def _render_all(
    recipe: Recipe,
    work: WorkDir,
    known: dict[str, TaskBuilder],
    records: dict[str, SelectionRecord],
    leaks: pl.DataFrame,
    selected_now: list[str],
    progress: bool,
) -> dict[str, TaskReport]:
    """Each present task's report: reused where its render stamp is unchanged, else rendered anew."""
    reports: dict[str, TaskReport] = {}
    for abbr, record in tqdm(records.items(), desc="render", unit="task", disable=not progress):
        builder = known[abbr]
        leaked = (
            leaks.filter(pl.col("task") == builder.name)["candidate_id"].unique().sort()
            if recipe.decontaminate.cross_task == "remove"
            else pl.Series("candidate_id", [], dtype=pl.String)
        )
        template = template_path(abbr, recipe.templates)
        wording = (str(template), hashlib.sha256(template.read_bytes()).hexdigest())
        style = plain(style_for(recipe.render, abbr))
        current = stamp("render", record.stamp, leaked.to_list(), wording, recipe.seed, style)
        previous = work.try_record(TaskReport, work.task_report(abbr))
        if (
            previous is not None
            and previous.render_stamp == current
            and readable_parquet(work.dataset_file(builder.name))
        ):
            reports[abbr] = replace(previous, reused=abbr not in selected_now)
            continue
        reports[abbr] = _render(builder, record, leaked, recipe, work, current)
        work.write_record(work.task_report(abbr), reports[abbr])
    return reports


def _stale(
    recipe: Recipe, known: dict[str, TaskBuilder], records: dict[str, SelectionRecord], manifest: dict
) -> dict[str, str]:
    """Tasks present whose selection was made from other settings or inputs than this recipe's."""
    stale = {}
    for abbr, record in records.items():
        builder = known[abbr]
        tables_there = all(t in manifest["tables"] for t in builder.tables)
        if not tables_there or record.stamp != selection_stamp(builder, recipe, manifest):
            stale[abbr] = (
                f"built with other settings or inputs (recipe {record.recipe_hash}); "
                f"run `ecbuild render --task {abbr}` to rebuild it"
            )
    return stale


def _write_build_report(work: WorkDir, report: BuildReport) -> None:
    work.write_record(work.build_json, report)
    with atomic_path(work.build_md) as tmp:
        tmp.write_text(markdown_report(report), encoding="utf-8")
