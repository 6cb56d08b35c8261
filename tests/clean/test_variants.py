"""Reviews shared across product variants: families found before the split, one copy kept."""

import random
from pathlib import Path

import polars as pl

from ecinstruct_builder.clean.variants import VARIANT_REASON, product_families, variant_plan
from ecinstruct_builder.config import SplitConfig, task_config
from ecinstruct_builder.select import select_task
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.tasks.sa import SentimentAnalysis

VOCABULARY = [
    "kettle",
    "lamp",
    "drill",
    "tent",
    "jacket",
    "mug",
    "blender",
    "charger",
    "speaker",
    "backpack",
    "sturdy",
    "cheap",
    "quiet",
    "loud",
    "heavy",
    "light",
    "handle",
    "cable",
    "button",
    "screen",
    "lid",
    "switch",
    "cord",
    "box",
    "colour",
    "size",
    "weight",
    "noise",
    "price",
    "seller",
    "delivery",
    "manual",
]


def text(family: int) -> str:
    """An invented review, far from every other family's (twelve random words)."""
    rng = random.Random(family)
    return "I bought this and " + " ".join(rng.choice(VOCABULARY) for _ in range(12))


def keys(rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["candidate_id", "group_key", "copy"], orient="row")


def test_products_sharing_a_copy_are_one_family_even_through_a_chain():
    frame = keys(
        [("c1", "A", "r1"), ("c2", "B", "r1"), ("c3", "B", "r2"), ("c4", "C", "r2"), ("c5", "D", "r3")]
    )
    families = dict(product_families(frame, "copy").iter_rows())
    assert families == {"A": "A", "B": "A", "C": "A", "D": "D"}


def test_one_copy_is_kept_and_the_others_name_it():
    frame = keys([("c2", "B", "r1"), ("c1", "A", "r1"), ("c3", "C", None), ("c4", "C", "r4")])
    plan = {row["candidate_id"]: row for row in variant_plan(frame, "copy").iter_rows(named=True)}
    assert plan["c1"]["kept_id"] is None and plan["c2"]["kept_id"] == "c1"
    assert plan["c1"]["family"] == plan["c2"]["family"] == "A"
    assert plan["c3"]["kept_id"] is None and plan["c4"]["kept_id"] is None  # no copy key: no copy


def reviews(products: int, copies_per_review: int) -> pl.DataFrame:
    """Each review listed under `copies_per_review` ASINs of its product family, as the real files do."""
    rows = []
    for family in range(products):
        for variant in range(copies_per_review):
            rows.append(
                {
                    "category": ("Electronics", "Home")[family % 2],
                    "asin": f"B{family:04d}{variant}",
                    "reviewer_id": f"U{family}",
                    "overall": float(1 + family % 5),
                    "review_text": text(family),
                    "line": len(rows) + 1,
                }
            )
    return pl.DataFrame(rows, schema=Amazon2018.tables["amazon2018_reviews"])


def test_shared_reviews_never_straddle_train_and_evaluation_and_quotas_fill(tmp_path: Path):
    builder = SentimentAnalysis()
    sizes = {"train": 150, "validation": 20, "test": 20}
    config = task_config(builder, {"ind_categories": ["Electronics", "Home"], "sizes": sizes})
    tables = {"amazon2018_reviews": reviews(300, copies_per_review=3).lazy()}
    selection = select_task(builder, tables, config, 1, SplitConfig(), tmp_path)
    selected = selection.selected
    by_split = {
        s: set(selected.filter(pl.col("split") == s)["review"]) for s in ("train", "validation", "test")
    }
    assert not by_split["train"] & (by_split["validation"] | by_split["test"])
    assert {q.split: q.selected for q in selection.split.quotas} == sizes  # filled from what remains
    rejects = selection.rejects
    copies = rejects.filter(pl.col("reason") == VARIANT_REASON)
    assert copies.height == 2 * 300 and set(copies["stage"]) == {"dedup"}
    assert not rejects.filter(pl.col("stage") == "decontaminate").height  # nothing left to contaminate
    kept = set(copies["kept_id"])
    assert kept.isdisjoint(copies["candidate_id"])  # every copy names a row that was kept


def test_variant_copies_switch_keeps_every_copy(tmp_path: Path):
    builder = SentimentAnalysis()
    table = {"ind_categories": ["Electronics", "Home"], "dedup": {"exact": False, "near": False}}
    tables = {"amazon2018_reviews": reviews(100, copies_per_review=3).lazy()}
    runs = {}
    for collapse in (True, False):
        config = task_config(builder, {**table, "dedup": {**table["dedup"], "variant_copies": collapse}})
        runs[collapse] = select_task(builder, tables, config, 1, SplitConfig(), tmp_path / str(collapse))
    assert runs[True].selected.height == 100
    assert runs[True].rejects.filter(pl.col("reason") == VARIANT_REASON).height == 200
    assert runs[False].selected.height == 300 and runs[False].rejects.is_empty()
