"""Amazon Reviews 2023: `amazon2023/{Cat}.jsonl` reviews and `amazon2023/meta_{Cat}.jsonl` items.

Two small categories only: the `ecinstruct` recipe does not read this source, so its size stays the
same at every scale. Reviews join items on `parent_asin`; a few reviews point at items without meta.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from . import text
from .common import Profile, asin, binary_junk, dumps, record_sink, rng_for, user_id

CATEGORIES = ("Electronics", "Home_and_Kitchen")
META_ROWS = 30
REVIEW_ROWS = 60
ORPHAN_ITEMS = 4  # parent ASINs reviewed but absent from the meta file

PLANTED_BAD_LINES = {"amazon2023/Electronics.jsonl": 1}  # a line of binary junk
_PLANT_AFTER = 9
_FIRST_MS = 1_420_070_400_000  # 2015-01-01
_LAST_MS = 1_693_526_400_000  # 2023-09-01


def _namespace(category: str) -> int:
    return 200 + CATEGORIES.index(category)


def _images(rng: random.Random, count: int) -> list[dict[str, str]]:
    base = "https://m.media-amazon.com/images/I/"
    return [
        {
            "thumb": f"{base}{code}._SS40_.jpg",
            "large": f"{base}{code}.jpg",
            "variant": "MAIN" if n == 0 else f"PT0{n}",
            "hi_res": f"{base}{code}._SL1500_.jpg",
        }
        for n, code in enumerate(rng.randint(10**9, 10**10) for _ in range(count))
    ]


def meta_record(rng: random.Random, category: str, index: int, seed: int) -> dict[str, Any]:
    item = text.product(category, index, seed, namespace="catalog-2023")
    vocab = text.CATEGORIES[category]
    return {
        "main_category": vocab.main_cat if rng.random() < 0.9 else None,
        "title": item.title(),
        "average_rating": round(rng.uniform(3.0, 5.0), 1),
        "rating_number": rng.randint(1, 4000),
        "features": text.feature_bullets(rng, item, rng.randint(0, 4)),
        "description": [text.description_text(rng, item, 2)] if rng.random() < 0.7 else [],
        "price": item.price if rng.random() < 0.6 else None,
        "images": _images(rng, rng.randint(1, 3)),
        "videos": [],
        "store": item.brand,
        "categories": [vocab.root, item.subcategory] if rng.random() < 0.5 else [],
        "details": {"Brand": item.brand, "Color": item.color, "Material": item.material},
        "parent_asin": asin(_namespace(category), index, seed),
        "bought_together": None,
    }


def review_record(rng: random.Random, category: str, seed: int) -> dict[str, Any]:
    index = rng.randrange(META_ROWS + ORPHAN_ITEMS)
    item = text.product(category, index, seed, namespace="catalog-2023")
    stars = rng.choices((5, 4, 3, 2, 1), weights=(60, 20, 8, 5, 7))[0]
    parent = asin(_namespace(category), index, seed)
    return {
        "rating": float(stars),
        "title": text.review_summary(rng, item, stars),
        "text": text.review_text(rng, item, stars, text.review_length(rng)),
        "images": _images(rng, 1) if rng.random() < 0.05 else [],
        "asin": parent if rng.random() < 0.7 else asin(_namespace(category) + 10, rng.randrange(10**6), seed),
        "parent_asin": parent,
        "user_id": user_id(_namespace(category), rng.randrange(10**6), seed),
        "timestamp": rng.randint(_FIRST_MS, _LAST_MS),
        "helpful_vote": rng.choice((0, 0, 0, 1, 2, 5)),
        "verified_purchase": rng.random() < 0.9,
    }


def write_category(out_dir: Path, seed: int, progress: bool, category: str) -> dict[str, int]:
    written = {}
    meta_path = f"amazon2023/meta_{category}.jsonl"
    rng = rng_for(seed, meta_path)
    with record_sink(out_dir, meta_path, META_ROWS, progress) as sink:
        for index in range(META_ROWS):
            sink.write(dumps(meta_record(rng, category, index, seed)))
    written[meta_path] = sink.rows
    review_path = f"amazon2023/{category}.jsonl"
    rng = rng_for(seed, review_path)
    plant = PLANTED_BAD_LINES.get(review_path, 0)
    with record_sink(out_dir, review_path, REVIEW_ROWS + plant, progress) as sink:
        for _ in range(REVIEW_ROWS):
            sink.write(dumps(review_record(rng, category, seed)))
            if plant and sink.rows == _PLANT_AFTER:
                sink.write_bytes(binary_junk(rng))
    written[review_path] = sink.rows
    return written


def write(out_dir: Path, profile: Profile, seed: int, progress: bool) -> dict[str, int]:
    """Write both Amazon-2023 categories; their size is fixed, so `profile` is not consulted."""
    written: dict[str, int] = {}
    for category in CATEGORIES:
        written |= write_category(out_dir, seed, progress, category)
    return written
