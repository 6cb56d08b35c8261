"""Tiny synthetic source rows and a build helper for the ESCI (MPC, PSI, QPR) and AmazonQA (AP, AG) tests."""

from __future__ import annotations

import polars as pl

from ecinstruct_builder.config import TaskConfig, task_config
from ecinstruct_builder.sources.amazonqa import AmazonQA
from ecinstruct_builder.sources.esci import Esci
from ecinstruct_builder.tasks.base import TaskBuilder

SCHEMAS = {**Esci.tables, **AmazonQA.tables}


def esci_row(example_id: int, query_id: int = 1, label: str | None = "E", **overrides) -> dict:
    row = {
        "example_id": example_id,
        "query": f"query {query_id}",
        "query_id": query_id,
        "product_id": f"P{example_id}",
        "product_locale": "us",
        "esci_label": label,
        "small_version": 1,
        "large_version": 1,
        "split": "train",
        "product_title": f"Title {example_id}",
    }
    return {**row, **overrides}


def answer(text: str | None, helpful: list[int] | None) -> dict:
    return {"answer_text": text, "answer_type": "NA", "helpful": helpful}


def qa_row(line: int, answers: list[dict] | None = None, **overrides) -> dict:
    row = {
        "split": "train",
        "qid": 100 + line,
        "asin": f"B{line}",
        "category": "Electronics",
        "question_text": f"question {line}?",
        "question_type": "descriptive",
        "review_snippets": [f"snippet {line}a", f"snippet {line}b"],
        "answers": [answer(f"answer {line}", [1, 1])] if answers is None else answers,
        "is_answerable": 1,
        "line": line,
    }
    return {**row, **overrides}


def build(
    builder: TaskBuilder, rows: list[dict], seed: int = 1, recipe: TaskConfig | None = None, **params
) -> pl.DataFrame:
    """Run `builder` over `rows` of its (single) source table and collect the candidates."""
    (table,) = builder.tables
    frame = pl.DataFrame(rows, schema=SCHEMAS[table])
    return builder.build({table: frame.lazy()}, recipe or task_config(builder, params), seed=seed).collect()
