"""`ecbuild export`, `ecbuild push` and `ecbuild samples` (registered by cli.py).

The heavy modules are imported inside the commands, so `ecbuild --help` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import EcbuildError

if TYPE_CHECKING:
    from .workdir import Build

DEFAULT_SAMPLES_DIR = Path("docs/samples")
SIZE_UNITS = ("B", "KB", "MB", "GB", "TB")
TRAINING_FORMATS = ("alpaca", "chat")


class PublishFailure(click.ClickException):
    """A user-fixable problem, printed as one line, with the EcbuildError's exit code."""


@contextmanager
def _one_line_errors() -> Iterator[None]:
    # The commands also run standalone (outside the ecbuild group), so they turn errors into one line here.
    try:
        yield
    except EcbuildError as exc:
        failure = PublishFailure(str(exc))
        failure.exit_code = exc.exit_code  # 2 for usage errors, 1 for the rest
        raise failure from None


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--recipe",
            "recipe_name",
            default="demo",
            show_default=True,
            help="Recipe the dataset was rendered with (name or TOML path).",
        ),
        click.option(
            "--workdir",
            type=click.Path(path_type=Path, file_okay=False),
            default=Path("ecbuild-work"),
            show_default=True,
            help="Working folder of fetch and render.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _quiet(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--quiet", is_flag=True, help="No progress bars.")(func)


def _load(recipe_name: str, workdir: Path) -> Build:
    from ..config import load_recipe
    from .workdir import load_build

    return load_build(workdir, load_recipe(recipe_name))


def _size(n: int) -> str:
    exponent = 0
    while exponent < len(SIZE_UNITS) - 1 and n >= 1024 ** (exponent + 1):
        exponent += 1
    return f"{n:,} B" if exponent == 0 else f"{n / 1024**exponent:,.1f} {SIZE_UNITS[exponent]}"


EXPORT_EPILOG = """\b
Examples:
  ecbuild export --out ECInstruct
  ecbuild export --out ECInstruct --format alpaca --format chat --repo org/ECInstruct
  python -c "import datasets; print(datasets.load_dataset('ECInstruct', 'all'))"
"""


@click.command("export", epilog=EXPORT_EPILOG)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write (an earlier export there is replaced).",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(TRAINING_FORMATS),
    multiple=True,
    help="Also write training files under training/: Alpaca JSON or chat-messages JSONL (repeatable).",
)
@click.option("--repo", "repo_id", default=None, help="Hub repo id used in the card's loading example.")
@_common
@_quiet
def export_command(
    out: Path, formats: tuple[str, ...], repo_id: str | None, recipe_name: str, workdir: Path, quiet: bool
) -> None:
    """Write the files `ecbuild push` uploads (Parquet per config, card, recipe, manifest) to a folder.

    `datasets.load_dataset(OUT, CONFIG)` loads each config: `all` (ECInstruct proper), one per task,
    and `single_instruction`, `unseen_instruction`, `one_shot`.
    """
    from .export import export_dataset

    with _one_line_errors():
        build = _load(recipe_name, workdir)
        result = export_dataset(
            build, out, repo_id=repo_id, formats=dict.fromkeys(formats), progress=not quiet
        )
    for config in result.configs:
        click.echo(f"  {config.name:<36} " + " ".join(f"{s.split}={s.rows:,}" for s in config.splits))
    for path in result.training:
        click.echo(f"  {path}")
    click.echo(f"exported {len(result.files)} files to {out}")


PUSH_EPILOG = """\b
Examples:
  ecbuild push --repo org/ECInstruct --dry-run
  HF_TOKEN=hf_... ecbuild push --repo org/ECInstruct --private
  ecbuild push --repo org/ECInstruct --revision v2 --create-pr
The token comes from HF_TOKEN or `hf auth login`; it is never printed or written.
"""


@click.command("push", epilog=PUSH_EPILOG)
@click.option("--repo", "repo_id", required=True, help="Hub dataset repo id, namespace/name.")
@click.option(
    "--private", is_flag=True, help="Create the repo as private (an existing repo keeps its visibility)."
)
@click.option("--revision", default=None, help="Branch to commit to (created if missing); default main.")
@click.option("--create-pr", is_flag=True, help="Open a pull request instead of committing to the branch.")
@click.option("--dry-run", is_flag=True, help="List the files and sizes that would be uploaded; no network.")
@_common
@_quiet
def push_command(
    repo_id: str,
    private: bool,
    revision: str | None,
    create_pr: bool,
    dry_run: bool,
    recipe_name: str,
    workdir: Path,
    quiet: bool,
) -> None:
    """Upload the dataset to the Hugging Face Hub in one commit named after the recipe hash.

    The files are those `ecbuild export --repo REPO` writes, staged in WORKDIR/push/ first.
    """
    from huggingface_hub.utils import disable_progress_bars

    from .push import PushOptions, check_repo_id, commit_message, resolve_token, stage, upload

    with _one_line_errors():
        options = PushOptions(check_repo_id(repo_id), private=private, revision=revision, create_pr=create_pr)
        token = None if dry_run else resolve_token()  # before any work: a missing login fails in a second
        build = _load(recipe_name, workdir)
        result = stage(build, repo_id, progress=not quiet)
        if token is None:
            for file in result.files:
                click.echo(f"  {_size(file.bytes):>12}  {file.path}")
            total = sum(f.bytes for f in result.files)
            click.echo(
                f"dry run: would upload {len(result.files)} files ({_size(total)}) to dataset {repo_id} "
                f"in one commit: {commit_message(build)!r}"
            )
            return
        if quiet:
            disable_progress_bars()
        outcome = upload(build, result, options, token)
    for path in outcome.deleted:
        click.echo(f"  deleted {path} (not in this version)")
    click.echo(f"pushed {len(result.files)} files: {outcome.pr_url or outcome.commit_url}")


SAMPLES_EPILOG = f"""\b
Examples:
  ecbuild fetch && ecbuild render --task all && ecbuild samples
  ecbuild samples --workdir runs/full --recipe ecinstruct --out /tmp/samples
The committed {DEFAULT_SAMPLES_DIR}/ comes from the bundled samples (the first example).
"""


@click.command("samples", epilog=SAMPLES_EPILOG)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEFAULT_SAMPLES_DIR,
    show_default=True,
    help="Folder for the pages and charts.",
)
@_common
def samples_command(out: Path, recipe_name: str, workdir: Path) -> None:
    """Write Markdown pages of rendered rows per task, and an index with counts and charts."""
    from .samples import write_samples

    with _one_line_errors():
        written = write_samples(_load(recipe_name, workdir), out)
    click.echo(f"wrote {len(written)} files to {out}")
