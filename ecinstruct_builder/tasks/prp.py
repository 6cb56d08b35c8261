"""Product Relation Prediction: how two products of one Amazon 2018 category relate to each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import polars as pl

from ..schema import option
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
TITLE_KEY = ["category", "title1", "title2"]


@dataclass(frozen=True)
class PrpParams:
    pair_key: Literal["asins", "titles"] = option(
        "asins",
        "what makes one pair: the two ASINs, or the two titles as the PRP notebook keyed them "
        "(listings sharing both titles are one pair; a title pair under two relations is dropped)",
    )
    blank_titles: bool = option(
        False,
        "allow a product with a blank title in a pair, as the notebook did (the two titles must still "
        "differ; set [filters].required = false for the task, or that filter drops them)",
    )


def latest_meta_rows(meta: pl.LazyFrame) -> pl.LazyFrame:
    """One meta row per (category, asin): the last one in the file, as ECInstruct's ASIN-keyed dict kept."""
    last_line = meta.group_by("category", "asin").agg(pl.col("line").max())
    return meta.join(last_line, on=["category", "asin", "line"], how="semi")


def relation_edges(meta: pl.LazyFrame) -> pl.LazyFrame:
    """`category, asin, partner, relation`: every listed partner other than the product itself."""
    edges = pl.concat(
        [
            meta.select("category", "asin", partner=column, relation=pl.lit(letter)).explode("partner")
            for column, letter in RELATIONS.items()
        ]
    )
    return edges.filter(pl.col("partner").is_not_null() & (pl.col("partner") != pl.col("asin")))


def single_relation(pairs: pl.LazyFrame, key: list[str], *lineage: str) -> pl.LazyFrame:
    """The pairs of `key` found in exactly one relation (listed once or many times), with its letter
    and the `lineage` of its first listing in `lineage` order."""
    return (
        pairs.group_by(*key, "relation")
        .agg(pl.col(c).sort_by(*lineage).first() for c in lineage)
        .group_by(key)
        .agg(pl.col("relation").first(), *(pl.col(c).first() for c in lineage), relations=pl.len())
        .filter(pl.col("relations") == 1)
        .drop("relations")
    )


def single_relation_pairs(meta: pl.LazyFrame) -> pl.LazyFrame:
    """Unordered ASIN pairs (asin1 < asin2) found in exactly one relation, with that relation's letter.

    A pair listed several times in the same relation (from either side) counts once; a pair listed
    in two or three relations has an ambiguous label and is dropped.
    """
    smaller_first = pl.col("asin") < pl.col("partner")
    pairs = relation_edges(meta).select(
        "category",
        asin1=pl.when(smaller_first).then("asin").otherwise("partner"),
        asin2=pl.when(smaller_first).then("partner").otherwise("asin"),
        relation="relation",
    )
    return single_relation(pairs, KEY)


def title_pairs(meta: pl.LazyFrame, titles: pl.LazyFrame) -> pl.LazyFrame:
    """Single-relation pairs keyed by their two titles (smaller first), as the PRP notebook built
    them: a relation between two different titles, whichever listings carry them. The lineage is
    the smallest ASIN pair that gave the titles."""
    named = (
        relation_edges(meta)
        .join(titles.rename({"title": "title_a"}), on=["category", "asin"])
        .join(titles.rename({"asin": "partner", "title": "title_b"}), on=["category", "partner"])
        .filter(pl.col("title_a") != pl.col("title_b"))
    )
    smaller_first = pl.col("title_a") < pl.col("title_b")
    pairs = named.select(
        "category",
        "relation",
        title1=pl.when(smaller_first).then("title_a").otherwise("title_b"),
        title2=pl.when(smaller_first).then("title_b").otherwise("title_a"),
        asin1=pl.when(smaller_first).then("asin").otherwise("partner"),
        asin2=pl.when(smaller_first).then("partner").otherwise("asin"),
    )
    return single_relation(pairs, TITLE_KEY, "asin1", "asin2")


def _product(asin: str) -> pl.Expr:
    """A product's key within the file: category and ASIN."""
    return pl.concat_str("category", asin, separator="/")


def _titles(meta: pl.LazyFrame, blank_titles: bool) -> pl.LazyFrame:
    """Category, ASIN and title of the products that can be paired; a partner missing from this
    category's meta has no title here, so it makes no pair."""
    titles = meta.select("category", "asin", "title").filter(pl.col("title").is_not_null())
    return titles if blank_titles else titles.filter(pl.col("title").str.strip_chars() != "")


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

    params_model = PrpParams

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        params: PrpParams = config.params
        meta = latest_meta_rows(tables["amazon2018_meta"])
        if params.pair_key == "titles":
            pairs = title_pairs(meta, _titles(meta, params.blank_titles)).sort(TITLE_KEY)
            return self._rows(pairs, TITLE_KEY)
        return self._candidates(meta, single_relation_pairs(meta), params.blank_titles)

    def grouped(
        self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int
    ) -> GroupedCandidates | None:
        """Keys from the single-relation pairs of the whole file (a pair's first product is its
        group). Pairs keyed by titles join listings across the whole file, so they are built whole."""
        params: PrpParams = config.params
        if params.pair_key == "titles":
            return None
        raw = tables["amazon2018_meta"]
        meta = latest_meta_rows(raw)
        # one category file at a time: a pair never spans two, and memory holds one file's edges
        categories = raw.select(pl.col("category").unique().sort()).collect().to_series().to_list()
        pairs = pl.concat(
            [single_relation_pairs(meta.head(0)).collect()]
            + [
                single_relation_pairs(latest_meta_rows(raw.filter(pl.col("category") == c))).collect(
                    engine="streaming"
                )
                for c in categories
            ]
        )
        keys = pairs.select(
            group_key="asin1", domain="category", official_split=pl.lit(None, dtype=pl.String)
        )
        return GroupedCandidates(
            keys,
            lambda groups: self._candidates(
                meta, pairs.lazy().filter(pl.col("asin1").is_in(groups.implode())), params.blank_titles
            ),
        )

    def _candidates(self, meta: pl.LazyFrame, pairs: pl.LazyFrame, blank_titles: bool) -> pl.LazyFrame:
        """The candidates of these single-relation ASIN pairs, in key order."""
        # The title lookups share no column: else Polars may join them with each other on the
        # category alone (a cross product per category) to test title1 != title2 early.
        titles = _titles(meta, blank_titles).select(product=_product("asin"), title="title")
        titled = (
            pairs.join(titles.rename({"title": "title1"}), left_on=_product("asin1"), right_on="product")
            .join(titles.rename({"title": "title2"}), left_on=_product("asin2"), right_on="product")
            .filter(pl.col("title1") != pl.col("title2"))
            .sort(KEY)
        )
        return self._rows(titled, KEY)

    def _rows(self, pairs: pl.LazyFrame, key: list[str]) -> pl.LazyFrame:
        return pairs.select(
            candidate_id=stable_id_expr(self.abbr, *key),
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
