"""Scoring predictions against tiny synthetic datasets, end to end below the CLI."""

from __future__ import annotations

import json
import types
from pathlib import Path

import polars as pl
import pytest
from evaluate_helpers import (
    IND,
    OOD,
    SA_OPTIONS,
    ave_output,
    gold_predictions,
    row,
    standard_rows,
    tasks_in,
    write_predictions,
    write_rows,
    write_workdir,
)

from ecinstruct_builder.errors import EcbuildError, SourceFileError
from ecinstruct_builder.evaluate import neural
from ecinstruct_builder.evaluate.scorer import EvalReport, GroupResult, Selection, evaluate
from ecinstruct_builder.evaluate.tasks import resolve_task

approx = pytest.approx


def by_abbr(report: EvalReport) -> dict[str, GroupResult]:
    return {r.abbr: r for r in report.results}


def run(
    tmp_path: Path, rows: list[dict[str, object]], predictions: dict[str, str], **kwargs: object
) -> EvalReport:
    workdir = write_workdir(tmp_path / "work", rows)
    preds = write_predictions(tmp_path / "preds.jsonl", predictions)
    return evaluate(preds, str(workdir), **kwargs)  # type: ignore[arg-type]


def test_gold_outputs_score_one_on_every_task(tmp_path: Path) -> None:
    rows = standard_rows()
    report = run(tmp_path, rows, gold_predictions(rows))
    results = by_abbr(report)
    assert list(results) == tasks_in(rows)
    for result in results.values():
        assert (result.invalid, result.missing, result.gold_invalid) == (0, 0, 0)
        assert result.metrics[result.primary] == approx(1.0), result.abbr
        assert result.valid_only[result.primary] == approx(1.0), result.abbr
    assert results["AG"].primary == "rouge_l"
    assert results["QPR"].rows == 3
    assert not any(report.id_issues.values())


def test_shuffled_predictions_score_lower_on_every_task(tmp_path: Path) -> None:
    rows = standard_rows()
    gold = gold_predictions(rows)
    shuffled: dict[str, str] = {}
    for task in {str(r["task"]) for r in rows}:
        ids = [str(r["id"]) for r in rows if r["task"] == task]
        rotated = ids[1:] + ids[:1]  # each row gets its neighbour's gold answer
        shuffled.update({i: gold[j] for i, j in zip(ids, rotated, strict=True)})
    results = by_abbr(run(tmp_path, rows, shuffled))
    assert list(results) == tasks_in(rows)
    for result in results.values():
        assert result.metrics[result.primary] < 1.0, result.abbr


def test_constant_yes_predictor_on_product_matching(tmp_path: Path) -> None:
    rows = standard_rows()
    report = run(tmp_path, rows, {f"pm{i}": "yes" for i in range(1, 6)})
    assert [r.abbr for r in report.results] == ["PM"]
    assert report.results[0].metrics == approx(
        {"accuracy": 0.6, "precision": 0.6, "recall": 1.0, "f1": 0.75, "specificity": 0.0, "npr": 0.0}
    )
    skipped = next(n for n in report.notes if n.startswith("not scored"))
    assert "Sentiment_Analysis/IND_Diverse_Instruction" in skipped


def test_id_problems_are_reported_and_missing_rows_count_as_wrong(tmp_path: Path) -> None:
    rows = [*standard_rows(), row("pm-train", "Product_Matching", "yes", split="train")]
    workdir = write_workdir(tmp_path / "work", rows)
    lines = [
        {"id": "pm1", "prediction": "yes"},
        {"id": "pm2", "prediction": "yes"},
        {"id": "pm1", "prediction": "no"},  # duplicate: the first line wins
        {"id": "pm3", "prediction": "yes"},
        {"id": "pm4", "prediction": "no"},
        {"id": "pm-train", "prediction": "yes"},  # a train row: outside the test selection
        {"id": "nobody", "prediction": "no"},
    ]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps(line) + "\n" for line in lines))
    report = evaluate(preds, str(workdir))
    assert report.id_issues == {
        "duplicate_ids": ["pm1"],
        "outside_selection_ids": ["pm-train"],
        "unknown_ids": ["nobody"],
        "missing_ids": ["pm5"],
    }
    pm = report.results[0]
    assert (pm.rows, pm.missing, pm.invalid) == (5, 1, 0)
    # pm5 (gold "no") has no answer: a false alarm -> tp=3 fp=1 tn=1 fn=0
    assert pm.metrics == approx(
        {"accuracy": 0.8, "precision": 0.75, "recall": 1.0, "f1": 6 / 7, "specificity": 0.5, "npr": 1.0}
    )
    assert pm.valid_only["f1"] == approx(1.0)


def test_invalid_answers_scored_both_ways(tmp_path: Path) -> None:
    rows = standard_rows()
    report = run(tmp_path, rows, {"sa1": "A", "sa2": "I am not sure", "sa3": "very negative"})
    sa = report.results[0]
    assert (sa.abbr, sa.invalid, sa.primary) == ("SA", 1, "macro_f1")
    # classes A, C, E: A and E perfect, C missed -> macro F1 = 2/3, accuracy 2/3
    assert sa.metrics["macro_f1"] == approx(2 / 3)
    assert sa.metrics["accuracy"] == approx(2 / 3)
    assert sa.valid_only == approx(
        {"accuracy": 1.0, "macro_precision": 1.0, "macro_recall": 1.0, "macro_f1": 1.0}
    )


def test_all_invalid_group(tmp_path: Path) -> None:
    report = run(tmp_path, standard_rows(), {"ap1": "maybe", "ap2": "unclear"})
    ap = report.results[0]
    assert (ap.abbr, ap.invalid, ap.rows) == ("AP", 2, 2)
    assert ap.metrics == dict.fromkeys(("accuracy", "precision", "recall", "f1", "specificity", "npr"), 0.0)
    assert set(ap.valid_only.values()) == {None}


def test_ave_is_lenient_on_ood_settings_only(tmp_path: Path) -> None:
    gold = ave_output(("color", "dark red", "product title"))
    rows = [
        row("in", "Attribute_Value_Extraction", gold, setting=IND),
        row("out", "Attribute_Value_Extraction", gold, setting=OOD),
    ]
    answer = ave_output(("color", "Red", "title"))
    results = {r.setting: r for r in run(tmp_path, rows, {"in": answer, "out": answer}).results}
    assert results[IND].metrics["f1"] == 0.0
    assert results[OOD].metrics["f1"] == approx(1.0)


def test_qpr_without_labels_falls_back_to_position_gains(tmp_path: Path) -> None:
    rows = [row("q1", "Query_Product_Rank", "B,A"), row("q2", "Query_Product_Rank", "C,A,B")]
    report = run(tmp_path, rows, {"q1": "A,B", "q2": "C,A,B"})
    # q1: gains by gold position B=1, A=0.1, predicted A,B -> same arithmetic as the metric test
    s = 2**0.1 - 1
    q1 = (s + 1 / 1.584962500721156) / (1 + s / 1.584962500721156)
    assert report.results[0].metrics["ndcg"] == approx((q1 + 1.0) / 2)
    assert any(n.startswith("QPR: 2 rows have no `labels`") for n in report.notes)


def test_aligned_predictions_follow_the_selection_order(tmp_path: Path) -> None:
    workdir = write_workdir(tmp_path / "work", standard_rows())
    preds = tmp_path / "sa.txt"
    preds.write_text("A\nC: neutral\nB\n")
    selection = Selection("test", (IND,), (resolve_task("SA"),))  # type: ignore[arg-type]
    report = evaluate(preds, str(workdir), selection, aligned=True)
    sa = report.results[0]
    assert (sa.abbr, sa.rows, sa.invalid, sa.missing) == ("SA", 3, 0, 0)
    assert sa.metrics["accuracy"] == approx(2 / 3)  # sa3's gold is E, the third line says B

    preds.write_text('{"prediction": "A"}\n{"prediction": "C"}\n{"prediction": "E"}\n')
    assert evaluate(preds, str(workdir), selection, aligned=True).results[0].metrics["accuracy"] == 1.0

    preds.write_text("A\nC\n")
    with pytest.raises(
        EcbuildError, match=r"2 predictions for 3 rows \(split=test setting=IND_Diverse_Instruction"
    ):
        evaluate(preds, str(workdir), selection, aligned=True)


def test_other_split_and_misspelled_task_names(tmp_path: Path) -> None:
    rows = [
        row("v1", "Product_Substitue_Identification", "yes", split="val"),  # eCeLLM's typo and split name
        row("t1", "Product_Substitute_Identification", "no"),
    ]
    report = run(tmp_path, rows, {"v1": "yes"}, selection=Selection(split="validation"))
    assert [(r.abbr, r.rows, r.metrics["f1"]) for r in report.results] == [("PSI", 1, 1.0)]


def test_bad_gold_rows_and_unknown_tasks_are_reported(tmp_path: Path) -> None:
    rows = [
        row("s1", "Sentiment_Analysis", "A: very positive", SA_OPTIONS),
        row("s2", "Sentiment_Analysis", "not an option", SA_OPTIONS),
        row("x1", "Haiku_Writing", "an old pond"),
    ]
    report = run(tmp_path, rows, {"s1": "A", "s2": "B", "x1": "frog"})
    assert [(r.abbr, r.rows, r.gold_invalid) for r in report.results] == [("SA", 1, 1)]
    assert "1 rows of unknown task 'Haiku_Writing' (IND_Diverse_Instruction) were not scored" in report.notes
    assert any(
        n.startswith("1 gold rows of SA/IND_Diverse_Instruction could not be read") for n in report.notes
    )


def test_ag_uses_f_bert_when_the_model_metrics_can_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_scores(golds: list[str], preds: list[str]) -> dict[str, list[float]]:
        return {"f_bert": [0.9] * len(golds)}

    monkeypatch.setattr(neural, "model_scores", fake_scores)
    report = run(tmp_path, standard_rows(), {"ag1": "It fits a queen size frame without tools.", "ag2": " "})
    ag = report.results[0]
    assert (ag.primary, ag.invalid) == ("f_bert", 1)
    assert ag.metrics["f_bert"] == approx(0.45)  # (0.9 + 0 for the blank answer) / 2
    assert ag.valid_only["f_bert"] == approx(0.9)
    assert ag.metrics["bleurt"] is None


def test_model_metric_notes_say_how_to_enable_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real availability(), with its imports and cache lookups faked below
    neural.availability.cache_clear()
    monkeypatch.setattr(neural.importlib.util, "find_spec", lambda name: None)
    assert "BERTScore skipped: the `bert_score` package is not installed" in neural.skipped_notes()[0]
    neural.availability.cache_clear()
    monkeypatch.setattr(neural.importlib.util, "find_spec", lambda name: types.SimpleNamespace(name=name))
    monkeypatch.setattr(neural, "_local_model_dir", lambda repo: None)
    notes = neural.skipped_notes()
    neural.availability.cache_clear()
    assert notes[1] == (
        "BLEURT skipped: lucadiliello/BLEURT-20-D12 is not in the local Hugging Face cache "
        "(run `huggingface-cli download lucadiliello/BLEURT-20-D12` once; ecbuild never downloads it)"
    )


def test_json_has_every_metric_and_the_papers_number(tmp_path: Path) -> None:
    rows = [*standard_rows(), row("sa-unseen", "Sentiment_Analysis", "B: positive", SA_OPTIONS, setting=OOD)]
    report = run(
        tmp_path, rows, {"sa1": "A", "sa2": "C", "sa3": "E", "sa-unseen": "B"}, paper_model="eCeLLM-M"
    )
    payload = report.to_json()
    first, second = payload["results"]
    assert (first["setting"], first["paper"]["value"], first["paper"]["metric"]) == (IND, 0.639, "Macro F1")
    assert (second["setting"], second["paper"]["value"]) == (OOD, 0.640)
    assert set(first["metrics"]) == {"accuracy", "macro_precision", "macro_recall", "macro_f1"}
    assert first["primary_metric"] == "macro_f1"
    assert payload["mode"] == "keyed"
    assert (
        report.to_json()
        == evaluate(Path(report.predictions), report.dataset, paper_model="eCeLLM-M").to_json()
    )


def test_folder_of_parquet_files_is_searched_recursively(tmp_path: Path) -> None:
    rows = standard_rows()
    write_rows(
        tmp_path / "export" / "sa" / "test.parquet", [r for r in rows if r["task"] == "Sentiment_Analysis"]
    )
    write_rows(tmp_path / "export" / "stats.parquet", [{"name": "rows", "count": 3}])  # not dataset rows
    preds = write_predictions(tmp_path / "p.jsonl", {"sa1": "A", "sa2": "C", "sa3": "E"})
    report = evaluate(preds, str(tmp_path / "export"))
    assert [(r.abbr, r.metrics["accuracy"]) for r in report.results] == [("SA", 1.0)]


def test_dataset_errors(tmp_path: Path) -> None:
    preds = write_predictions(tmp_path / "p.jsonl", {"sa1": "A"})
    with pytest.raises(SourceFileError, match="no such folder; run `ecbuild render` first"):
        evaluate(preds, str(tmp_path / "missing-workdir"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceFileError, match="no Parquet or JSON file with the columns task, setting"):
        evaluate(preds, str(tmp_path / "empty"))
    with pytest.raises(SourceFileError, match="is a file"):
        evaluate(preds, str(preds))


def test_nothing_to_score(tmp_path: Path) -> None:
    with pytest.raises(EcbuildError, match="none of its ids is a row of split=test"):
        run(tmp_path, standard_rows(), {"elsewhere": "yes"})
    with pytest.raises(EcbuildError, match="no rows with split=validation; check --split"):
        run(tmp_path, standard_rows(), {"pm1": "yes"}, selection=Selection(split="validation"))


def test_typed_options_of_an_export_score_like_text_options(tmp_path: Path) -> None:
    rows = standard_rows()
    write_rows(tmp_path / "text" / "rows.parquet", rows)
    # As in an export: typed configs (options a list) next to NingLab's table (options as text).
    half = len(rows) // 2
    write_rows(tmp_path / "export" / "table.parquet", rows[:half])
    typed = pl.DataFrame(rows[half:]).with_columns(
        pl.col("options").map_elements(lambda o: json.loads(o) if o else [], return_dtype=pl.List(pl.String))
    )
    typed.write_parquet(tmp_path / "export" / "typed.parquet")
    preds = write_predictions(tmp_path / "p.jsonl", {r["id"]: r["output"] for r in rows})
    text_report, mixed_report = (
        evaluate(preds, str(tmp_path / "text")),
        evaluate(preds, str(tmp_path / "export")),
    )
    assert [(r.abbr, r.rows, r.metrics) for r in mixed_report.results] == [
        (r.abbr, r.rows, r.metrics) for r in text_report.results
    ]
