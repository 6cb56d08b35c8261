"""The candidate store: selection through key columns plus `attach` equals selection on full rows."""

from pathlib import Path

import polars as pl

from ecinstruct_builder.build import merge_funnel
from ecinstruct_builder.candidate_store import KEY_COLUMNS, ROW, CandidateStore
from ecinstruct_builder.recipe import TaskRecipe
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.split import split_candidates
from ecinstruct_builder.tasks.sa import SentimentAnalysis

WORDS = "a sturdy kettle that boils water fast and looks good on the counter"
RECIPE = TaskRecipe(
    ind_categories=("Electronics", "Kitchen"),
    ood_categories=("Tools",),
    sizes={"train": 60, "validation": 8, "test": 8, "test_ood": 8},
)


def candidates(n: int = 500) -> pl.DataFrame:
    reviews = pl.DataFrame(
        [
            {
                "category": ("Tools", "Electronics", "Kitchen")[i % 3],
                "asin": f"B{i % 170:04d}",  # several reviews per product: groups matter
                "reviewer_id": f"U{i}",
                "overall": float(1 + i % 5),
                "review_text": f"{WORDS} {i}",
                "line": i + 1,
            }
            for i in range(n)
        ],
        schema=Amazon2018.tables["amazon2018_reviews"],
    )
    return SentimentAnalysis().build({"amazon2018_reviews": reviews.lazy()}, RECIPE, 1).collect()


def stored(tmp_path: Path, frame: pl.DataFrame) -> tuple[CandidateStore, pl.DataFrame]:
    store = CandidateStore(tmp_path / "store", seed=1)
    keys = pl.concat([store.add(frame.slice(start, 170)) for start in range(0, frame.height, 170)])
    return store, keys


def test_add_keeps_key_columns_and_parks_the_rest(tmp_path: Path) -> None:
    frame = candidates()
    store, keys = stored(tmp_path, frame)
    assert len(store.parts) == 3 and store.rows == frame.height
    assert keys.columns == [*frame.columns, ROW]
    assert keys.select(KEY_COLUMNS).equals(frame.select(KEY_COLUMNS))
    assert keys["review"].null_count() == frame.height and keys[ROW].to_list() == list(range(frame.height))


def test_selection_through_the_store_equals_selection_on_full_rows(tmp_path: Path) -> None:
    frame = candidates()
    expected, report = split_candidates(frame, SentimentAnalysis(), RECIPE, 1)
    store, keys = stored(tmp_path, frame)
    offered: list[int] = []

    def accept(chunk: pl.DataFrame, need: int) -> tuple[pl.DataFrame, int]:
        offered.append(chunk.height)
        full = store.attach(chunk)
        return full.head(need), min(need, full.height)

    selected, report_via_store = split_candidates(keys, SentimentAnalysis(), RECIPE, 1, accept=accept)
    assert selected.drop(ROW).equals(expected)
    assert report_via_store == report
    assert sum(offered) < frame.height  # only the rows the quotas reach came back from disk


def test_attach_finds_rows_even_when_buckets_disagree(tmp_path: Path) -> None:
    frame = candidates(60)
    store, keys = stored(tmp_path, frame)
    rows = keys.reverse().with_columns(bucket=pl.lit(0.5))  # not the stored buckets: a full read
    assert store.attach(rows).drop(ROW, "bucket").equals(frame.reverse())


def test_funnels_of_batches_add_up_step_by_step() -> None:
    batch = [{"step": "candidates", "rows": 10}, {"step": "filter:required", "rows": 7}]
    other = [{"step": "candidates", "rows": 5}, {"step": "filter:required", "rows": 5}]
    assert merge_funnel(batch + other) == [
        {"step": "candidates", "rows": 15},
        {"step": "filter:required", "rows": 12},
    ]
