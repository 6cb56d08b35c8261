"""Answerability Prediction: whether AmazonQA's review snippets answer a product question (yes / no)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from ._amazonqa import TABLE, qa_candidates, qa_groups, qa_rows
from .base import AnswerFormat, GroupedCandidates, PaperResult, TaskBuilder

if TYPE_CHECKING:
    from ..config import TaskConfig

AP_LABEL = pl.when(pl.col("is_answerable") == 1).then(pl.lit("yes")).otherwise(pl.lit("no"))


class AnswerabilityPrediction(TaskBuilder):
    abbr = "AP"
    name = "Answerability_Prediction"
    title = "Answerability Prediction"
    group = "product QA"
    order = 9
    definition = "Say whether the review snippets contain the answer to a shopper's question."
    answer_format = AnswerFormat.YES_NO
    output_shape = "`yes` or `no`"
    metrics = ("accuracy", "precision", "recall", "f1", "specificity", "npr")
    primary_metric = "f1"
    scoring = "accuracy, precision, recall, F1, specificity, NPV"
    paper = PaperResult(
        "f1", "F1", ind=(0.851, 0.846, 0.846, 0.649, 0.83), ood=(0.867, 0.878, 0.879, 0.68, 0.853)
    )
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"question": pl.String, "document": pl.List(pl.String)}
    language_fields = ("document",)  # the reviews and answers

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        return qa_candidates(self, qa_rows(tables, config), AP_LABEL)

    def grouped(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> GroupedCandidates:
        return qa_groups(self, qa_rows(tables, config), AP_LABEL)
