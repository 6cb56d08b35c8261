"""Amazon product data 2014 metadata: `amazon2014/meta_{Cat}.json.gz`, one Python dict literal per line.

Upstream wrote `repr()` of a dict ("loose JSON": single quotes, True/False), so readers need
`ast.literal_eval`. Records cover a subset of the 2018 ASINs (the same catalog index gives the same
ASIN and product) plus a few products the 2018 file lacks; every 2018 product whose title is missing
there is present here, so the title/brand fallback of sequential recommendation has work to do.
"""

from __future__ import annotations

import random
from itertools import chain
from pathlib import Path
from typing import Any

from . import text
from .amazon2018 import CATEGORIES, catalog_asin, title_missing, unique_products
from .common import Profile, fraction_for, record_sink, rng_for, truncated

SUBSET_SHARE = 0.4  # share of 2018 products that also have a 2014 record
EXTRA_SHARE = 0.05  # products known only to 2014, as a share of the 2018 catalog

PLANTED_BAD_LINES = {"amazon2014/meta_Tools_and_Home_Improvement.json.gz": 1}  # a truncated dict literal
_PLANT_AFTER = 5


def in_2014(category: str, index: int, seed: int) -> bool:
    """Whether catalog product `index` has a 2014 record."""
    return (
        title_missing(category, index, seed) or fraction_for(seed, "in-2014", category, index) < SUBSET_SHARE
    )


def record(rng: random.Random, category: str, index: int, seed: int, catalog: int) -> dict[str, Any]:
    """One 2014 meta record; most keys are optional upstream, so each is present only sometimes."""
    vocab = text.CATEGORIES[category]
    item = text.product(category, index, seed)
    result: dict[str, Any] = {"asin": catalog_asin(category, index, seed)}
    if rng.random() < 0.6:
        result["description"] = text.description_text(rng, item, rng.randint(1, 2))
    if rng.random() < 0.9 or title_missing(category, index, seed):
        result["title"] = item.title()
    if rng.random() < 0.7:
        result["price"] = item.price
    result["imUrl"] = f"http://ecx.images-amazon.com/images/I/{rng.randint(10**9, 10**10)}.jpg"
    if rng.random() < 0.8:
        lists = {"also_bought": 3, "also_viewed": 4, "bought_together": 1, "buy_after_viewing": 2}
        result["related"] = {
            key: [catalog_asin(category, rng.randrange(catalog), seed) for _ in range(rng.randint(1, most))]
            for key, most in lists.items()
            if rng.random() < 0.6
        }
    if rng.random() < 0.5 or title_missing(category, index, seed):
        result["brand"] = item.brand
    result["categories"] = [[vocab.root, item.subcategory, item.noun.title()]] + (
        [[vocab.root, rng.choice(vocab.subcategories)]] if rng.random() < 0.2 else []
    )
    if rng.random() < 0.8:
        result["salesRank"] = {vocab.root: rng.randint(1, 900_000)}
    return result


def write_meta(out_dir: Path, profile: Profile, seed: int, progress: bool, category: str) -> tuple[str, int]:
    relative = f"amazon2014/meta_{category}.json.gz"
    catalog = unique_products(profile, category)
    rng = rng_for(seed, relative)
    plant = PLANTED_BAD_LINES.get(relative, 0)
    with record_sink(out_dir, relative, None, progress) as sink:
        # Extra products sit far past the 2018 catalog, its dangling links and its ratings orphans.
        extras = range(3 * catalog, 3 * catalog + round(catalog * EXTRA_SHARE))
        for index in chain((i for i in range(catalog) if in_2014(category, i, seed)), extras):
            line = repr(record(rng, category, index, seed, catalog))
            sink.write(line)
            if plant and sink.rows == _PLANT_AFTER:
                sink.write_bytes(truncated(line))
    return relative, sink.rows


def write(out_dir: Path, profile: Profile, seed: int, progress: bool) -> dict[str, int]:
    """Write the 2014 meta file of every Amazon-2018 category."""
    return dict(write_meta(out_dir, profile, seed, progress, category) for category in CATEGORIES)
