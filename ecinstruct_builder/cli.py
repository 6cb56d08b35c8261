"""The `ecbuild` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .engine import ENGINES, open_engine
from .errors import EcbuildError, UsageError
from .evaluate.command import eval_command
from .publish.command import export_command, push_command, samples_command
from .quarantine_command import quarantine_command
from .verbosity import echo_json, json_option, logger, output_options, show_progress
from .workdir import WorkDir, environment_error

if TYPE_CHECKING:
    from .build import RenderResult
    from .config import Recipe

WORKDIR_HELP = "Working folder for every stage's output."


class Ecbuild(click.Group):
    """A group that turns user-facing errors into one line and a non-zero exit, never a traceback.

    Exit status: 0 success; 2 usage errors (bad arguments, a bad recipe); 1 data, environment and
    runtime errors (a missing or damaged file, a full disk, a failed download).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EcbuildError as exc:
            fail(ctx, str(exc), exc.exit_code)
        except OSError as exc:  # disk full, read-only or vanished folders met outside the work-dir checks
            fail(ctx, str(environment_error(exc)), 1)


def fail(ctx: click.Context, message: str, code: int) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    ctx.exit(code)


def log_recipe(recipe: Recipe, workdir: Path) -> None:
    logger().info("recipe %s (%s), hash %s; work dir %s", recipe.name, recipe.path, recipe.hash, workdir)


def workdir_option(func: Any) -> Any:
    return click.option(
        "--workdir",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("ecbuild-work"),
        show_default=True,
        help=WORKDIR_HELP,
    )(func)


def recipe_option(func: Any) -> Any:
    return click.option(
        "--recipe",
        "recipe_name",
        default="demo",
        show_default=True,
        help="Recipe name (demo, ecinstruct) or path to a recipe TOML file.",
    )(func)


def engine_options(func: Any) -> Any:
    """`--engine`, `--ray-address` and `--ray-cpus` (see engine.py), shared by fetch and render."""
    func = click.option(
        "--ray-cpus",
        type=click.IntRange(min=1),
        default=None,
        help="CPUs of the local Ray cluster --engine ray starts (default: every core).",
    )(func)
    func = click.option(
        "--ray-address",
        default=None,
        metavar="ADDR",
        help="With --engine ray: join this running cluster (HOST:PORT of its head, or auto) "
        "instead of starting a local one.",
    )(func)
    return click.option(
        "--engine",
        "engine_name",
        type=click.Choice(ENGINES),
        default="local",
        show_default=True,
        help="Where the work runs: local (this process) or ray (Ray tasks; "
        'needs pip install "ecinstruct-builder[ray]"). Same output either way.',
    )(func)


@click.group(cls=Ecbuild, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ecbuild")
def main() -> None:
    """Build ECInstruct-style e-commerce instruction datasets from the original public sources.

    \b
    Typical run on the bundled synthetic samples (offline, seconds):
      ecbuild fetch
      ecbuild render --task all
    The same with the paper's recipe on files you already have:
      ecbuild check --recipe ecinstruct
      ecbuild fetch --recipe ecinstruct --source-dir ~/data/ecinstruct-raw
      ecbuild render --recipe ecinstruct --task all

    \b
    Exit status: 0 success; 2 usage errors (bad arguments or a bad recipe);
    1 data, environment and runtime errors (missing or damaged files, full disk, network).
    """


@main.command()
@recipe_option
@workdir_option
@click.option(
    "--source-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Read the original files you already have from this folder (upstream file names).",
)
@engine_options
@json_option
@output_options
def fetch(
    recipe_name: str,
    workdir: Path,
    source_dir: Path | None,
    engine_name: str,
    ray_address: str | None,
    ray_cpus: int | None,
    as_json: bool,
) -> None:
    """Read the recipe's sources into normalised Parquet tables under WORKDIR/sources/.

    \b
    Where the files come from:
      demo recipe (default)   the bundled synthetic samples in raw_sources/, offline
      --recipe ecinstruct     downloaded from the original locations (resumable), or
      --source-dir DIR        your own copies, laid out as:
        DIR/amazon2018/{Cat}.json.gz (or {Cat}_5.json.gz)  meta_{Cat}.json.gz  {Cat}.csv
        DIR/amazon2014/meta_{Cat}.json.gz
        DIR/amazon2023/{Cat}.jsonl  meta_{Cat}.jsonl
        DIR/amazonqa/{train,val,test}-qar.jsonl
        DIR/mave/mave_positives.jsonl  mave_negatives.jsonl
        DIR/esci/shopping_queries_dataset_{examples,products}.parquet  shopping_queries_dataset_sources.csv
        DIR/amazon_google/Amazon.csv  GoogleProducts.csv  Amzon_GoogleProducts_perfectMapping.csv
    Bad records are quarantined (WORKDIR/sources/quarantine.parquet) with file, line and reason.

    \b
    Examples:
      ecbuild fetch
      ecbuild fetch --recipe ecinstruct --source-dir ~/data/raw --workdir runs/full
      ecbuild fetch --json | jq .tables
      ecbuild fetch --engine ray --source-dir ~/data/raw     # files read as tasks on a local Ray cluster
      ecbuild fetch --engine ray --ray-address head:6379 --source-dir /shared/raw --workdir /shared/run
    """
    from .config import load_recipe
    from .fetch import manual_downloads, run_fetch

    recipe = load_recipe(recipe_name)
    log_recipe(recipe, workdir)
    if recipe.origin == "download" and source_dir is None:
        steps = manual_downloads(recipe, workdir)
        if steps:
            # said up front, so a user can start the manual steps while the rest downloads
            click.secho("these files cannot be downloaded automatically:", fg="yellow", err=True)
            for step in steps:
                click.echo(f"  - {step}", err=True)
    with open_engine(engine_name, ray_address, ray_cpus) as engine:
        result = run_fetch(recipe, workdir, source_dir, progress=show_progress(), engine=engine)
    quarantine = WorkDir(workdir).quarantine_path
    if as_json:
        echo_json(
            {
                "command": "fetch",
                "recipe": recipe.name,
                "recipe_hash": recipe.hash,
                "source_root": str(result.source_root),
                "tables": dict(result.tables),
                "skipped": list(result.skipped),
                "notices": list(result.notices),
                "quarantined": result.quarantined,
                "quarantine": str(quarantine) if result.quarantined else None,
            }
        )
        return
    click.echo(f"fetched recipe {recipe.name} from {result.source_root}")
    for table, rows in result.tables.items():
        click.echo(f"  {table:<28} {rows:>12,} rows")
    for note in result.skipped:
        click.echo(f"  skipped {note}")
    for notice in result.notices:
        click.secho(f"  note: {notice}", fg="yellow", err=True)
    click.echo(
        f"  quarantined {result.quarantined:,} bad record(s)"
        + (f": see {quarantine}" if result.quarantined else "")
    )


@main.command()
@recipe_option
@workdir_option
@click.option(
    "--task",
    "task_spec",
    default="all",
    show_default=True,
    help="all, or comma-separated tasks by abbreviation or name (SA,PRP or Sentiment_Analysis).",
)
@click.option(
    "--templates",
    "templates_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="A folder of your own template files (<ABBR>.toml) replacing the bundled wording of those tasks.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="With --engine local: tasks selected at the same time, in threads of this process (their "
    "memory adds up; Ray places tasks itself).",
)
@engine_options
@json_option
@output_options
def render(
    recipe_name: str,
    workdir: Path,
    task_spec: str,
    templates_dir: Path | None,
    workers: int,
    engine_name: str,
    ray_address: str | None,
    ray_cpus: int | None,
    as_json: bool,
) -> None:
    """Build, split and render tasks into WORKDIR/dataset/, with a report in WORKDIR/reports/.

    A task whose fetched tables, recipe settings, templates and code have not changed since it was
    last built is reused; rendering some tasks keeps every other task already in the work dir, and
    a killed render resumes at the first unfinished task.

    \b
    Examples:
      ecbuild render --task all
      ecbuild render --task SA,PRP --workdir runs/full --recipe ecinstruct
      ecbuild render --templates my-wording/     # your own instructions for some tasks
      ecbuild render --workers 2                 # two tasks at a time (faster, more memory)
      ecbuild render --engine ray --ray-cpus 4    # tasks selected in parallel on a local Ray cluster
      ecbuild render --engine ray --ray-address auto --workdir /shared/run   # join a running cluster
    """
    import dataclasses

    from .build import run_render
    from .config import load_recipe
    from .tasks import resolve_tasks

    recipe = load_recipe(recipe_name)
    if templates_dir is not None:
        recipe = dataclasses.replace(recipe, templates=templates_dir.resolve())
    chosen = resolve_tasks(task_spec)
    log_recipe(recipe, workdir)
    if workers > 1 and engine_name != "local":
        raise UsageError("--workers is for --engine local; Ray runs as many tasks as it has CPUs for")
    with open_engine(engine_name, ray_address, ray_cpus) as engine:
        result = run_render(
            recipe, WorkDir(workdir), chosen, progress=show_progress(), engine=engine, workers=workers
        )
    summary = render_summary(result, recipe, [b.abbr for b in chosen], WorkDir(workdir))
    if as_json:
        echo_json(summary)
        return
    for abbr, task in summary["tasks"].items():
        sizes = " ".join(f"{split}={n}" for split, n in task["splits"].items())
        unmet = f"  (quota not met: {', '.join(task['unmet'])})" if task["unmet"] else ""
        click.echo(f"  {abbr:<4} {task['rows']:>7,} rows  {sizes}{unmet}  [{task['state']}]")
    for abbr, why in summary["skipped"].items():
        click.echo(f"  {abbr:<4} skipped: {why}")
    for abbr, why in summary["stale"].items():
        click.secho(f"  {abbr:<4} {why}", fg="yellow", err=True)
    if summary["default_settings"]:
        joined = ", ".join(summary["default_settings"])
        click.echo(f"  not in the recipe, built with default settings (no caps): {joined}")
    if summary["kept"]:
        click.echo(f"  kept from earlier runs: {', '.join(summary['kept'])}")
    click.echo(f"{len(summary['built'])} task(s) built, {len(summary['reused'])} up to date and reused")
    click.echo(f"dataset in {summary['dataset']}, report in {summary['report']}")


def render_summary(
    result: RenderResult, recipe: Recipe, chosen: list[str], workdir: WorkDir
) -> dict[str, Any]:
    """What a render did, as the text lines and `--json` report it (tasks in the report's order)."""
    report = result.report
    tasks = {
        abbr: {
            "rows": task.rows,
            "splits": {q.split: q.selected for q in task.split.quotas},
            "unmet": list(task.split.unmet),
            "state": "reused" if abbr in result.reused or task.reused else "built",
        }
        for abbr, task in report.tasks.items()
        if abbr in chosen
    }
    return {
        "command": "render",
        "recipe": recipe.name,
        "recipe_hash": recipe.hash,
        "tasks": tasks,
        "skipped": dict(report.skipped),
        "stale": dict(report.stale),
        "default_settings": [a for a in chosen if a not in recipe.declared_tasks and a in report.tasks],
        "kept": [a for a in report.tasks if a not in chosen],
        "built": list(result.built),
        "reused": [a for a in report.tasks if a not in result.built],
        "dataset": str(workdir.dataset),
        "report": str(workdir.build_md),
    }


@main.command()
@click.argument("recipe_arg", metavar="[RECIPE]", required=False)
@recipe_option
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Also check the recipe's categories against the tables fetched into this work dir.",
)
@output_options
def check(recipe_arg: str | None, recipe_name: str, workdir: Path | None) -> None:
    """Validate a recipe without running anything: every section, key, type, range, task, source
    and category. Exit status 0 when it is valid, 2 with one line naming the problem otherwise.

    \b
    Examples:
      ecbuild check ecinstruct
      ecbuild check my-recipe.toml --workdir runs/full
    """
    from .build import check_categories
    from .config import load_recipe
    from .fetch import load_source_tables
    from .tasks import builders

    recipe = load_recipe(recipe_arg or recipe_name)
    if workdir is not None:
        tables, manifest = load_source_tables(workdir, recipe.name)
        for builder in builders().values():
            if all(t in tables for t in builder.tables):
                check_categories(builder, recipe, manifest)
    declared = ", ".join(recipe.declared_tasks) or "none"
    click.echo(f"recipe {recipe.name} ({recipe.path}) is valid: seed {recipe.seed}, hash {recipe.hash}")
    click.echo(f"  sources: {', '.join(recipe.sources)}")
    click.echo(f"  tasks with settings: {declared}")


@main.command()
@click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to write into."
)
@click.option(
    "--scale",
    type=float,
    default=None,
    help="Fraction of the real row counts (1.0 = full size); omitted = the small demo profile.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--source",
    "sources",
    multiple=True,
    help="Write only this source (repeatable), e.g. amazon_google; default: every source.",
)
@output_options
def synth(out: Path, scale: float | None, seed: int, sources: tuple[str, ...]) -> None:
    """Write synthetic sources in the exact upstream formats (for demos, tests and benchmarks).

    \b
    Examples:
      ecbuild synth --out /tmp/raw            # the demo profile, as bundled in raw_sources/
      ecbuild synth --out /tmp/raw --scale 0.1
      ecbuild synth --out /tmp/raw --scale 1 --source amazon_google   # real-sized PM inputs only
    """
    from .synthetic import generate, writers

    if scale is not None and not 0 < scale <= 1:
        raise UsageError("--scale must be in (0, 1]")
    unknown = sorted(set(sources) - set(writers()))
    if unknown:
        raise UsageError(f"--source {unknown[0]!r} is not a source; use one of: {', '.join(writers())}")
    written = generate(out, scale=scale, seed=seed, progress=show_progress(), sources=sources)
    click.echo(f"wrote {sum(written.values()):,} records in {len(written)} files under {out}")


for command in (export_command, push_command, eval_command, samples_command, quarantine_command):
    main.add_command(command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
