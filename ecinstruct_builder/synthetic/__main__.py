"""`python -m ecinstruct_builder.synthetic --out DIR [--scale S] [--seed N]`: write synthetic sources."""

from __future__ import annotations

from pathlib import Path

import click

from . import generate


@click.command(
    epilog=(
        "Examples:\n\n"
        "  python -m ecinstruct_builder.synthetic --out raw_sources\n\n"
        "  python -m ecinstruct_builder.synthetic --out /tmp/bench --scale 0.01 --seed 3"
    )
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write, laid out like --source-dir (amazon2018/, esci/, ...).",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Real row counts times this factor (1.0 = full size). Default: the bundled demo sizes.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, byte-identical files.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a bar per file.")
def main(out_dir: Path, scale: float | None, seed: int, progress: bool) -> None:
    """Write synthetic records in the exact upstream formats (no real upstream text)."""
    written = generate(out_dir, scale=scale, seed=seed, progress=progress)
    width = max(map(len, written))
    for relative, rows in written.items():
        click.echo(f"{relative:<{width}}  {rows:>12,}")
    click.echo(f"{'total':<{width}}  {sum(written.values()):>12,}")


if __name__ == "__main__":
    main()
