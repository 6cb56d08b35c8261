"""Tiny synthetic ECInstruct-style datasets for the eval tests (all text invented)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from ecinstruct_builder.tasks import builders

IND = "IND_Diverse_Instruction"
OOD = "OOD_Diverse_Instruction"

SA_OPTIONS = ["A: very positive", "B: positive", "C: neutral", "D: negative", "E: very negative"]
PRP_OPTIONS = ["A: often bought together", "B: often viewed together", "C: alike items"]
MPC_OPTIONS = ["A: exact match", "B: substitute", "C: complement", "D: irrelevant"]
SR_OPTIONS = [f"{chr(ord('A') + i)}: gadget number {i}" for i in range(20)]


def ave_output(*triples: tuple[str, str, str]) -> str:
    return json.dumps([{"attribute": a, "value": v, "source": s} for a, v, s in triples])


def row(
    row_id: str,
    task: str,
    output: str,
    options: list[str] | None = None,
    setting: str = IND,
    split: str = "test",
    labels: list[str] | None = None,
) -> dict[str, object]:
    """One dataset row with every column `ecbuild render` writes (plus QPR's `labels` when given)."""
    record: dict[str, object] = {
        "id": row_id,
        "task": task,
        "setting": setting,
        "split": split,
        "instruction": "do the task",
        "input": "{}",
        "options": json.dumps(options) if options else "",
        "output": output,
        "few_shot_example": "",
        "source": "synthetic",
        "source_ids": [row_id],
        "product_id": None,
        "category": None,
        "template_id": "t0",
    }
    if labels is not None:
        record["labels"] = json.dumps(labels)
    return record


def tasks_in(rows: list[dict[str, object]]) -> list[str]:
    """The abbreviations of the tasks the rows belong to, in the registry's (ECInstruct) order."""
    names = {row["task"] for row in rows}
    return [builder.abbr for builder in builders().values() if builder.name in names]


def standard_rows() -> list[dict[str, object]]:
    """A few test rows of each of the ten tasks (IND), with distinct golds inside each task."""
    return [
        row("ave1", "Attribute_Value_Extraction", ave_output(("color", "red", "product title"))),
        row(
            "ave2",
            "Attribute_Value_Extraction",
            ave_output(("material", "oak wood", "product description"), ("size", "None", "None")),
        ),
        row("prp1", "Product_Relation_Prediction", "A", PRP_OPTIONS),
        row("prp2", "Product_Relation_Prediction", "B", PRP_OPTIONS),
        row("prp3", "Product_Relation_Prediction", "C", PRP_OPTIONS),
        row("pm1", "Product_Matching", "yes"),
        row("pm2", "Product_Matching", "yes"),
        row("pm3", "Product_Matching", "yes"),
        row("pm4", "Product_Matching", "no"),
        row("pm5", "Product_Matching", "no"),
        row("sa1", "Sentiment_Analysis", "A: very positive", SA_OPTIONS),
        row("sa2", "Sentiment_Analysis", "C: neutral", SA_OPTIONS),
        row("sa3", "Sentiment_Analysis", "E: very negative", SA_OPTIONS),
        row("sr1", "Sequential_Recommendation", "D", SR_OPTIONS),
        row("sr2", "Sequential_Recommendation", "Q", SR_OPTIONS),
        row("sr3", "Sequential_Recommendation", "T", SR_OPTIONS),
        row("mpc1", "Multiclass_Product_Classification", "A: exact match", MPC_OPTIONS),
        row("mpc2", "Multiclass_Product_Classification", "B: substitute", MPC_OPTIONS),
        row("mpc3", "Multiclass_Product_Classification", "D: irrelevant", MPC_OPTIONS),
        row("psi1", "Product_Substitute_Identification", "yes"),
        row("psi2", "Product_Substitute_Identification", "no"),
        row("psi3", "Product_Substitute_Identification", "no"),
        row("qpr1", "Query_Product_Rank", "B,A", labels=["S", "E"]),
        row("qpr2", "Query_Product_Rank", "C,A,B", labels=["S", "I", "E"]),
        row("qpr3", "Query_Product_Rank", "D,B,A,C", labels=["C", "S", "I", "E"]),
        row("ap1", "Answerability_Prediction", "yes"),
        row("ap2", "Answerability_Prediction", "no"),
        row("ag1", "Answer_Generation", "It fits a queen size frame without tools."),
        row("ag2", "Answer_Generation", "The battery lasts about two days of normal use."),
    ]


def write_rows(path: Path, rows: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows).write_parquet(path)
    return path


def write_workdir(workdir: Path, rows: list[dict[str, object]]) -> Path:
    """A WORKDIR with dataset/*.parquet; QPR rows (which carry `labels`) go in their own file."""
    qpr = [r for r in rows if "labels" in r]
    others = [r for r in rows if "labels" not in r]
    if others:
        write_rows(workdir / "dataset" / "main.parquet", others)
    if qpr:
        write_rows(workdir / "dataset" / "qpr.parquet", qpr)
    return workdir


def write_predictions(path: Path, predictions: dict[str, str]) -> Path:
    lines = [json.dumps({"id": row_id, "prediction": text}) for row_id, text in predictions.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def gold_predictions(rows: list[dict[str, object]]) -> dict[str, str]:
    return {str(r["id"]): str(r["output"]) for r in rows if r["split"] == "test"}
