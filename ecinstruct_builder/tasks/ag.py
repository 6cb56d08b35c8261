"""Answer Generation: answer a descriptive product question from AmazonQA's review snippets; the gold
answer is the community answer with the most helpful votes."""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from ..recipe import TaskRecipe
from ._amazonqa import TABLE, qa_candidates, qa_rows
from .base import TaskBuilder


def gold_answer() -> pl.Expr:
    """The answer with the most helpful votes among voted answers (the first one on ties), or null.

    An answer is voted when its vote total (helpful[1]) is known and not 0; it must also have text.
    """
    answer = pl.element()
    helpful = answer.struct.field("helpful")
    voted = (helpful.list.get(1, null_on_oob=True) != 0) & answer.struct.field("answer_text").is_not_null()
    votes = pl.when(voted).then(helpful.list.get(0, null_on_oob=True))
    best_index = pl.col("answers").list.eval(votes.arg_max()).list.first()
    return pl.col("answers").list.get(best_index, null_on_oob=True)


class AnswerGeneration(TaskBuilder):
    abbr = "AG"
    name = "Answer_Generation"
    title = "Answer Generation"
    group = "product QA"
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"question": pl.String, "document": pl.List(pl.String)}
    language_fields = ("document",)  # the reviews and answers

    def build(self, tables: dict[str, pl.LazyFrame], recipe: TaskRecipe, seed: int) -> pl.LazyFrame:
        self.params(recipe, {})  # AG has no parameters; this rejects misspelled ones
        gold = pl.col("gold_answer")
        rows = (
            qa_rows(tables, recipe)
            .filter((pl.col("question_type") == "descriptive") & (pl.col("is_answerable") == 1))
            .with_columns(gold_answer=gold_answer())
            # No answer with a helpful vote (or a best of 0 votes): no trustworthy gold answer, skip.
            .filter(gold.struct.field("helpful").list.get(0, null_on_oob=True) > 0)
        )
        return qa_candidates(self, rows, gold.struct.field("answer_text"))
