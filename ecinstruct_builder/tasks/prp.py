"""Product Relation Prediction: how two products of one Amazon 2018 category relate to each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from .base import AnswerFormat, GroupedCandidates, PaperResult, TaskBuilder, stable_id_expr

if TYPE_CHECKING:
    from ..config import TaskConfig

# Relation list column of the meta table -> option letter (ECInstruct's A / B / C order).
RELATIONS = {"also_buy": "A", "also_view": "B", "similar_item": "C"}
RELATION_OPTIONS = [
    "A: People who purchase product 1 tend to purchase product 2 as well.",
    "B: People who look at product 1 tend to look at product 2 as well.",
    "C: Product 1 and product 2 are comparable, similar items.",
]
KEY = ["category", "asin1", "asin2"]


def latest_meta_rows(meta: pl.LazyFrame) -> pl.LazyFrame:
    """One meta row per (category, asin): the last one in the file, as ECInstruct's ASIN-keyed dict kept."""
    last_line = meta.group_by("category", "asin").agg(pl.col("line").max())
    return meta.join(last_line, on=["category", "asin", "line"], how="semi")


def single_relation_pairs(meta: pl.LazyFrame) -> pl.LazyFrame:
    """Unordered ASIN pairs (asin1 < asin2) found in exactly one relation, with that relation's letter.

    A pair listed several times in the same relation (from either side) counts once; a pair listed
    in two or three relations has an ambiguous label and is dropped.
    """
    edges = pl.concat(
        [
            meta.select("category", "asin", partner=column, relation=pl.lit(letter)).explode("partner")
            for column, letter in RELATIONS.items()
        ]
    )
    smaller_first = pl.col("asin") < pl.col("partner")
    return (
        edges.filter(pl.col("partner").is_not_null() & (pl.col("partner") != pl.col("asin")))
        .select(
            "category",
            asin1=pl.when(smaller_first).then("asin").otherwise("partner"),
            asin2=pl.when(smaller_first).then("partner").otherwise("asin"),
            relation="relation",
        )
        .unique()
        .group_by(KEY)
        .agg(pl.col("relation").first(), relations=pl.len())
        .filter(pl.col("relations") == 1)
        .drop("relations")
    )


def _product(asin: str) -> pl.Expr:
    """A product's key within the file: category and ASIN."""
    return pl.concat_str("category", asin, separator="/")


class ProductRelationPrediction(TaskBuilder):
    abbr = "PRP"
    name = "Product_Relation_Prediction"
    title = "Product Relation Prediction"
    group = "product understanding"
    order = 2
    definition = (
        "Given two product titles, tell how they relate: bought together, viewed together or similar."
    )
    answer_format = AnswerFormat.OPTION_LETTER
    output_shape = "option letter `A`, `B` or `C`"
    metrics = ("accuracy", "macro_precision", "macro_recall", "macro_f1")
    primary_metric = "macro_f1"
    scoring = "accuracy, macro precision / recall / F1"
    paper = PaperResult(
        "macro_f1",
        "Macro F1",
        ind=(0.611, 0.558, 0.518, 0.326, 0.588),
        ood=(0.558, 0.502, 0.52, 0.392, 0.507),
    )
    misspellings = ("Product_Relation_Predicition",)
    tables = ("amazon2018_meta",)
    fields: ClassVar[dict[str, pl.DataType]] = {"title1": pl.String, "title2": pl.String}

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        meta = latest_meta_rows(tables["amazon2018_meta"])
        return self._candidates(meta, single_relation_pairs(meta))

    def grouped(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> GroupedCandidates:
        """Keys from the single-relation pairs of the whole file (a pair's first product is its group)."""
        meta = latest_meta_rows(tables["amazon2018_meta"])
        pairs = single_relation_pairs(meta).collect()
        keys = pairs.select(
            group_key="asin1", domain="category", official_split=pl.lit(None, dtype=pl.String)
        )
        return GroupedCandidates(
            keys,
            lambda groups: self._candidates(
                meta, pairs.lazy().filter(pl.col("asin1").is_in(groups.implode()))
            ),
        )

    def _candidates(self, meta: pl.LazyFrame, pairs: pl.LazyFrame) -> pl.LazyFrame:
        """The candidates of these single-relation pairs, in key order."""
        # Both products need a real title; a partner missing from this category's meta has none here.
        # The title lookups share no column: else Polars may join them with each other on the
        # category alone (a cross product per category) to test title1 != title2 early.
        titles = meta.filter(pl.col("title").str.strip_chars() != "").select(
            product=_product("asin"), title="title"
        )
        titled = (
            pairs.join(titles.rename({"title": "title1"}), left_on=_product("asin1"), right_on="product")
            .join(titles.rename({"title": "title2"}), left_on=_product("asin2"), right_on="product")
            .filter(pl.col("title1") != pl.col("title2"))
            .sort(KEY)
        )
        return titled.select(
            candidate_id=stable_id_expr(self.abbr, *KEY),
            source=pl.lit("amazon2018"),
            source_ids=pl.concat_list("asin1", "asin2"),
            product_id=pl.col("asin1"),
            category=pl.col("category"),
            domain=pl.col("category"),
            group_key=pl.col("asin1"),
            content_key=pl.concat_str("title1", "title2", separator="\n"),
            official_split=pl.lit(None, dtype=pl.String),
            label=pl.col("relation"),
            options=pl.lit(pl.Series([RELATION_OPTIONS])),
            title1=pl.col("title1"),
            title2=pl.col("title2"),
        ).cast(self.schema())
