"""`--protocol ecellm`: evaluate.py's rules where they differ from ours, and where evaluate.py stops."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from evaluate_helpers import (
    IND,
    OOD,
    SA_OPTIONS,
    ave_output,
    gold_predictions,
    row,
    standard_rows,
    write_predictions,
    write_workdir,
)

from ecinstruct_builder.evaluate import neural
from ecinstruct_builder.evaluate.command import eval_command
from ecinstruct_builder.evaluate.ecellm import ECELLM_SCORING
from ecinstruct_builder.evaluate.scorer import EvalReport, GroupResult, evaluate
from ecinstruct_builder.evaluate.tasks import PROTOCOLS, task_specs
from ecinstruct_builder.tasks import builders
from ecinstruct_builder.tasks.base import AnswerFormat

approx = pytest.approx


def run(
    tmp_path: Path, rows: list[dict[str, object]], predictions: dict[str, str], protocol: str
) -> EvalReport:
    workdir = write_workdir(tmp_path / protocol / "work", rows)
    preds = write_predictions(tmp_path / protocol / "preds.jsonl", predictions)
    return evaluate(preds, str(workdir), protocol=protocol)


def both(
    tmp_path: Path, rows: list[dict[str, object]], predictions: dict[str, str]
) -> tuple[GroupResult, GroupResult]:
    """The first group's result under ecbuild and under ecellm."""
    ours = run(tmp_path, rows, predictions, "ecbuild").results[0]
    theirs = run(tmp_path, rows, predictions, "ecellm").results[0]
    return ours, theirs


def test_every_answer_format_and_task_has_an_ecellm_scorer() -> None:
    assert set(ECELLM_SCORING) == set(AnswerFormat)
    assert [s.name for s in task_specs("ecellm")] == [b.name for b in builders().values()]


def test_option_answers_are_read_by_their_first_character(tmp_path: Path) -> None:
    rows = [r for r in standard_rows() if r["task"] == "Sentiment_Analysis"]
    ours, theirs = both(tmp_path, rows, {"sa1": "(A)", "sa2": "C.", "sa3": "very negative"})
    assert (ours.invalid, ours.metrics["accuracy"]) == (0, 1.0)  # ours reads all three
    # evaluate.py: "(" is not a letter (left out), "C." is C, "v" is not a letter (left out)
    assert (theirs.invalid, theirs.metrics["accuracy"], theirs.valid_only) == (2, 1.0, None)


def test_an_empty_option_answer_is_left_out_with_a_note(tmp_path: Path) -> None:
    rows = [r for r in standard_rows() if r["task"] == "Sentiment_Analysis"]
    report = run(tmp_path, rows, {"sa1": "A", "sa2": "", "sa3": "B"}, "ecellm")
    sa = report.results[0]
    assert (sa.invalid, sa.metrics["accuracy"]) == (1, 0.5)
    assert "SA/IND_Diverse_Instruction: 1 empty answers: evaluate.py stops on them" in " ".join(report.notes)


def test_yes_no_must_be_the_whole_answer(tmp_path: Path) -> None:
    rows = [r for r in standard_rows() if r["task"] == "Product_Matching"]  # gold yes, yes, yes, no, no
    answers = {"pm1": "Yes, they match.", "pm2": " YES ", "pm3": "no", "pm4": "no", "pm5": "yes"}
    ours, theirs = both(tmp_path, rows, answers)
    assert ours.invalid == 0 and ours.metrics["accuracy"] == approx(0.6)
    # evaluate.py drops pm1; on the rest: tp=1 (pm2), fn=1 (pm3), tn=1 (pm4), fp=1 (pm5)
    assert theirs.invalid == 1
    assert theirs.metrics == approx(
        {"accuracy": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5, "specificity": 0.5, "npr": 0.5}
    )


def test_one_class_binary_group_gets_the_defined_value_and_a_note(tmp_path: Path) -> None:
    rows = [r for r in standard_rows() if r["task"] == "Product_Matching"]
    report = run(tmp_path, rows, {"pm1": "yes", "pm2": "yes", "pm3": "yes", "pm4": "x", "pm5": "?"}, "ecellm")
    pm = report.results[0]
    assert pm.metrics == approx(
        {"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0, "specificity": 0.0, "npr": 0.0}
    )
    assert any("every valid answer and its gold say 'yes': evaluate.py stops here" in n for n in report.notes)


def test_no_valid_answer_is_undefined(tmp_path: Path) -> None:
    rows = [r for r in standard_rows() if r["task"] == "Answerability_Prediction"]
    report = run(tmp_path, rows, {"ap1": "maybe", "ap2": "unclear"}, "ecellm")
    assert set(report.results[0].metrics.values()) == {None}
    assert any("no valid answer" in n for n in report.notes)


def test_unparseable_ave_answer_is_an_empty_list(tmp_path: Path) -> None:
    gold = ave_output(("color", "red", "product title"))
    rows = [row("a1", "Attribute_Value_Extraction", gold), row("a2", "Attribute_Value_Extraction", gold)]
    ours, theirs = both(tmp_path, rows, {"a1": gold, "a2": f"```json\n{gold}\n```"})
    assert ours.metrics["recall"] == 1.0  # ours reads the fenced JSON
    assert theirs.invalid == 1
    assert theirs.metrics["recall"] == 0.5  # the fenced answer scored as an empty list
    assert theirs.metrics["precision"] == approx(1 / (1 + 1e-6))


def test_ave_counts_every_matching_pair_and_compares_text_exactly(tmp_path: Path) -> None:
    gold = ave_output(("color", "red", "product title"))
    rows = [row("a1", "Attribute_Value_Extraction", gold), row("a2", "Attribute_Value_Extraction", gold)]
    twice = ave_output(("color", "red", "product title"), ("color", "red", "product title"))
    answers = {"a1": twice, "a2": ave_output(("Color", "Red", "product title"))}
    ours, theirs = both(tmp_path, rows, answers)
    assert ours.metrics["recall"] == 1.0 and ours.metrics["precision"] == approx(2 / 2)  # duplicates collapse
    assert theirs.metrics["recall"] == 1.0  # two hits for a1, none for the capitalised a2
    assert theirs.metrics["precision"] == approx(2 / (3 + 1e-6))


def test_ave_lenient_rule_on_ood(tmp_path: Path) -> None:
    gold = ave_output(("color", "dark red", "product title"))
    rows = [
        row("i", "Attribute_Value_Extraction", gold),
        row("o", "Attribute_Value_Extraction", gold, setting=OOD),
    ]
    answer = ave_output(("color", "red", "title"))
    results = {r.setting: r for r in run(tmp_path, rows, {"i": answer, "o": answer}, "ecellm").results}
    assert results[IND].metrics["recall"] == 0.0
    assert results[OOD].metrics["recall"] == 1.0


def test_qpr_invalid_answer_scores_zero_over_all_rows(tmp_path: Path) -> None:
    rows = [r for r in standard_rows() if r["task"] == "Query_Product_Rank"]
    answers = {"qpr1": "B,A", "qpr2": "no idea", "qpr3": "D,B"}  # qpr3 leaves two items out
    ours, theirs = both(tmp_path, rows, answers)
    assert ours.invalid == 1 and ours.valid_only["ndcg"] < 1.0  # ours: left-out items cost
    # evaluate.py: qpr1 perfect, qpr2 0, qpr3 ranked D (E) then B (S): ideal for those two items
    assert theirs.metrics["ndcg"] == approx(2 / 3, abs=1e-5)
    assert theirs.invalid == 1  # one unreadable piece ("no idea")


def test_qpr_pieces_are_read_by_their_first_character(tmp_path: Path) -> None:
    rows = [r for r in standard_rows() if r["task"] == "Query_Product_Rank"][:1]  # gold B,A; B is E
    theirs = run(tmp_path, rows, {"qpr1": "A, B"}, "ecellm").results[0]
    assert theirs.invalid == 1  # " B" starts with a space
    assert theirs.metrics["ndcg"] == approx(1.0, abs=1e-4)  # A alone is its own ideal order


def test_missing_prediction_is_an_empty_answer(tmp_path: Path) -> None:
    rows = [
        row("s1", "Sentiment_Analysis", "A: very positive", SA_OPTIONS),
        row("s2", "Sentiment_Analysis", "B: positive", SA_OPTIONS),
    ]
    sa = run(tmp_path, rows, {"s1": "A"}, "ecellm").results[0]
    assert (sa.missing, sa.invalid, sa.metrics["accuracy"]) == (1, 1, 1.0)


def test_cli_protocol_option_table_and_json(tmp_path: Path) -> None:
    workdir = write_workdir(tmp_path / "work", standard_rows())
    preds = write_predictions(tmp_path / "p.jsonl", gold_predictions(standard_rows()))
    out = tmp_path / "scores.json"
    args = ["-p", str(preds), "--dataset", str(workdir), "--json", str(out)]
    result = CliRunner().invoke(eval_command, [*args, "--protocol", "ecellm"])
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if line.startswith("task"))
    assert "valid only" not in header
    assert PROTOCOLS["ecellm"].summary in result.output
    payload = json.loads(out.read_text())
    assert payload["protocol"] == "ecellm"
    assert all(r["metrics_valid_only"] is None for r in payload["results"])
    default = CliRunner().invoke(eval_command, args)
    assert "primary, valid only" in default.output and PROTOCOLS["ecbuild"].summary in default.output
    assert json.loads(out.read_text())["protocol"] == "ecbuild"
    wrong = CliRunner().invoke(eval_command, [*args, "--protocol", "paper"])
    assert wrong.exit_code == 2 and "Invalid value for '--protocol'" in wrong.output


def test_gold_scores_one_on_every_task(tmp_path: Path) -> None:
    report = run(tmp_path, standard_rows(), gold_predictions(standard_rows()), "ecellm")
    for result in report.results:
        assert result.invalid == 0, result.abbr
        assert math.isclose(result.metrics[result.primary], 1.0, abs_tol=1e-5), result.abbr


def test_ag_bertscore_reads_whole_texts_and_bleurt_cut_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[str]] = {}

    def fake_metric(metric: neural.ModelMetric, golds: list[str], preds: list[str]) -> dict[str, list[float]]:
        seen[metric.label] = list(preds)
        return {name: [0.5] * len(golds) for name in metric.names}

    monkeypatch.setattr(neural, "metric_scores", fake_metric)
    long_answer = " ".join(["word"] * 301)
    rows = [row("g1", "Answer_Generation", "a short gold answer"), row("g2", "Answer_Generation", "another")]
    ag = run(tmp_path, rows, {"g1": long_answer, "g2": " "}, "ecellm").results[0]
    assert seen["BERTScore"] == [long_answer, " "]
    assert seen["BLEURT"] == [" ".join(["word"] * 300), " "]
    assert (ag.primary, ag.invalid, ag.metrics["f_bert"], ag.metrics["bleurt"]) == ("f_bert", 0, 0.5, 0.5)
