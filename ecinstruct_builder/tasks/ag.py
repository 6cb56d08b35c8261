"""Answer Generation: answer a descriptive product question from AmazonQA's review snippets; the gold
answer is the community answer with the most helpful votes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from ._amazonqa import TABLE, qa_candidates, qa_groups, qa_rows
from .base import AnswerFormat, GroupedCandidates, PaperResult, TaskBuilder

if TYPE_CHECKING:
    from ..config import TaskConfig


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
    order = 10
    definition = "Answer a shopper's question from review snippets."
    answer_format = AnswerFormat.FREE_TEXT
    output_shape = "free text"
    metrics = ("rouge_l", "token_f1", "bert_precision", "bert_recall", "f_bert", "bleurt")
    primary_metric = "f_bert"
    fallback_metric = "rouge_l"
    scoring = "BERTScore precision / recall / F1, BLEURT (ROUGE-L when those models are not installed)"
    paper = PaperResult(
        "f_bert", "F_BERT", ind=(0.841, 0.842, 0.842, 0.858, 0.858), ood=(0.841, 0.84, 0.84, 0.86, 0.86)
    )
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"question": pl.String, "document": pl.List(pl.String)}
    language_fields = ("document",)  # the reviews and answers

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        return qa_candidates(self, _answered(tables, config), GOLD.struct.field("answer_text"))

    def grouped(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> GroupedCandidates:
        return qa_groups(self, _answered(tables, config), GOLD.struct.field("answer_text"))


GOLD = pl.col("gold_answer")


def _answered(tables: dict[str, pl.LazyFrame], config: TaskConfig) -> pl.LazyFrame:
    """Descriptive answerable questions with a gold answer (`gold_answer`)."""
    return (
        qa_rows(tables, config)
        .filter((pl.col("question_type") == "descriptive") & (pl.col("is_answerable") == 1))
        .with_columns(gold_answer=gold_answer())
        # No answer with a helpful vote (or a best of 0 votes): no trustworthy gold answer, skip.
        .filter(GOLD.struct.field("helpful").list.get(0, null_on_oob=True) > 0)
    )
