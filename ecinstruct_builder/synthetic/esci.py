"""Shopping Queries Dataset (ESCI): examples and products Parquet files plus the query sources CSV.

Files: `esci/shopping_queries_dataset_examples.parquet`, `esci/shopping_queries_dataset_products.parquet`,
`esci/shopping_queries_dataset_sources.csv`, with upstream's columns and dtypes. Queries are written
one after the other with their judged products; the first two products of a query always carry
different labels, so ranking lists with distinct labels exist for every query.
"""

from __future__ import annotations

import dataclasses
import random
from collections import deque
from pathlib import Path
from typing import Any

import pyarrow as pa

from . import text
from .common import ParquetSink, Profile, asin, parquet_sink, record_sink, rng_for, weighted

EXAMPLES = "esci/shopping_queries_dataset_examples.parquet"
PRODUCTS = "esci/shopping_queries_dataset_products.parquet"
SOURCES = "esci/shopping_queries_dataset_sources.csv"
PLANTED_BAD_LINES: dict[str, int] = {}

REAL_EXAMPLES = 2_621_738  # judgements over 130,652 queries and ~1.8M products
DEMO_EXAMPLES = 1350  # ~200 us queries plus a few es and jp ones (enough for every QPR quota)

EXAMPLES_SCHEMA = pa.schema(
    [
        ("example_id", pa.int64()),
        ("query", pa.string()),
        ("query_id", pa.int64()),
        ("product_id", pa.string()),
        ("product_locale", pa.string()),
        ("esci_label", pa.string()),
        ("small_version", pa.int64()),
        ("large_version", pa.int64()),
        ("split", pa.string()),
    ]
)
PRODUCTS_SCHEMA = pa.schema(
    [
        ("product_id", pa.string()),
        ("product_title", pa.string()),
        ("product_description", pa.string()),
        ("product_bullet_point", pa.string()),
        ("product_brand", pa.string()),
        ("product_color", pa.string()),
        ("product_locale", pa.string()),
    ]
)
LABELS = (("E", 0.65), ("S", 0.22), ("C", 0.03), ("I", 0.10))
QUERY_SOURCES = (
    ("other", 0.5),
    ("behavioral", 0.2),
    ("parse_pattern", 0.15),
    ("nlqec", 0.1),
    ("negations", 0.05),
)
LOCALES = ("us", "es", "jp")
TEST_SHARE = 0.3


@dataclasses.dataclass(frozen=True)
class Shape:
    """How many judgements to write and how they spread over queries."""

    rows: int
    products_per_query: tuple[int, int]
    small_share: float  # share of queries in the small version (the ranking task's subset)


def shape(profile: Profile) -> Shape:
    if profile.is_demo:
        return Shape(rows=DEMO_EXAMPLES, products_per_query=(4, 8), small_share=0.55)
    # Upstream: ~20 judgements per query and 48,300 of 130,652 queries in the small version.
    return Shape(
        rows=profile.count(REAL_EXAMPLES, DEMO_EXAMPLES), products_per_query=(8, 32), small_share=0.37
    )


def _locale(rng: random.Random, profile: Profile, query_id: int) -> str:
    if profile.is_demo:  # a fixed pattern keeps the handful of es / jp queries in the demo
        return {7: "es", 19: "jp"}.get(query_id % 25, "us")
    return str(weighted(rng, (("us", 0.745), ("es", 0.116), ("jp", 0.139))))


# What a US product is (its category, and its noun; None for a replacement part), so that a reused
# product is judged only where its label holds; None for the other locales' products, whose titles
# follow no relation.
Kind = tuple[str, str | None] | None


def _us_product(
    rng: random.Random, seed: int, base: text.Product, label: str, serial: int
) -> tuple[dict[str, Any], Kind]:
    """A US product whose relation to the query's product matches its E / S / C / I label, and its kind."""
    vocab = text.CATEGORIES[base.category]
    other = text.product(base.category, serial, seed, namespace="esci-product")
    if label == "E":
        item = dataclasses.replace(base, brand=other.brand, color=other.color, layout=other.layout)
        title = item.title()
    elif label == "S":
        item = dataclasses.replace(other, noun=rng.choice([n for n in vocab.nouns if n != base.noun]))
        title = item.title()
    elif label == "C":
        item = other
        title = f"{other.brand} Replacement {other.part.title()} for {base.noun.title()}, {other.color}"
    else:
        category = rng.choice([c for c in text.CATEGORIES if c != base.category])
        item = text.product(category, serial, seed, namespace="esci-product")
        title = item.title()
    if rng.random() < 0.015:
        title = text.garble(rng, title)
    kind: Kind = (base.category, None) if label == "C" else (item.category, item.noun)
    bullets = text.feature_bullets(rng, item, rng.randint(2, 4))
    fields = {
        "product_title": title,
        "product_description": f"<p>{text.description_text(rng, item, 2)}</p>"
        if rng.random() < 0.5
        else None,
        "product_bullet_point": "\n".join(bullets) if rng.random() < 0.7 else None,
        "product_brand": item.brand if rng.random() < 0.95 else None,
        "product_color": item.color if rng.random() < 0.6 else None,
    }
    return fields, kind


def _foreign_product(rng: random.Random, locale: str) -> dict[str, Any]:
    brand = rng.choice(text.BRANDS)
    return {
        "product_title": text.foreign_title(rng, locale, brand),
        "product_description": None,
        "product_bullet_point": None,
        "product_brand": brand,
        "product_color": None,
    }


def fits(label: str, kind: Kind, base: text.Product) -> bool:
    """Whether a product of `kind` may carry `label` for a query about `base`: an irrelevant product
    is of another category, a substitute another kind of product of the same category."""
    if kind is None:
        return True
    category, noun = kind
    if label == "I":
        return category != base.category
    return label == "S" and category == base.category and noun not in (None, base.noun)


class _Catalog:
    """Product ids for judgements: new products, or recent ones that other queries judged too."""

    def __init__(self, seed: int, products: ParquetSink) -> None:
        self._seed = seed
        self._products = products
        self._recent: dict[str, deque[tuple[str, Kind]]] = {locale: deque(maxlen=500) for locale in LOCALES}
        self.created = 0

    def reuse(
        self, rng: random.Random, locale: str, label: str, taken: set[str], base: text.Product
    ) -> str | None:
        """A recent product of the locale for an irrelevant or substitute judgement, sometimes (only
        one whose relation to the query's product fits the label)."""
        recent = self._recent[locale]
        if label in "IS" and recent and rng.random() < 0.4:
            reused, kind = rng.choice(recent)
            return None if reused in taken or not fits(label, kind, base) else reused
        return None

    def create(self, locale: str, fields: dict[str, Any], kind: Kind = None) -> str:
        self.created += 1
        product_id = asin(500 + LOCALES.index(locale), self.created, self._seed)
        self._products.add({"product_id": product_id, **fields, "product_locale": locale})
        self._recent[locale].append((product_id, kind))
        return product_id


def _judged_product(
    rng: random.Random,
    catalog: _Catalog,
    seed: int,
    locale: str,
    base: text.Product,
    label: str,
    taken: set[str],
) -> str:
    """The id of a product judged for a query: a reused recent one, or a new one fitting the label."""
    reused = catalog.reuse(rng, locale, label, taken, base)
    if reused is not None:
        return reused
    if locale == "us":
        return catalog.create(locale, *_us_product(rng, seed, base, label, catalog.created + 1))
    return catalog.create(locale, _foreign_product(rng, locale))


def _query(rng: random.Random, locale: str, seed: int, query_id: int) -> tuple[str, str, text.Product]:
    """The query text, its ESCI source and the product it is about."""
    base = text.product(rng.choice(sorted(text.CATEGORIES)), query_id, seed, namespace="esci-query")
    source = str(weighted(rng, QUERY_SOURCES))
    if locale != "us":
        return f"{rng.choice(text.FOREIGN_QUERIES[locale])} {base.size.lower()}", source, base
    if rng.random() < 0.015:  # Spanish queries typed on the US store
        return rng.choice(text.FOREIGN_QUERIES["es"]), source, base
    return text.query_text(rng, base, source), source, base


def write(out_dir: Path, profile: Profile, seed: int, progress: bool) -> dict[str, int]:
    """Write the three ESCI files, query by query, until the examples reach their size."""
    sizes = shape(profile)
    rng = rng_for(seed, "esci")
    query_id = example_id = 0
    with (
        parquet_sink(out_dir, EXAMPLES, EXAMPLES_SCHEMA, sizes.rows, progress) as examples,
        parquet_sink(out_dir, PRODUCTS, PRODUCTS_SCHEMA, None, progress) as products,
        record_sink(out_dir, SOURCES, None, progress, header="query_id,source") as sources,
    ):
        catalog = _Catalog(seed, products)
        while examples.rows < sizes.rows:
            locale = _locale(rng, profile, query_id)
            query, source, base = _query(rng, locale, seed, query_id)
            split = "test" if rng.random() < TEST_SHARE else "train"
            small = int(rng.random() < sizes.small_share)
            taken: set[str] = set()
            count = rng.randint(*sizes.products_per_query)  # whole queries: the last may overshoot
            for position in range(count):
                # The first two products differ in label, so every query can give a ranking list.
                label = "E" if position == 0 else str(weighted(rng, LABELS[1:] if position == 1 else LABELS))
                product_id = _judged_product(rng, catalog, seed, locale, base, label, taken)
                taken.add(product_id)
                examples.add(
                    {
                        "example_id": example_id,
                        "query": query,
                        "query_id": query_id,
                        "product_id": product_id,
                        "product_locale": locale,
                        "esci_label": label,
                        "small_version": small,
                        "large_version": 1,
                        "split": split,
                    }
                )
                example_id += 1
            sources.write(f"{query_id},{source}")
            query_id += 1
    return {EXAMPLES: examples.rows, PRODUCTS: products.rows, SOURCES: sources.rows}
