"""`ecbuild eval`: score model predictions on the built dataset with each task's metric."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import EcbuildError, UsageError
from ..io import write_json
from ..verbosity import output_options
from .gold import DEFAULT_WORKDIR
from .paper import DEFAULT_PAPER_MODEL, PAPER_MODELS
from .report import format_report
from .scorer import Selection, evaluate
from .tasks import DEFAULT_PROTOCOL, PROTOCOLS, SETTINGS, TaskSpec, resolve_task, task_specs

EPILOG = """\b
Examples:
  ecbuild eval -p preds.jsonl
  ecbuild eval -p preds.jsonl --dataset ./ecbuild-work --setting IND_Diverse_Instruction --paper
  ecbuild eval -p preds.jsonl --dataset org/ECInstruct --json scores.json
  ecbuild eval -p sa.txt --aligned --task SA --setting OOD_Diverse_Instruction
  ecbuild eval -p preds.jsonl --protocol ecellm

\b
Predictions: JSONL, one {"id": "<row id>", "prediction": "<model text>"} a line.
With --aligned: one prediction per selected row (the --split/--setting/--task rows,
in dataset order: Parquet files sorted by path, rows in file order), as JSONL
{"prediction": "..."} lines or as plain text, one prediction a line.

\b
Protocols: ecbuild (default) parses answers strictly and counts invalid (unparseable)
and missing answers as wrong; its "valid only" column leaves them out, which is what
eCeLLM's evaluate.py did for the classification tasks only (for AVE it scored an
unparseable answer as an empty list, for QPR an invalid one as NDCG 0 over all rows).
--json writes every metric both ways. ecellm applies evaluate.py's own rules task by
task (see docs/fidelity.md), with one way of counting.
"""


class EvalFailure(click.ClickException):
    """A user-fixable problem, printed as one line, with the EcbuildError's exit code."""


def _split_values(values: tuple[str, ...]) -> list[str]:
    # Each option may be repeated and may hold a comma-separated list.
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _settings(values: tuple[str, ...]) -> tuple[str, ...]:
    chosen = _split_values(values)
    unknown = [s for s in chosen if s not in SETTINGS]
    if unknown:
        raise UsageError(f"unknown setting {unknown[0]!r}; use some of: {', '.join(SETTINGS)}")
    return tuple(dict.fromkeys(chosen))


def _tasks(values: tuple[str, ...]) -> tuple[TaskSpec, ...]:
    chosen: list[TaskSpec] = []
    for name in _split_values(values):
        spec = resolve_task(name)
        if spec is None:
            known = ", ".join(t.abbr for t in task_specs())
            raise UsageError(f"unknown task {name!r}; use some of: {known}")
        if spec not in chosen:
            chosen.append(spec)
    return tuple(chosen)


def _write(path: Path, payload: dict[str, object]) -> None:
    try:
        write_json(path, payload)
    except OSError as exc:
        raise EcbuildError(
            f"{path}: cannot write the JSON report ({exc.strerror}); choose another --json path"
        ) from exc


@click.command("eval", epilog=EPILOG)
@click.option(
    "--predictions",
    "-p",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Model outputs: JSONL keyed by row id (or an aligned file with --aligned).",
)
@click.option(
    "--dataset",
    default=DEFAULT_WORKDIR,
    show_default=True,
    help=(
        "A WORKDIR (uses dataset/*.parquet), an `ecbuild export` folder or Hub repo id (each row read "
        "once: the ninglab_table config), or any folder of Parquet files."
    ),
)
@click.option(
    "--split",
    type=click.Choice(["train", "validation", "test"]),
    default="test",
    show_default=True,
    help="Rows to score.",
)
@click.option("--setting", "settings", multiple=True, help="Only these settings (repeat or comma-separate).")
@click.option("--task", "tasks", multiple=True, help="Only these tasks: AVE, PRP, ... or ECInstruct names.")
@click.option(
    "--aligned", is_flag=True, help="Predictions follow the selected rows line by line, without ids."
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write every metric here.",
)
@click.option(
    "--protocol",
    type=click.Choice(list(PROTOCOLS)),
    default=DEFAULT_PROTOCOL,
    show_default=True,
    help="Scoring rules: ours (strict parsing), or ecellm (eCeLLM's evaluate.py, task by task).",
)
@click.option("--paper", is_flag=True, help="Add the eCeLLM paper's reported numbers as a column.")
@click.option(
    "--paper-model",
    type=click.Choice(PAPER_MODELS, case_sensitive=False),
    help=f"Which model row of the paper to show (implies --paper; default {DEFAULT_PAPER_MODEL}).",
)
@output_options
def eval_command(
    predictions: Path,
    dataset: str,
    split: str,
    settings: tuple[str, ...],
    tasks: tuple[str, ...],
    aligned: bool,
    json_out: Path | None,
    protocol: str,
    paper: bool,
    paper_model: str | None,
) -> None:
    """Score model outputs on the built dataset with each task's metric."""
    shown_model = paper_model or (DEFAULT_PAPER_MODEL if paper else None)
    try:
        selection = Selection(split, _settings(settings), _tasks(tasks))
        report = evaluate(
            predictions, dataset, selection, aligned=aligned, paper_model=shown_model, protocol=protocol
        )
        if json_out is not None:
            _write(json_out, report.to_json())
    except EcbuildError as exc:
        failure = EvalFailure(str(exc))
        failure.exit_code = exc.exit_code  # 2 for usage errors, 1 for the rest
        raise failure from exc
    for line in format_report(report):
        click.echo(line)
    if json_out is not None:
        click.echo(f"wrote {json_out}")
