"""Product Matching: is an Amazon record the same product as a Google Products record (Leipzig benchmark)?"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import polars as pl

from ..hashing import hex_expr
from ..schema import option
from .base import AnswerFormat, PaperResult, TaskBuilder, stable_id_expr

if TYPE_CHECKING:
    from ..config import TaskConfig

PRODUCT_FIELDS = ("title", "description", "manufacturer", "price")
PAIR = ["id_amazon", "id_google"]
SHOWN = tuple(f"{field}{number}" for number in (1, 2) for field in PRODUCT_FIELDS)  # product 1: Amazon


def first_words(text: pl.Expr, limit: int) -> pl.Expr:
    """`text` cut after its `limit`-th word with "..." appended; text with fewer words is unchanged.

    The kept part is the original text up to that word (spacing untouched); trailing dots are dropped
    before the "..." so a cut at the end of a sentence does not show four dots.
    """
    head = text.str.extract(rf"^(\s*(?:\S+\s+){{{limit - 1}}}\S+)", 1)
    cut = head.str.strip_chars_end(".") + "..."
    return pl.when(text.str.count_matches(r"\S+") > limit).then(cut).otherwise(text)


def first_record_per_id(products: pl.LazyFrame) -> pl.LazyFrame:
    """One row per (side, id): the first line, since Google Products repeats some records."""
    first_line = products.group_by("side", "id").agg(pl.col("line").min())
    return products.filter(pl.col("id").is_not_null()).join(first_line, on=["side", "id", "line"], how="semi")


def shuffled_ids(products: pl.LazyFrame, side: str, seed: int) -> pl.DataFrame:
    """The ids of one side in a seeded order, numbered 0.. in column `position`."""
    order = stable_id_expr(f"PM-shuffle-{side}", pl.lit(seed), "id")
    return (
        products.filter(pl.col("side") == side)
        .select("id")
        .sort(order, "id")
        .with_row_index("position")
        .collect()
    )


def negative_pairs(
    amazon: pl.DataFrame, google: pl.DataFrame, known: pl.DataFrame, wanted: int
) -> pl.DataFrame:
    """Up to `wanted` (id_amazon, id_google) pairs that are not known matches, from two shuffled sides.

    Round 0 pairs the i-th shuffled Amazon record with the i-th shuffled Google record, as ECInstruct
    did; round r shifts the Google side by r (mod its length), so the rounds together visit every
    Amazon x Google pair exactly once and `wanted` is reached whenever enough non-matches exist.
    Both sides are the small benchmark tables (thousands of rows) and round 0 almost always suffices.
    """
    google_side = google.select(id_google="id", slot="position")
    found: list[pl.DataFrame] = []
    missing = wanted
    for shift in range(google.height):
        if missing <= 0 or amazon.is_empty():
            break
        round_pairs = (
            amazon.select(id_amazon="id", order="position", slot=(pl.col("position") + shift) % google.height)
            .join(google_side, on="slot")
            .join(known, on=PAIR, how="anti")
            .sort("order")
            .head(missing)
            .select(PAIR)
        )
        found.append(round_pairs)
        missing -= round_pairs.height
    return pl.concat([pl.DataFrame(schema=dict.fromkeys(PAIR, pl.String)), *found])


def product_side(products: pl.LazyFrame, side: str, number: int, description_words: int) -> pl.LazyFrame:
    """One side's records with the task fields suffixed by the product number (1 Amazon, 2 Google).

    Missing values stay null and render as JSON null (ECInstruct wrote the string "nan" there).
    """
    shaped = {"description": first_words(pl.col("description"), description_words)}
    return products.filter(pl.col("side") == side).select(
        pl.col("id").alias(PAIR[number - 1]),
        *(shaped.get(field, pl.col(field)).alias(f"{field}{number}") for field in PRODUCT_FIELDS),
    )


@dataclass(frozen=True)
class PmParams:
    description_words: int = option(50, "words of a product description shown", minimum=1)
    duplicates: Literal["ids", "shown"] = option(
        "ids",
        "which pairs are one example: the same two ids, or the same fields as shown (the PM "
        "notebook: a gold pair whose eight fields repeat another's is kept once, the others are "
        "rejects duplicate:variant_copy, and a negative never reads like an earlier pair)",
    )


def shown_key(fields: list[str]) -> pl.Expr:
    """A hash of a pair's fields as the templates show them: equal for pairs that read the same."""
    return hex_expr(*(pl.col(f).fill_null("") for f in fields))


class ProductMatching(TaskBuilder):
    abbr = "PM"
    name = "Product_Matching"
    title = "Product Matching"
    group = "product understanding"
    order = 3
    definition = "Decide whether an Amazon record and a Google Shopping record describe the same product."
    answer_format = AnswerFormat.YES_NO
    output_shape = "`yes` or `no`"
    metrics = ("accuracy", "precision", "recall", "f1", "specificity", "npr")
    primary_metric = "f1"
    scoring = "accuracy, precision, recall, F1, specificity, NPV"
    paper = PaperResult("f1", "F1", ind=(0.995, 0.995, 0.991, 0.753, 0.995))
    tables = ("amazon_google_products", "amazon_google_mapping")
    # Product 1 is the Amazon record, product 2 the Google one.
    fields: ClassVar[dict[str, pl.DataType]] = {
        **dict.fromkeys(SHOWN, pl.String),
        # the pair as shown (set when duplicates = "shown"): gold pairs that read the same are one example
        "copy_key": pl.String,
    }
    text_fields = SHOWN
    ood_axis = "none"
    # descriptions, manufacturers and prices are often missing upstream; ECInstruct kept such pairs
    required_fields = ("title1", "title2")

    params_model = PmParams

    def copy_column(self, config: TaskConfig) -> str | None:
        # the notebook's own de-duplication, so it follows the task's parameter, not [dedup]
        return "copy_key" if config.params.duplicates == "shown" else None

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        params: PmParams = config.params
        products = first_record_per_id(tables["amazon_google_products"])
        amazon, google = shuffled_ids(products, "amazon", seed), shuffled_ids(products, "google", seed)
        # The gold mapping is small (about 1,300 rows); every pair in it counts as a known match.
        known = tables["amazon_google_mapping"].select(PAIR).drop_nulls().unique().collect()
        positives = known.join(amazon.select(id_amazon="id"), on="id_amazon", how="semi").join(
            google.select(id_google="id"), on="id_google", how="semi"
        )
        fields = list(SHOWN)
        sides = [
            product_side(products, side, number, params.description_words).collect()
            for number, side in ((1, "amazon"), (2, "google"))
        ]

        def shown(pairs: pl.DataFrame) -> pl.DataFrame:
            joined = pairs.join(sides[0], on="id_amazon").join(sides[1], on="id_google")
            return joined.with_columns(copy_key=shown_key(fields))

        positives = shown(positives.sort(PAIR))
        if params.duplicates == "shown":
            negatives = shown_negatives(amazon, google, known, positives, shown)
        else:
            negatives = shown(negative_pairs(amazon, google, known, positives.height))
            positives = positives.with_columns(copy_key=pl.lit(None, dtype=pl.String))
        negatives = negatives.with_columns(copy_key=pl.lit(None, dtype=pl.String))
        examples = pl.concat(
            [positives.with_columns(label=pl.lit("yes")), negatives.with_columns(label=pl.lit("no"))]
        ).sort(PAIR)
        return (
            examples.lazy()
            .select(
                candidate_id=stable_id_expr(self.abbr, *PAIR),
                source=pl.lit("amazon_google"),
                source_ids=pl.concat_list(PAIR),
                product_id=pl.col("id_amazon"),
                category=pl.lit(None, dtype=pl.String),
                domain=pl.lit(None, dtype=pl.String),
                group_key=pl.col("id_amazon"),
                content_key=pl.concat_str([pl.col(f).fill_null("") for f in fields], separator="\n"),
                official_split=pl.lit(None, dtype=pl.String),
                label=pl.col("label"),
                options=pl.lit(pl.Series([[]], dtype=pl.List(pl.String))),
                **{field: pl.col(field) for field in fields},
                copy_key=pl.col("copy_key"),
            )
            .cast(self.schema())
        )


def shown_negatives(
    amazon: pl.DataFrame,
    google: pl.DataFrame,
    known: pl.DataFrame,
    positives: pl.DataFrame,
    shown: Callable[[pl.DataFrame], pl.DataFrame],
) -> pl.DataFrame:
    """As many negatives as there are distinct positives as shown, none reading like a positive or an
    earlier negative (the notebook's check on the rendered pair); more pairs are drawn while some
    are skipped and more non-matches exist."""
    wanted = positives["copy_key"].n_unique()
    asked = wanted
    while True:
        drawn = negative_pairs(amazon, google, known, asked)
        fresh = (
            shown(drawn.with_row_index("drawn"))
            .sort("drawn")
            .join(positives.select("copy_key"), on="copy_key", how="anti")
            .unique("copy_key", keep="first", maintain_order=True)
        )
        if fresh.height >= wanted or drawn.height < asked:
            return fresh.head(wanted).drop("drawn")
        asked += wanted - fresh.height
