"""Sentiment Analysis: the star rating of an Amazon 2018 review, as one of five sentiment options."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from ..hashing import hex_expr
from .base import AnswerFormat, PaperResult, TaskBuilder, stable_id_expr

if TYPE_CHECKING:
    from ..config import TaskConfig

# 5 stars -> A ... 1 star -> E, as ECInstruct.
SENTIMENT_OPTIONS = ["A: very positive", "B: positive", "C: neutral", "D: negative", "E: very negative"]


class SentimentAnalysis(TaskBuilder):
    abbr = "SA"
    name = "Sentiment_Analysis"
    title = "Sentiment Analysis"
    group = "user understanding"
    order = 4
    definition = "Rate the sentiment of a customer review on a five-level scale."
    answer_format = AnswerFormat.OPTION_LETTER
    output_shape = "the full option, e.g. `A: very positive` (scored on its letter)"
    metrics = ("accuracy", "macro_precision", "macro_recall", "macro_f1")
    primary_metric = "macro_f1"
    scoring = "accuracy, macro precision / recall / F1"
    paper = PaperResult(
        "macro_f1", "Macro F1", ind=(0.648, 0.639, 0.596, 0.516, 0.573), ood=(0.629, 0.64, 0.565, 0.51, 0.567)
    )
    tables = ("amazon2018_reviews",)
    fields: ClassVar[dict[str, pl.DataType]] = {
        "review": pl.String,
        "rating": pl.Int64,
        "copy_key": pl.String,
    }
    text_fields = ("review",)
    category_mix = "equal"  # the SA notebook took an equal share per IND category
    # the same reviewer's same text under several ASINs is one review listed for a product family
    copy_key = "copy_key"

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        # ECInstruct's >= 10 words rule is a length filter of the recipe ([tasks.SA.filters]), so
        # short reviews are counted in the rejects instead of silently never becoming candidates
        reviews = tables["amazon2018_reviews"]
        rating = pl.col("overall").cast(pl.Int64, strict=False)
        usable = reviews.filter(
            pl.col("review_text").is_not_null()
            & (pl.col("overall") == pl.col("overall").round())  # an integer number of stars
            & rating.is_between(1, 5)
        )
        return usable.select(
            candidate_id=stable_id_expr(self.abbr, "category", "asin", "reviewer_id", "line"),
            source=pl.lit("amazon2018"),
            source_ids=pl.concat_list(pl.concat_str([pl.col("category"), pl.col("line")], separator=":")),
            product_id=pl.col("asin"),
            category=pl.col("category"),
            domain=pl.col("category"),
            group_key=pl.col("asin"),
            content_key=pl.col("review_text"),
            official_split=pl.lit(None, dtype=pl.String),
            label=pl.lit(pl.Series(SENTIMENT_OPTIONS)).get(5 - rating),
            options=pl.lit(pl.Series([SENTIMENT_OPTIONS])),
            review=pl.col("review_text"),
            rating=rating,
            copy_key=hex_expr(pl.col("reviewer_id"), pl.col("review_text")),
        ).cast(self.schema())
