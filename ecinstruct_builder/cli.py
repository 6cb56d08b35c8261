"""The `ecbuild` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import EcbuildError
from .evaluate.command import eval_command
from .publish.command import export_command, push_command, samples_command
from .quarantine_command import quarantine_command

WORKDIR_HELP = "Working folder for every stage's output."


class Ecbuild(click.Group):
    """A group that turns user-facing errors into one line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EcbuildError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            ctx.exit(exc.exit_code)


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


def quiet_option(func: Any) -> Any:
    return click.option("--quiet", is_flag=True, help="No progress bars.")(func)


@click.group(cls=Ecbuild, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ecbuild")
def main() -> None:
    """Build ECInstruct-style e-commerce instruction datasets from the original public sources.

    \b
    Typical run on the bundled synthetic samples (offline, seconds):
      ecbuild fetch
      ecbuild render --task all
    The same with the paper's recipe on files you already have:
      ecbuild fetch --recipe ecinstruct --source-dir ~/data/ecinstruct-raw
      ecbuild render --recipe ecinstruct --task all
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
@quiet_option
def fetch(recipe_name: str, workdir: Path, source_dir: Path | None, quiet: bool) -> None:
    """Read the recipe's sources into normalised Parquet tables under WORKDIR/sources/.

    \b
    Where the files come from:
      demo recipe (default)   the bundled synthetic samples in raw_sources/, offline
      --recipe ecinstruct     downloaded from the original locations (resumable), or
      --source-dir DIR        your own copies, laid out as:
        DIR/amazon2018/{Cat}.json.gz  meta_{Cat}.json.gz  {Cat}.csv
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
    """
    from .fetch import manual_downloads, run_fetch
    from .recipe import load_recipe

    recipe = load_recipe(recipe_name)
    if recipe.origin == "download" and source_dir is None:
        steps = manual_downloads(recipe, workdir)
        if steps:
            # said up front, so a user can start the manual steps while the rest downloads
            click.secho("these files cannot be downloaded automatically:", fg="yellow", err=True)
            for step in steps:
                click.echo(f"  - {step}", err=True)
    result = run_fetch(recipe, workdir, source_dir, progress=not quiet)
    click.echo(f"fetched recipe {recipe.name} from {result.source_root}")
    for table, rows in result.tables.items():
        click.echo(f"  {table:<28} {rows:>12,} rows")
    for note in result.skipped:
        click.echo(f"  skipped {note}")
    for notice in result.notices:
        click.secho(f"  note: {notice}", fg="yellow", err=True)
    click.echo(
        f"  quarantined {result.quarantined:,} bad record(s)"
        + (f": see {workdir / 'sources' / 'quarantine.parquet'}" if result.quarantined else "")
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
@quiet_option
def render(recipe_name: str, workdir: Path, task_spec: str, quiet: bool) -> None:
    """Build, split and render tasks into WORKDIR/dataset/, with a report in WORKDIR/reports/.

    \b
    Examples:
      ecbuild render --task all
      ecbuild render --task SA,PRP --workdir runs/full --recipe ecinstruct
    """
    from .build import reports_dir, run_render
    from .recipe import load_recipe
    from .tasks import resolve_tasks

    recipe = load_recipe(recipe_name)
    result = run_render(recipe, workdir, resolve_tasks(task_spec), progress=not quiet)
    for abbr, task in result.tasks.items():
        sizes = {q["split"]: q["selected"] for q in task["split"]["quotas"]}
        unmet = f"  (quota not met: {', '.join(task['split']['unmet'])})" if task["split"]["unmet"] else ""
        click.echo(
            f"  {abbr:<4} {task['rows']:>7,} rows  " + " ".join(f"{s}={n}" for s, n in sizes.items()) + unmet
        )
    for abbr, why in result.skipped.items():
        click.echo(f"  {abbr:<4} skipped: {why}")
    click.echo(f"dataset in {workdir / 'dataset'}, report in {reports_dir(workdir) / 'build.md'}")


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
@quiet_option
def synth(out: Path, scale: float | None, seed: int, quiet: bool) -> None:
    """Write synthetic sources in the exact upstream formats (for demos, tests and benchmarks).

    \b
    Examples:
      ecbuild synth --out /tmp/raw            # the demo profile, as bundled in raw_sources/
      ecbuild synth --out /tmp/raw --scale 0.1
    """
    from .synthetic import generate

    if scale is not None and not 0 < scale <= 1:
        raise EcbuildError("--scale must be in (0, 1]")
    written = generate(out, scale=scale, seed=seed, progress=not quiet)
    click.echo(f"wrote {sum(written.values()):,} records in {len(written)} files under {out}")


for command in (export_command, push_command, eval_command, samples_command, quarantine_command):
    main.add_command(command)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
