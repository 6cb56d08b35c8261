"""`ecbuild quarantine`: what fetch could not read, by source, file and reason, with the first examples
of each, so the quarantine is readable without code (registered by cli.py)."""

from __future__ import annotations

from pathlib import Path

import click
import polars as pl

from .errors import EcbuildError
from .verbosity import output_options
from .workdir import WorkDir

# Raw text of an example is cut to this many characters: enough to recognise the record.
EXAMPLE_CHARS = 120


def read_quarantine(workdir: Path) -> pl.DataFrame:
    path = WorkDir(workdir).quarantine_path
    if not path.is_file():
        raise EcbuildError(f"no quarantine in {workdir}; run `ecbuild fetch --workdir {workdir}` first")
    try:
        return pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise EcbuildError(f"{path}: not readable ({exc}); run `ecbuild fetch` again") from exc


def summary_lines(quarantine: pl.DataFrame, examples: int) -> list[str]:
    """The report: a total, then per source, per file and per reason a count and up to `examples`
    records (line and raw text). Groups are in order of first appearance, as fetch read them."""
    if quarantine.is_empty():
        return ["quarantine is empty: every record was read"]
    lines = [f"{quarantine.height:,} quarantined record(s) in {quarantine['file'].n_unique():,} file(s)"]
    for (source,), by_source in quarantine.group_by("source", maintain_order=True):
        lines.append(f"{source}: {by_source.height:,}")
        for (file,), by_file in by_source.group_by("file", maintain_order=True):
            lines.append(f"  {file}: {by_file.height:,}")
            for (reason,), by_reason in by_file.group_by("reason", maintain_order=True):
                lines.append(f"    {by_reason.height:,} x {reason}")
                lines += [
                    _example(line, raw) for line, raw in by_reason.head(examples).select("line", "raw").rows()
                ]
    return lines


def _example(line: int | None, raw: str | None) -> str:
    # control characters (binary junk, newlines) escaped so that one example stays on one line
    text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in raw or "")
    if len(text) > EXAMPLE_CHARS:
        text = text[:EXAMPLE_CHARS] + "..."
    return f"        line {line if line is not None else '?'}: {text}"


@click.command("quarantine")
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("ecbuild-work"),
    show_default=True,
    help="Working folder of the fetch to report on.",
)
@click.option(
    "--examples", type=click.IntRange(min=0), default=3, show_default=True, help="Examples per reason."
)
@output_options
def quarantine_command(workdir: Path, examples: int) -> None:
    """Print the records fetch quarantined: counts by source, file and reason, and the first examples.

    \b
    Example:
      ecbuild quarantine --workdir runs/full --examples 5
    """
    for line in summary_lines(read_quarantine(workdir), examples):
        click.echo(line)
