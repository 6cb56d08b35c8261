"""The candidate store: selection through key columns plus `attach` equals selection on full rows."""

from pathlib import Path

import polars as pl
import pytest
from select_helpers import PLAIN, plain_selection

from ecinstruct_builder.candidate_store import KEY_COLUMNS, ROW, CandidateStore
from ecinstruct_builder.clean.stage import TaskCleaner
from ecinstruct_builder.config import SplitConfig, task_config
from ecinstruct_builder.errors import EcbuildError
from ecinstruct_builder.select import Selector
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.tasks.sa import SentimentAnalysis

WORDS = "a sturdy kettle that boils water fast and looks good on the counter"
TABLE = {
    "ind_categories": ["Electronics", "Kitchen"],
    "ood_categories": ["Tools"],
    "sizes": {"train": 60, "validation": 8, "test": 8, "test_ood": 8},
}


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
    return (
        SentimentAnalysis()
        .build({"amazon2018_reviews": reviews.lazy()}, task_config(SentimentAnalysis(), TABLE), 1)
        .collect()
    )


def stored(tmp_path: Path, frame: pl.DataFrame) -> tuple[CandidateStore, pl.DataFrame]:
    store = CandidateStore(tmp_path / "store", seed=1, task="SA")
    keys = pl.concat([store.add(frame.slice(start, 170)) for start in range(0, frame.height, 170)])
    return store, keys


def test_add_keeps_key_columns_and_parks_the_rest(tmp_path: Path) -> None:
    frame = candidates()
    store, keys = stored(tmp_path, frame)
    assert len(store.parts) == 3 and store.rows == frame.height
    assert keys.columns == [*frame.columns, "bucket", "halve", "order", ROW]
    assert keys.select(KEY_COLUMNS).equals(frame.select(KEY_COLUMNS))
    assert keys["review"].null_count() == frame.height and keys[ROW].to_list() == list(range(frame.height))


def test_selection_through_the_store_equals_selection_on_full_rows(tmp_path: Path) -> None:
    frame = candidates()
    expected, report, _ = plain_selection(frame, SentimentAnalysis(), **TABLE)
    store, keys = stored(tmp_path, frame)
    config = task_config(SentimentAnalysis(), {**PLAIN, **TABLE})
    cleaner = TaskCleaner.for_task(SentimentAnalysis(), config, 1)
    offered: list[int] = []

    class Counting(Selector):
        def _offer(self, chunk: pl.DataFrame, need: int) -> tuple[pl.DataFrame, int]:
            offered.append(chunk.height)
            return super()._offer(chunk, need)

    selector = Counting(SentimentAnalysis(), config, 1, SplitConfig(), cleaner, store)
    selected, report_via_store = selector.select(keys)
    assert selected.drop(ROW).equals(expected.select(selected.drop(ROW).columns))
    assert report_via_store == report
    assert sum(offered) < frame.height  # only the rows the quotas reach came back from disk


def test_attach_refuses_rows_with_buckets_it_did_not_give(tmp_path: Path) -> None:
    frame = candidates(60)
    store, keys = stored(tmp_path, frame)
    assert store.attach(keys.reverse()).drop(ROW, "bucket", "halve", "order").equals(frame.reverse())
    with pytest.raises(EcbuildError, match="internal"):
        store.attach(keys.with_columns(order=pl.lit(0.5)))
