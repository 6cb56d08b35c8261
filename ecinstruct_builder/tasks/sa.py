"""Sentiment Analysis: the star rating of an Amazon 2018 review, as one of five sentiment options."""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from ..recipe import TaskRecipe
from .base import TaskBuilder, stable_id_expr

# 5 stars -> A ... 1 star -> E, as ECInstruct.
SENTIMENT_OPTIONS = ["A: very positive", "B: positive", "C: neutral", "D: negative", "E: very negative"]


class SentimentAnalysis(TaskBuilder):
    abbr = "SA"
    name = "Sentiment_Analysis"
    title = "Sentiment Analysis"
    group = "user understanding"
    tables = ("amazon2018_reviews",)
    fields: ClassVar[dict[str, pl.DataType]] = {"review": pl.String, "rating": pl.Int64}
    language_fields = ("review",)

    def build(self, tables: dict[str, pl.LazyFrame], recipe: TaskRecipe, seed: int) -> pl.LazyFrame:
        # ECInstruct's >= 10 words rule is a length filter of the recipe ([tasks.SA.filters]), so
        # short reviews are counted in the rejects instead of silently never becoming candidates
        self.params(recipe, {})
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
        ).cast(self.schema())
