"""Answerability Prediction: whether AmazonQA's review snippets answer a product question (yes / no)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from ._amazonqa import TABLE, qa_candidates, qa_rows
from .base import TaskBuilder

if TYPE_CHECKING:
    from ..config import TaskConfig


class AnswerabilityPrediction(TaskBuilder):
    abbr = "AP"
    name = "Answerability_Prediction"
    title = "Answerability Prediction"
    group = "product QA"
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"question": pl.String, "document": pl.List(pl.String)}

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        label = pl.when(pl.col("is_answerable") == 1).then(pl.lit("yes")).otherwise(pl.lit("no"))
        return qa_candidates(self, qa_rows(tables, config), label)
