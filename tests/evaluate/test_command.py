"""`ecbuild eval` through click's CliRunner, on the command object itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from evaluate_helpers import gold_predictions, standard_rows, tasks_in, write_predictions, write_workdir

from ecinstruct_builder.evaluate.command import eval_command
from ecinstruct_builder.evaluate.tasks import task_specs
from ecinstruct_builder.tasks import builders


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return write_workdir(tmp_path / "work", standard_rows())


def invoke(*args: str | Path, color: bool = False) -> Result:
    return CliRunner().invoke(eval_command, [str(a) for a in args], color=color)


def error_line(result: Result, code: int = 1) -> str:
    """The one error line; exit status 1 for data errors, 2 for usage errors."""
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output  # one line, no traceback
    return lines[0]


def test_table_json_and_paper_column(tmp_path: Path, workdir: Path) -> None:
    preds = write_predictions(tmp_path / "p.jsonl", gold_predictions(standard_rows()))
    out = tmp_path / "scores.json"
    result = invoke("-p", preds, "--dataset", workdir, "--json", out, "--paper")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(line for line in lines if line.startswith("task"))
    assert header.split()[-2:] == ["paper", "eCeLLM-M"]
    sa = next(line for line in lines if line.startswith("SA "))
    assert sa.split()[:5] == ["SA", "IND_Diverse_Instruction", "3", "0", "0"]
    assert sa.endswith("0.639")
    ag = next(line for line in lines if line.startswith("AG "))
    assert ag.endswith("0.842 (F_BERT)")  # ROUGE-L here, so the paper's metric is named
    assert f"wrote {out}" in lines
    payload = json.loads(out.read_text())
    assert [r["abbr"] for r in payload["results"]] == tasks_in(standard_rows())
    assert payload["results"][0]["metrics"] == {"f1": 1.0, "precision": 1.0, "recall": 1.0}


@pytest.fixture
def psi_without_paper(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PSI as a task the paper reports nothing for."""
    monkeypatch.setattr(type(builders()["PSI"]), "paper", None)
    task_specs.cache_clear()
    yield
    monkeypatch.undo()
    task_specs.cache_clear()


@pytest.mark.usefixtures("psi_without_paper")
def test_a_task_without_paper_numbers_shows_none(tmp_path: Path, workdir: Path) -> None:
    preds = write_predictions(tmp_path / "p.jsonl", gold_predictions(standard_rows()))
    out = tmp_path / "scores.json"
    result = invoke("-p", preds, "--dataset", workdir, "--task", "PSI,SA", "--paper", "--json", out)
    assert result.exit_code == 0, result.output
    psi = next(line for line in result.output.splitlines() if line.startswith("PSI "))
    assert psi.endswith("n/a")
    assert next(line for line in result.output.splitlines() if line.startswith("SA ")).endswith("0.639")
    papers = {r["abbr"]: r["paper"] for r in json.loads(out.read_text())["results"]}
    assert papers["PSI"]["value"] is None and papers["PSI"]["metric"] is None
    assert papers["SA"]["value"] == 0.639


def test_primary_metric_is_bold(tmp_path: Path, workdir: Path) -> None:
    preds = write_predictions(tmp_path / "p.jsonl", {"pm1": "yes", "pm2": "no", "pm3": "yes", "pm4": "no"})
    result = invoke("-p", preds, "--dataset", workdir, color=True)
    assert result.exit_code == 0, result.output
    # tp=2 (pm1, pm3), fn=1 (pm2), tn=1 (pm4), fp=1 (pm5 missing, gold no): P=R=F1=2/3
    assert "\x1b[1mF1 0.667\x1b[0m" in result.output
    assert (
        "warning: rows of the scored groups without a prediction: 1 (counted as wrong): pm5" in result.output
    )


def test_paper_model_choice_implies_paper(tmp_path: Path, workdir: Path) -> None:
    preds = write_predictions(tmp_path / "p.jsonl", {"sr1": "D", "sr2": "Q", "sr3": "A"})
    result = invoke("-p", preds, "--dataset", workdir, "--paper-model", "gpt-4-turbo")
    assert result.exit_code == 0, result.output
    sr = next(line for line in result.output.splitlines() if line.startswith("SR "))
    assert "HR@1 0.667" in sr
    assert sr.endswith("0.387")


def test_aligned_with_task_and_setting(tmp_path: Path, workdir: Path) -> None:
    preds = tmp_path / "sa.txt"
    preds.write_text("A\nC\nE\n")
    result = invoke(
        "-p", preds, "--dataset", workdir, "--aligned", "--task", "SA", "--setting", "IND_Diverse_Instruction"
    )
    assert result.exit_code == 0, result.output
    assert "(aligned row by row)" in result.output
    assert "M-F1 1.000" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the predictions file is empty"),
        ("\n\n", "the predictions file is empty"),
        ("id,prediction\npm1,yes\n", ":1: not JSON (Expecting value)"),
        ('{"id": "pm1", "prediction": "yes"}\n["pm2", "no"]\n', ":2: not a JSON object"),
        ('{"id": "pm1"}\n', ':1: no "prediction" field'),
        ('{"prediction": "yes"}\n', ':1: no "id" field; each line must be {"id": "<row id>"'),
        ('{"id": ["pm1"], "prediction": "yes"}\n', ':1: "id" must be a string'),
    ],
)
def test_bad_prediction_files(tmp_path: Path, workdir: Path, content: str, message: str) -> None:
    preds = tmp_path / "p.jsonl"
    preds.write_text(content)
    line = error_line(invoke("-p", preds, "--dataset", workdir))
    assert line.startswith(f"Error: {preds}")
    assert message in line


def test_missing_predictions_file(tmp_path: Path, workdir: Path) -> None:
    line = error_line(invoke("-p", tmp_path / "nope.jsonl", "--dataset", workdir))
    expected = "predictions file not found; pass the file your model wrote to --predictions"
    assert line == f"Error: {tmp_path / 'nope.jsonl'}: {expected}"


def test_not_utf8_and_aligned_count_mismatch(tmp_path: Path, workdir: Path) -> None:
    preds = tmp_path / "p.jsonl"
    preds.write_bytes(b'{"id": "pm1", "prediction": "\xff"}\n')
    assert "p.jsonl:1: not UTF-8 text" in error_line(invoke("-p", preds, "--dataset", workdir))
    preds.write_text("A\n")
    line = error_line(invoke("-p", preds, "--dataset", workdir, "--aligned", "--task", "SA"))
    assert "1 predictions for 3 rows (split=test task=SA)" in line


def test_bad_options(tmp_path: Path, workdir: Path) -> None:
    preds = write_predictions(tmp_path / "p.jsonl", {"pm1": "yes"})
    assert "unknown setting 'IND'" in error_line(
        invoke("-p", preds, "--dataset", workdir, "--setting", "IND"), code=2
    )
    assert "unknown task 'XYZ'; use some of: AVE, PRP" in error_line(
        invoke("-p", preds, "--dataset", workdir, "--task", "SA,XYZ"), code=2
    )
    assert "no such folder" in error_line(invoke("-p", preds, "--dataset", tmp_path / "nowhere"))


def test_unwritable_json_path(tmp_path: Path, workdir: Path) -> None:
    preds = write_predictions(tmp_path / "p.jsonl", {"pm1": "yes"})
    blocker = tmp_path / "file"
    blocker.write_text("")
    line = error_line(invoke("-p", preds, "--dataset", workdir, "--json", blocker / "out.json"))
    assert "cannot write the JSON report" in line


def test_help_has_examples() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert (
        "ecbuild eval -p preds.jsonl --dataset ./ecbuild-work --setting IND_Diverse_Instruction --paper"
        in (result.output)
    )
    assert "--aligned" in result.output and "dataset order" in result.output
