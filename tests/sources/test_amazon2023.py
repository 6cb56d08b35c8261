"""Amazon 2023 adapter: JSONL (plain or gzipped) reviews and meta, Hub Parquet meta, quarantine."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from helpers_h1 import read_one, write_jsonl_gz
from helpers_h2 import jsonl, quarantined, read_all, write

from ecinstruct_builder.errors import SourceFileError
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.amazon2023 import Amazon2023
from ecinstruct_builder.sources.base import InputFile

CATEGORY = "All_Beauty"
SHARD = "raw_meta_All_Beauty/full-00000-of-00001.parquet"


def review(asin: str, **fields: object) -> dict:
    """An invented 2023 review line."""
    return {
        "rating": 5.0,
        "title": "Smells fresh",
        "text": "Light scent that lasts the day.",
        "images": [],
        "asin": asin,
        "parent_asin": "B0PARENT01",
        "user_id": "AUSER2023A",
        "timestamp": 1683295728923,
        "helpful_vote": 2,
        "verified_purchase": True,
        **fields,
    }


def item(parent_asin: str, **fields: object) -> dict:
    """An invented 2023 metadata line."""
    return {
        "main_category": "All Beauty",
        "title": "Citrus hand cream",
        "average_rating": 4.2,
        "rating_number": 15,
        "features": ["Non-greasy"],
        "description": ["A cream for dry hands."],
        "price": 8.5,
        "images": [],
        "videos": [],
        "store": "Orchard Row",
        "categories": [],
        "details": {"Brand": "Orchard Row"},
        "parent_asin": parent_asin,
        "bought_together": None,
        **fields,
    }


def hub_shard(path: Path, rows: list[dict]) -> Path:
    """A Parquet shard shaped like the Hub's raw_meta_* configs (price and details as strings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    schema = {
        "main_category": pl.String,
        "title": pl.String,
        "average_rating": pl.Float64,
        "rating_number": pl.Int64,
        "features": pl.List(pl.String),
        "description": pl.List(pl.String),
        "price": pl.String,
        "images": pl.List(pl.Struct({"hi_res": pl.String, "thumb": pl.String})),
        "store": pl.String,
        "categories": pl.List(pl.String),
        "details": pl.String,
        "parent_asin": pl.String,
        "bought_together": pl.String,
    }
    pl.DataFrame(rows, schema=schema, orient="row").write_parquet(path)
    return path


def shard_row(parent_asin: str | None, price: str, **fields: object) -> dict:
    row = {**item("x"), "parent_asin": parent_asin, "price": price, "details": '{"Brand": "Orchard Row"}'}
    return {**row, "images": [{"hi_res": None, "thumb": "https://example.invalid/t.jpg"}], **fields}


def test_discover_finds_jsonl_gzipped_jsonl_and_parquet_shards(tmp_path: Path) -> None:
    for name in (
        "All_Beauty.jsonl",
        "Magazine_Subscriptions.jsonl.gz",
        "meta_All_Beauty.jsonl.gz",
        SHARD,
        "raw_meta_Magazine_Subscriptions/full-00000-of-00002.parquet",
        "all_categories.txt",
        "raw/review_categories/Unknown.jsonl",  # the Hub repo's own layout is not this one
    ):
        write(tmp_path / name, b"")

    assert Amazon2023().discover(tmp_path, {}) == [
        InputFile(path=tmp_path / "All_Beauty.jsonl", category=CATEGORY),
        InputFile(path=tmp_path / "Magazine_Subscriptions.jsonl.gz", category="Magazine_Subscriptions"),
        InputFile(path=tmp_path / "meta_All_Beauty.jsonl.gz", category=CATEGORY),
        InputFile(path=tmp_path / SHARD, category=CATEGORY),
        InputFile(
            path=tmp_path / "raw_meta_Magazine_Subscriptions/full-00000-of-00002.parquet",
            category="Magazine_Subscriptions",
        ),
    ]
    assert [
        f.path.name for f in Amazon2023().discover(tmp_path, {"categories": ["Magazine_Subscriptions"]})
    ] == [
        "Magazine_Subscriptions.jsonl.gz",
        "full-00000-of-00002.parquet",
    ]


def test_reviews_accept_both_field_spellings(tmp_path: Path) -> None:
    draft = review("B0CHILD002", sort_timestamp=1600000000000, helpful_votes=9)
    del draft["timestamp"], draft["helpful_vote"]
    write_jsonl_gz(tmp_path / "All_Beauty.jsonl.gz", review("B0CHILD001"), draft)

    tables, quarantine = read_all(Amazon2023(), tmp_path)

    assert len(quarantine) == 0
    assert tables["amazon2023_reviews"].to_dicts() == [
        {
            "category": CATEGORY,
            "rating": 5.0,
            "title": "Smells fresh",
            "text": "Light scent that lasts the day.",
            "asin": "B0CHILD001",
            "parent_asin": "B0PARENT01",
            "user_id": "AUSER2023A",
            "timestamp": 1683295728923,
            "helpful_vote": 2,
            "verified_purchase": True,
            "line": 1,
        },
        {
            "category": CATEGORY,
            "rating": 5.0,
            "title": "Smells fresh",
            "text": "Light scent that lasts the day.",
            "asin": "B0CHILD002",
            "parent_asin": "B0PARENT01",
            "user_id": "AUSER2023A",
            "timestamp": 1600000000000,
            "helpful_vote": 9,
            "verified_purchase": True,
            "line": 2,
        },
    ]


def test_meta_jsonl_rows(tmp_path: Path) -> None:
    write(
        tmp_path / "meta_All_Beauty.jsonl",
        jsonl(item("B0PARENT01"), item("B0PARENT02", price=None, details={})),
    )

    tables, _ = read_all(Amazon2023(), tmp_path)

    assert tables["amazon2023_meta"].to_dicts() == [
        {
            "category": CATEGORY,
            "parent_asin": "B0PARENT01",
            "main_category": "All Beauty",
            "title": "Citrus hand cream",
            "average_rating": 4.2,
            "rating_number": 15,
            "features": ["Non-greasy"],
            "description": ["A cream for dry hands."],
            "price": 8.5,
            "store": "Orchard Row",
            "categories": [],
            "details": '{"Brand": "Orchard Row"}',
        },
        {
            "category": CATEGORY,
            "parent_asin": "B0PARENT02",
            "main_category": "All Beauty",
            "title": "Citrus hand cream",
            "average_rating": 4.2,
            "rating_number": 15,
            "features": ["Non-greasy"],
            "description": ["A cream for dry hands."],
            "price": None,
            "store": "Orchard Row",
            "categories": [],
            "details": "{}",
        },
    ]


def test_parquet_shard_is_a_lazy_scan_in_the_table_schema(tmp_path: Path) -> None:
    path = hub_shard(
        tmp_path / SHARD,
        [
            shard_row("B0PARENT01", "8.50"),
            shard_row(None, "1.00"),
            shard_row("B0PARENT03", "None"),
            shard_row("B0PARENT04", "$1,299.99 - $1,499.99"),
            shard_row("", "2.00"),
        ],
    )
    quarantine = Quarantine()

    pieces = list(Amazon2023().read_file(InputFile(path=path, category=CATEGORY), {}, quarantine))

    assert [(table, type(frame)) for table, frame in pieces] == [("amazon2023_meta", pl.LazyFrame)]
    meta = pieces[0][1].collect()
    assert meta.schema == pl.Schema(Amazon2023.tables["amazon2023_meta"])
    assert meta.select("category", "parent_asin", "price", "details").rows() == [
        (CATEGORY, "B0PARENT01", 8.5, '{"Brand": "Orchard Row"}'),
        (CATEGORY, "B0PARENT03", None, '{"Brand": "Orchard Row"}'),
        (CATEGORY, "B0PARENT04", 1299.99, '{"Brand": "Orchard Row"}'),
    ]
    assert quarantined(quarantine) == [
        ("full-00000-of-00001.parquet", 2, "missing required field parent_asin"),
        ("full-00000-of-00001.parquet", 5, "missing required field parent_asin"),
    ]
    assert '"price":"1.00"' in quarantine.rows[0]["raw"]


def test_parquet_shard_without_optional_columns_gives_nulls(tmp_path: Path) -> None:
    path = tmp_path / SHARD
    path.parent.mkdir()
    pl.DataFrame({"parent_asin": ["B0PARENT01"], "title": ["Lip balm"]}).write_parquet(path)

    tables, _ = read_all(Amazon2023(), tmp_path)

    assert tables["amazon2023_meta"].row(0, named=True) == {
        "category": CATEGORY,
        "parent_asin": "B0PARENT01",
        "main_category": None,
        "title": "Lip balm",
        "average_rating": None,
        "rating_number": None,
        "features": None,
        "description": None,
        "price": None,
        "store": None,
        "categories": None,
        "details": None,
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PAR1 not really parquet", "not a readable Parquet file"),
        (None, "column features is String, expected List\\(String\\)"),
        ({"title": ["no key"]}, "no parent_asin column"),
    ],
)
def test_unusable_parquet_shard_raises_source_file_error(
    tmp_path: Path, content: bytes | dict | None, message: str
) -> None:
    path = tmp_path / SHARD
    path.parent.mkdir()
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        pl.DataFrame(content or {"parent_asin": ["B0PARENT01"], "features": ["not a list"]}).write_parquet(
            path
        )
    quarantine = Quarantine()

    with pytest.raises(SourceFileError, match=message):
        list(Amazon2023().read_file(InputFile(path=path, category=CATEGORY), {}, quarantine))
    assert len(quarantine) == 0


def test_item_in_jsonl_and_parquet_is_kept_once(tmp_path: Path) -> None:
    write(
        tmp_path / "meta_All_Beauty.jsonl", jsonl(item("B0PARENT01", title="from jsonl"), item("B0PARENT02"))
    )
    hub_shard(tmp_path / SHARD, [shard_row("B0PARENT01", "9.00", title="from parquet")])

    tables, _ = read_all(Amazon2023(), tmp_path)

    assert tables["amazon2023_meta"].select("parent_asin", "title", "price").rows() == [
        ("B0PARENT01", "from parquet", 9.0),
        ("B0PARENT02", "Citrus hand cream", 8.5),
    ]


def test_bad_lines_are_quarantined(tmp_path: Path) -> None:
    no_asin = review("B0CHILD002")
    del no_asin["asin"]
    write(
        tmp_path / "All_Beauty.jsonl",
        jsonl(
            review("B0CHILD001"),
            no_asin,
            '{"rating": 5.0, "text": "trunc',
            b"\xff\xfe\x00 binary",
            review("B0CHILD005", verified_purchase="yes"),
            review("B0CHILD006", timestamp="2023-05-05"),
            review("B0CHILD007"),
        ),
    )
    write(tmp_path / "meta_All_Beauty.jsonl", jsonl(item("B0PARENT01", features="Non-greasy"), item(None)))

    tables, quarantine = read_all(Amazon2023(), tmp_path)

    assert tables["amazon2023_reviews"]["line"].to_list() == [1, 7]
    assert tables["amazon2023_meta"].height == 0
    assert quarantined(quarantine) == [
        ("All_Beauty.jsonl", 2, "missing required field asin"),
        ("All_Beauty.jsonl", 3, "invalid JSON: Unterminated string starting at"),
        ("All_Beauty.jsonl", 4, "not valid UTF-8"),
        ("All_Beauty.jsonl", 5, "field verified_purchase: expected boolean, got string"),
        ("All_Beauty.jsonl", 6, "field timestamp: expected integer, got string"),
        ("meta_All_Beauty.jsonl", 1, "field features: expected list of strings, got string"),
        ("meta_All_Beauty.jsonl", 2, "missing required field parent_asin"),
    ]


@pytest.mark.parametrize("name", ["All_Beauty.jsonl.gz", "meta_All_Beauty.jsonl", SHARD])
def test_missing_file_raises_source_file_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(SourceFileError, match="file not found"):
        read_one(Amazon2023(), InputFile(path=tmp_path / name, category=CATEGORY))


def test_remote_files_are_the_ucsd_jsonl_gz_files() -> None:
    remote = Amazon2023().remote_files({"categories": [CATEGORY]})

    base = "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/"
    assert [(file.relative_path, file.urls) for file in remote] == [
        ("amazon2023/All_Beauty.jsonl.gz", (f"{base}review_categories/All_Beauty.jsonl.gz",)),
        ("amazon2023/meta_All_Beauty.jsonl.gz", (f"{base}meta_categories/meta_All_Beauty.jsonl.gz",)),
    ]
    assert Amazon2023().remote_files({}) == []
