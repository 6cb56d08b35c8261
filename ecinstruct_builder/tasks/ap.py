"""Answerability Prediction: whether AmazonQA's review snippets answer a product question (yes / no)."""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from ..recipe import TaskRecipe
from ._amazonqa import TABLE, qa_candidates, qa_rows
from .base import TaskBuilder


class AnswerabilityPrediction(TaskBuilder):
    abbr = "AP"
    name = "Answerability_Prediction"
    title = "Answerability Prediction"
    group = "product QA"
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"question": pl.String, "document": pl.List(pl.String)}
    language_fields = ("document",)  # the reviews and answers

    def build(self, tables: dict[str, pl.LazyFrame], recipe: TaskRecipe, seed: int) -> pl.LazyFrame:
        self.params(recipe, {})  # AP has no parameters; this rejects misspelled ones
        label = pl.when(pl.col("is_answerable") == 1).then(pl.lit("yes")).otherwise(pl.lit("no"))
        return qa_candidates(self, qa_rows(tables, recipe), label)
