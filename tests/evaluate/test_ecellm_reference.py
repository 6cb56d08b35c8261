"""`ecbuild eval --protocol ecellm` against a plain re-implementation of eCeLLM's evaluate.py.

The reference below is written loop by loop, the way evaluate.py reads (branch per task, counters,
try/except), and shares no code with ecinstruct_builder.evaluate. Prediction sets are derived from the
demo build's test rows: the gold answers, 30% flipped to another valid answer, 10% unreadable, and
common answer wrappers (`(B)`, `B.`, `Yes, ...`, fenced JSON, spaced lists...).
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from ecinstruct_builder.evaluate.command import eval_command
from ecinstruct_builder.tasks import builders
from ecinstruct_builder.tasks.base import AnswerFormat

Row = dict[str, object]

# evaluate.py has one branch per task; the tasks say which branch is theirs by their answer format.
FORMAT_OF = {builder.name: builder.answer_format for builder in builders().values()}
GAINS = {"E": 1.0, "S": 0.1, "C": 0.01, "I": 0}


# --- the reference: evaluate.py's rules, written out ---------------------------------------------


def reference_binary(labels: list[str], predictions: list[str]) -> tuple[dict[str, float], int]:
    skipped = 0
    kept_labels, kept_predictions = [], []
    for i in range(len(predictions)):
        pred = predictions[i].lower().strip()
        if pred in ("yes", "no"):
            kept_predictions.append(pred)
            kept_labels.append(labels[i])
        else:
            skipped += 1
    tp = fp = tn = fn = 0
    for label, pred in zip(kept_labels, kept_predictions, strict=True):
        if label == "yes" and pred == "yes":
            tp += 1
        elif label == "no" and pred == "yes":
            fp += 1
        elif label == "yes" and pred == "no":
            fn += 1
        else:
            tn += 1
    scores = {
        "accuracy": (tp + tn) / len(kept_labels),
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
        "specificity": tn / (tn + fp + 1e-8),
        "npr": tn / (tn + fn + 1e-8),
    }
    return scores, skipped


def reference_multiclass(labels: list[str], predictions: list[str]) -> tuple[dict[str, float], int]:
    skipped = 0
    kept_labels, kept_predictions = [], []
    for i in range(len(predictions)):
        pred = predictions[i].strip()
        if pred and pred[0] in ("A", "B", "C", "D", "E"):  # evaluate.py stops on an empty answer
            kept_predictions.append(pred[0])
            kept_labels.append(labels[i][0])
        else:
            skipped += 1
    classes = sorted(set(kept_labels) | set(kept_predictions))
    precisions, recalls, f1s = [], [], []
    for c in classes:
        tp = predicted = actual = 0
        for label, pred in zip(kept_labels, kept_predictions, strict=True):
            tp += label == c and pred == c
            predicted += pred == c
            actual += label == c
        precisions.append(tp / predicted if predicted else 0.0)
        recalls.append(tp / actual if actual else 0.0)
        f1s.append(2 * tp / (predicted + actual) if predicted + actual else 0.0)
    correct = sum(1 for label, pred in zip(kept_labels, kept_predictions, strict=True) if label == pred)
    scores = {
        "accuracy": correct / len(kept_labels),
        "macro_precision": sum(precisions) / len(classes),
        "macro_recall": sum(recalls) / len(classes),
        "macro_f1": sum(f1s) / len(classes),
    }
    return scores, skipped


def reference_recommendation(labels: list[str], predictions: list[str]) -> tuple[dict[str, float], int]:
    skipped = 0
    correct = kept = 0
    for i in range(len(predictions)):
        pred = predictions[i].strip()
        if pred in [chr(ord("A") + k) for k in range(20)]:
            kept += 1
            correct += pred == labels[i]
        else:
            skipped += 1
    return {"hr@1": correct / kept}, skipped


def reference_exact(pred: object, label: dict) -> bool:
    return type(pred) is dict and all(pred[k] == label[k] for k in ("attribute", "value", "source"))


def reference_lenient(pred: object, label: dict) -> bool:
    if type(pred) is not dict or pred["attribute"] != label["attribute"]:
        return False
    if pred["value"] is None or pred["source"] is None:
        return False
    value, gold_value = str(pred["value"]), str(label["value"])
    if not (value in gold_value or gold_value in value):
        return False
    return pred["source"] in label["source"] or label["source"] in pred["source"]


def reference_ave(labels: list[str], predictions: list[str], setting: str) -> tuple[dict[str, float], int]:
    idx2pred = {}
    pred_skipped = 0
    for i in range(len(predictions)):
        try:
            idx2pred[i] = json.loads(predictions[i])
            if type(idx2pred[i]) is not list:
                idx2pred[i] = []
        except json.JSONDecodeError:
            idx2pred[i] = []
            pred_skipped += 1
    count_label, count_pred, hits = {}, {}, {}
    for i in range(len(labels)):
        for label in json.loads(labels[i]):
            count_label[label["attribute"]] = count_label.get(label["attribute"], 0) + 1
            for pred in idx2pred[i]:
                has_keys = "attribute" in pred and "value" in pred and "source" in pred
                lenient = "OOD" in setting and has_keys and reference_lenient(pred, label)
                if has_keys and (reference_exact(pred, label) or lenient):
                    hits[pred["attribute"]] = hits.get(pred["attribute"], 0) + 1
    for i in range(len(predictions)):
        for pred in idx2pred[i]:
            if "attribute" in pred:
                count_pred[pred["attribute"]] = count_pred.get(pred["attribute"], 0) + 1
    total_hit = sum(hits.values())
    recall = total_hit / sum(count_label.values())
    precision = total_hit / (sum(count_pred.values()) + 1e-6)
    f1 = (2 * recall * precision) / (recall + precision + 1e-6)
    return {"precision": precision, "recall": recall, "f1": f1}, pred_skipped


def reference_ranking(option_labels: list[list[str]], predictions: list[str]) -> tuple[dict[str, float], int]:
    def dcg(scores: list[float]) -> float:
        return sum((2 ** scores[i] - 1) / math.log2(i + 2) for i in range(len(scores)))

    total = 0.0
    skipped = 0
    for i in range(len(predictions)):
        letter_label = {chr(ord("A") + k): label for k, label in enumerate(option_labels[i])}
        scores = []
        for rank in predictions[i].strip().split(","):
            try:
                scores.append(GAINS[letter_label[rank[0]]])
            except (IndexError, KeyError):
                skipped += 1
        total += dcg(scores) / (dcg(sorted(scores, reverse=True)) + 1e-6)
    return {"ndcg": total / len(option_labels)}, skipped


def reference(
    answer_format: AnswerFormat, setting: str, rows: list[Row], predictions: list[str]
) -> tuple[dict[str, float], int]:
    labels = [str(row["output"]) for row in rows]
    if answer_format is AnswerFormat.JSON_TRIPLES:
        return reference_ave(labels, predictions, setting)
    if answer_format is AnswerFormat.YES_NO:
        return reference_binary(labels, predictions)
    if answer_format is AnswerFormat.CANDIDATE_LETTER:
        return reference_recommendation(labels, predictions)
    if answer_format is AnswerFormat.OPTION_LETTER:
        return reference_multiclass(labels, predictions)
    assert answer_format is AnswerFormat.LETTER_RANKING
    return reference_ranking([json.loads(str(row["labels"])) for row in rows], predictions)


# --- prediction sets from the demo build -------------------------------------------------------


def share(row: Row, salt: str) -> float:
    """A fixed number in [0, 1) per row and purpose."""
    return zlib.crc32(f"{salt}:{row['id']}".encode()) / 2**32


def other_option(row: Row) -> str:
    options = json.loads(str(row["options"]))
    position = next(i for i, option in enumerate(options) if option[0] == str(row["output"])[0])
    return options[(position + 1) % len(options)]


def clipped(value: object) -> object:
    """The value without its last character: contained in the gold one, but not equal to it."""
    return value[:-1] if isinstance(value, str) and len(value) > 1 else value


def flipped(row: Row) -> str:
    """A valid answer that is not the gold one."""
    kind, gold = FORMAT_OF[str(row["task"])], str(row["output"])
    if kind is AnswerFormat.YES_NO:
        return "no" if gold == "yes" else "yes"
    if kind is AnswerFormat.CANDIDATE_LETTER:
        return other_option(row)[0]
    if kind is AnswerFormat.OPTION_LETTER:
        return other_option(row)
    if kind is AnswerFormat.JSON_TRIPLES:
        # Half wrong values, half clipped ones (a lenient match on OOD settings only).
        shorten = share(row, "shorten") < 0.5
        triples = json.loads(gold)
        return json.dumps([{**t, "value": clipped(t["value"]) if shorten else "zzz"} for t in triples])
    if kind is AnswerFormat.LETTER_RANKING:
        return ",".join(reversed(gold.split(",")))
    return "an unrelated answer"


def wrapped(row: Row) -> str:
    """The gold answer in one of the shapes models write."""
    kind, gold = FORMAT_OF[str(row["task"])], str(row["output"])
    pick = int(share(row, "wrapper") * 4)
    if kind is AnswerFormat.YES_NO:
        return [f"{gold.capitalize()}, I think so.", gold.upper(), f" {gold} \n", f"{gold}."][pick]
    if kind in (AnswerFormat.OPTION_LETTER, AnswerFormat.CANDIDATE_LETTER):
        letter = gold[0]
        return [f"({letter})", f"{letter}.", "", f" {letter} "][pick]
    if kind is AnswerFormat.JSON_TRIPLES:
        triples = json.loads(gold)
        return [f"```json\n{gold}\n```", json.dumps(triples, indent=2), f"Output: {gold}", gold.upper()][pick]
    if kind is AnswerFormat.LETTER_RANKING:
        letters = gold.split(",")
        return [", ".join(letters), " > ".join(letters), f"[{','.join(letters)}]", gold][pick]
    return f"Answer: {gold}"


PREDICTION_SETS: dict[str, Callable[[Row], str]] = {
    "gold": lambda row: str(row["output"]),
    "flipped_30": lambda row: flipped(row) if share(row, "flip") < 0.3 else str(row["output"]),
    "invalid_10": lambda row: "I cannot tell." if share(row, "invalid") < 0.1 else str(row["output"]),
    "wrapped": wrapped,
}


def demo_test_rows(workdir: Path) -> list[Row]:
    files = sorted((workdir / "dataset").glob("*.parquet"))
    frame = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
    return frame.filter(pl.col("split") == "test").to_dicts()


@pytest.mark.parametrize("name", list(PREDICTION_SETS))
def test_ecellm_protocol_matches_the_reference(demo_workdir: Path, tmp_path: Path, name: str) -> None:
    rows = demo_test_rows(demo_workdir)
    answer = PREDICTION_SETS[name]
    predictions = {str(row["id"]): answer(row) for row in rows}
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps({"id": i, "prediction": p}) + "\n" for i, p in predictions.items()))
    out = tmp_path / "scores.json"
    args = ["-p", str(path), "--dataset", str(demo_workdir), "--protocol", "ecellm", "--json", str(out)]
    result = CliRunner().invoke(eval_command, args)
    assert result.exit_code == 0, result.output
    scored = {(r["task"], r["setting"]): r for r in json.loads(out.read_text())["results"]}

    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((str(row["task"]), str(row["setting"])), []).append(row)
    compared = 0
    for (task, setting), group in groups.items():
        ours = scored[task, setting]
        assert ours["rows"] == len(group) and ours["metrics_valid_only"] is None
        if FORMAT_OF[task] is AnswerFormat.FREE_TEXT:  # BERTScore / BLEURT cannot run here
            assert ours["invalid"] == 0
            continue
        answers = [predictions[str(r["id"])] for r in group]
        expected, invalid = reference(FORMAT_OF[task], setting, group, answers)
        assert ours["invalid"] == invalid, (task, setting)
        assert ours["metrics"] == pytest.approx(expected, abs=1e-9), (task, setting)
        compared += 1
    assert compared == sum(FORMAT_OF[task] is not AnswerFormat.FREE_TEXT for task, _ in groups)
