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
from ..verbosity import echo_json, json_option, logger, output_options, show_progress

if TYPE_CHECKING:
    from .push import PushOptions, PushPlan
    from .workdir import Build

DEFAULT_SAMPLES_DIR = Path("docs/samples")
SIZE_UNITS = ("B", "KB", "MB", "GB", "TB")
TRAINING_FORMATS = ("alpaca", "chat", "prompt-completion")


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


def _load(recipe_name: str, workdir: Path) -> Build:
    from ..config import load_recipe
    from .workdir import load_build

    recipe = load_recipe(recipe_name)
    logger().info("build of recipe %s (hash %s) in %s", recipe.name, recipe.hash, workdir)
    return load_build(workdir, recipe)


def _size(n: int) -> str:
    exponent = 0
    while exponent < len(SIZE_UNITS) - 1 and n >= 1024 ** (exponent + 1):
        exponent += 1
    return f"{n:,} B" if exponent == 0 else f"{n / 1024**exponent:,.1f} {SIZE_UNITS[exponent]}"


EXPORT_EPILOG = """\b
Examples:
  ecbuild export --out ECInstruct
  ecbuild export --out ECInstruct --format alpaca --format chat --repo org/ECInstruct
  ecbuild export --out ECInstruct --format prompt-completion  # TRL: loss on the answer only
  ecbuild export --out ECInstruct --json | jq .configs.ecinstruct
  python -c "import datasets; print(datasets.load_dataset('ECInstruct'))"
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
    help="Also write training files under training/: Alpaca JSON, chat-messages JSONL or "
    "prompt/completion JSONL, with LLaMA-Factory's dataset_info.json (repeatable).",
)
@click.option("--repo", "repo_id", default=None, help="Hub repo id used in the card's loading example.")
@_common
@json_option
@output_options
def export_command(
    out: Path, formats: tuple[str, ...], repo_id: str | None, recipe_name: str, workdir: Path, as_json: bool
) -> None:
    """Write the files `ecbuild push` uploads (Parquet per config, card, recipe, manifest) to a folder.

    `datasets.load_dataset(OUT, CONFIG)` loads each config: `ecinstruct` (the default: ECInstruct proper
    in train / validation / test / test_ood), `ninglab_table` (every setting in one table, as
    NingLab/ECInstruct), one per task, and `single_instruction`, `unseen_instruction`, `one_shot`.
    """
    from .export import export_dataset

    with _one_line_errors():
        build = _load(recipe_name, workdir)
        result = export_dataset(
            build, out, repo_id=repo_id, formats=dict.fromkeys(formats), progress=show_progress()
        )
    if as_json:
        configs = {c.name: {s.split: s.rows for s in c.splits} for c in result.configs}
        training = [str(path) for path in result.training]
        echo_json(
            {
                "command": "export",
                "out": str(out),
                "configs": configs,
                "training": training,
                "files": len(result.files),
            }
        )
        return
    for config in result.configs:
        click.echo(f"  {config.name:<36} " + " ".join(f"{s.split}={s.rows:,}" for s in config.splits))
    for path in result.training:
        click.echo(f"  {path}")
    click.echo(f"exported {len(result.files)} files to {out}")


PUSH_EPILOG = """\b
Examples:
  ecbuild push --repo org/ECInstruct --dry-run
  HF_TOKEN=hf_... ecbuild push --repo org/ECInstruct --private
  ecbuild push --repo org/ECInstruct --revision v2 --create-pr --commit-message "Rebuild with seed 2"
The token comes from --token, HF_TOKEN or `hf auth login`; it is never printed or written.
Only old files of the configs this build produces are deleted; other tasks' files are kept.
"""
PLAN_MARKS = (("add", "added"), ("update", "updated"), ("same", "unchanged"), ("delete", "deleted"))


def _plan_lines(plan: PushPlan, sizes: dict[str, int]) -> Iterator[str]:
    for mark, attribute in PLAN_MARKS:
        for path in getattr(plan, attribute):
            size = _size(sizes[path]) if path in sizes else ""
            yield f"  {mark:<7}{size:>12}  {path}"
    for path in plan.kept:
        yield f"  {'keep':<7}{'':>12}  {path} (a config this build does not produce)"


def _plan_summary(plan: PushPlan) -> str:
    base = f"on top of {plan.parent[:12]}" if plan.parent else "to a new repo or branch"
    counts = ", ".join(f"{len(getattr(plan, a))} {a}" for _, a in PLAN_MARKS)
    return f"{counts}, {len(plan.kept)} kept; {base}"


def _dry_run(build: Build, options: PushOptions, progress: bool) -> None:
    from .push import PushError, RemoteState, commit_message, plan_push, preview, recipe_tag, stage

    try:
        remote = preview(options)
    except PushError as exc:  # offline: the additions are still known, deletions are not
        remote = RemoteState(head=None, files={})
        click.echo(f"note: {exc} Every file is listed as an addition; deletions are not known.")
    result = stage(build, options.repo_id, remote, progress, options.formats)
    sizes = {f.path: f.bytes for f in result.files}
    plan = plan_push(result, remote)
    for line in _plan_lines(plan, sizes):
        click.echo(line)
    total = sum(sizes[p] for p in plan.uploads)
    click.echo(
        f"dry run: would upload {len(plan.uploads)} files ({_size(total)}) to dataset "
        f"{options.repo_id}@{options.branch} in one commit: {commit_message(build, options)!r}, "
        f"tagged {recipe_tag(build)!r} ({_plan_summary(plan)})"
    )


@click.command("push", epilog=PUSH_EPILOG)
@click.option("--repo", "repo_id", required=True, help="Hub dataset repo id, namespace/name.")
@click.option(
    "--private", is_flag=True, help="Create the repo as private (an existing repo keeps its visibility)."
)
@click.option("--revision", default=None, help="Branch to commit to (created if missing); default main.")
@click.option("--create-pr", is_flag=True, help="Open a pull request instead of committing to the branch.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="List what would be added, updated, kept and deleted (reads the repo, writes nothing).",
)
@click.option(
    "--token",
    default=None,
    help="Hugging Face token (default: HF_TOKEN or the cached login; prefer those, a flag shows in `ps`).",
)
@click.option("--commit-message", default=None, help="Commit summary (default: names the recipe and hash).")
@click.option(
    "--format",
    "formats",
    type=click.Choice(TRAINING_FORMATS),
    multiple=True,
    help="Also push a training format as a config of its own (repeatable; see `ecbuild export`).",
)
@_common
@output_options
def push_command(
    repo_id: str,
    private: bool,
    revision: str | None,
    create_pr: bool,
    dry_run: bool,
    token: str | None,
    commit_message: str | None,
    formats: tuple[str, ...],
    recipe_name: str,
    workdir: Path,
) -> None:
    """Upload the dataset to the Hugging Face Hub in one commit, on top of the commit it listed.

    The files are those `ecbuild export --repo REPO` writes, staged in WORKDIR/push/ first. The commit
    is refused if the branch moved since the listing, and is tagged recipe-<recipe hash>.
    """
    from huggingface_hub.utils import disable_progress_bars

    from .push import PushOptions, check_repo_id, resolve_token, upload

    with _one_line_errors():
        options = PushOptions(
            check_repo_id(repo_id),
            private=private,
            revision=revision,
            create_pr=create_pr,
            token=token,
            commit_message=commit_message,
            formats=tuple(dict.fromkeys(formats)),
        )
        progress = show_progress()
        if not progress:
            disable_progress_bars()
        if dry_run:
            _dry_run(_load(recipe_name, workdir), options, progress=progress)
            return
        secret = resolve_token(token)  # before any work: a missing login fails in a second
        result, outcome = upload(_load(recipe_name, workdir), options, secret, progress=progress)
    for path in outcome.plan.deleted:
        click.echo(f"  deleted {path} (not in this version)")
    for path in outcome.plan.kept:
        click.echo(f"  kept {path} (a config this build does not produce)")
    if outcome.commit_url is None:
        click.echo(
            f"nothing to push: {repo_id}@{options.branch} already holds these {len(result.files)} files"
        )
    else:
        click.echo(
            f"pushed {len(outcome.plan.uploads)} of {len(result.files)} files: "
            f"{outcome.pr_url or outcome.commit_url}"
        )
    if outcome.tag:
        click.echo(f"tagged {outcome.tag}")


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
@output_options
def samples_command(out: Path, recipe_name: str, workdir: Path) -> None:
    """Write Markdown pages of rendered rows per task, an index with counts and charts, and index.html.

    A rerun replaces only the files an earlier run listed in OUT/samples-manifest.json; a non-empty
    folder without that manifest is refused, so your own files there are never deleted.
    """
    from .charts import CHARTS_INSTALL, charts_available
    from .samples import write_samples

    with _one_line_errors():
        written = write_samples(_load(recipe_name, workdir), out)
    if not charts_available():
        click.echo(f"note: charts skipped, matplotlib is not installed ({CHARTS_INSTALL})")
    click.echo(f"wrote {len(written)} files to {out}")
