"""Amazon 2014 metadata adapter: Python-literal lines, `related` lists, duplicates, quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers_h1 import read_one, write_jsonl_gz
from helpers_h2 import quarantined, read_all, write

from ecinstruct_builder.errors import SourceFileError
from ecinstruct_builder.sources.amazon2014 import Amazon2014
from ecinstruct_builder.sources.base import InputFile

META = "meta_Sports_and_Outdoors.json.gz"
CATEGORY = "Sports_and_Outdoors"


def literal(record: dict) -> str:
    """A record the way the 2014 files hold it: a Python dict literal (single quotes, True, None)."""
    return repr(record)


def item(asin: str, **fields: object) -> dict:
    """An invented 2014 metadata record."""
    return {
        "asin": asin,
        "title": "Trail bottle &amp; clip",
        "price": 12.5,
        "imUrl": "https://example.invalid/bottle.jpg",
        "related": {
            "also_bought": ["B0SPRT0002"],
            "also_viewed": ["B0SPRT0003", "B0SPRT0004"],
            "bought_together": ["B0SPRT0002"],
            "buy_after_viewing": ["B0SPRT0005"],
        },
        "salesRank": {"Sports &amp; Outdoors": 21183},
        "categories": [["Sports & Outdoors", "Cycling", "Water Bottles"], ["Sports & Outdoors"]],
        "brand": "Lindenhall",
        **fields,
    }


def test_discover_reads_meta_files_only(tmp_path: Path) -> None:
    for name in (META, "meta_Electronics.json.gz", "reviews_Electronics.json.gz", "ratings_Electronics.csv"):
        write(tmp_path / name, b"")

    assert Amazon2014().discover(tmp_path, {}) == [
        InputFile(path=tmp_path / "meta_Electronics.json.gz", category="Electronics"),
        InputFile(path=tmp_path / META, category=CATEGORY),
    ]
    assert Amazon2014().discover(tmp_path, {"categories": [CATEGORY]}) == [
        InputFile(path=tmp_path / META, category=CATEGORY)
    ]


def test_python_literal_and_json_lines_are_both_read(tmp_path: Path) -> None:
    sparse = {"asin": "B0SPRT0002", "description": "Holds 750 ml &quot;cold&quot;.", "price": "$3.50"}
    write_jsonl_gz(
        tmp_path / META,
        literal(item("B0SPRT0001", title="O'Neill bottle &amp; cage")),  # repr switches to double quotes
        json.dumps(sparse),
        literal({"asin": "B0SPRT0003", "title": None, "related": {}, "salesRank": {}, "flag": True}),
    )

    tables, quarantine = read_all(Amazon2014(), tmp_path)

    assert len(quarantine) == 0
    assert tables["amazon2014_meta"].to_dicts() == [
        {
            "category": CATEGORY,
            "asin": "B0SPRT0001",
            "title": "O'Neill bottle & cage",
            "brand": "Lindenhall",
            "price": 12.5,
            "categories": [["Sports & Outdoors", "Cycling", "Water Bottles"], ["Sports & Outdoors"]],
            "description": None,
            "also_bought": ["B0SPRT0002"],
            "also_viewed": ["B0SPRT0003", "B0SPRT0004"],
            "bought_together": ["B0SPRT0002"],
            "sales_rank": '{"Sports &amp; Outdoors": 21183}',
            "line": 1,
        },
        {
            "category": CATEGORY,
            "asin": "B0SPRT0002",
            "title": None,
            "brand": None,
            "price": 3.5,
            "categories": None,
            "description": 'Holds 750 ml "cold".',
            "also_bought": None,
            "also_viewed": None,
            "bought_together": None,
            "sales_rank": None,
            "line": 2,
        },
        {
            "category": CATEGORY,
            "asin": "B0SPRT0003",
            "title": None,
            "brand": None,
            "price": None,
            "categories": None,
            "description": None,
            "also_bought": None,
            "also_viewed": None,
            "bought_together": None,
            "sales_rank": "{}",
            "line": 3,
        },
    ]


def test_duplicate_asins_keep_the_last_row_at_the_first_position(tmp_path: Path) -> None:
    write_jsonl_gz(
        tmp_path / META,
        literal(item("B0SPRT0001", brand="first")),
        literal(item("B0SPRT0002", brand="other")),
        literal(item("B0SPRT0001", brand="last")),
    )

    tables, _ = read_all(Amazon2014(), tmp_path)

    assert tables["amazon2014_meta"].select("asin", "brand", "line").rows() == [
        ("B0SPRT0001", "last", 3),
        ("B0SPRT0002", "other", 2),
    ]


def test_bad_lines_are_quarantined_and_nothing_is_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "evaluated"
    write_jsonl_gz(
        tmp_path / META,
        literal(item("B0SPRT0001")),
        f"__import__('pathlib').Path({str(marker)!r}).touch()",
        "{'asin': 'B0SPRT0003', 'title': 'cut",
        b"\x00\x9f\x92\x96\xff binary junk",
        b"{'asin': 'B0SPRT0005', 'title': 'caf\xe9'}",
        literal(["B0SPRT0006"]),
        literal({k: v for k, v in item("B0SPRT0007").items() if k != "asin"}),
        literal(item("B0SPRT0008", categories=["Sports & Outdoors"])),
        literal(item("B0SPRT0009", related=["B0SPRT0001"])),
        literal(item("B0SPRT0010", salesRank={"Sports": {1, 2}})),
        literal(item("B0SPRT0011", price="n/a")),
        literal(item("B0SPRT0012", title=("tuple", "title"))),
    )

    tables, quarantine = read_all(Amazon2014(), tmp_path)

    assert not marker.exists()
    assert tables["amazon2014_meta"].select("asin", "price", "line").rows() == [
        ("B0SPRT0001", 12.5, 1),
        ("B0SPRT0011", None, 11),  # an unparseable price string is no amount, not a bad record
    ]
    found = quarantined(quarantine)
    assert found[0] == (META, 2, "neither JSON nor a Python literal: contains a non-literal expression")
    assert found[1][:2] == (META, 3)
    assert found[1][2].startswith("neither JSON nor a Python literal: ")  # Python's own SyntaxError text
    assert found[2:] == [
        (META, 4, "not valid UTF-8"),
        (META, 5, "not valid UTF-8"),
        (META, 6, "expected a JSON object, got list"),
        (META, 7, "missing required field asin"),
        (META, 8, "field categories: expected list of lists of strings, got list"),
        (META, 9, "field related: expected object, got list"),
        (META, 10, "field salesRank: holds values JSON cannot represent"),
        (META, 12, "field title: expected string, got list"),
    ]


def test_missing_file_raises_source_file_error(tmp_path: Path) -> None:
    with pytest.raises(SourceFileError, match=rf"{META}: file not found"):
        read_one(Amazon2014(), InputFile(path=tmp_path / META, category=CATEGORY))


def test_remote_files_are_the_snap_meta_files_of_each_category() -> None:
    remote = Amazon2014().remote_files({"categories": ["Electronics", CATEGORY, "Electronics"]})

    assert [(file.relative_path, file.urls) for file in remote] == [
        (
            "amazon2014/meta_Electronics.json.gz",
            ("http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/meta_Electronics.json.gz",),
        ),
        (
            f"amazon2014/{META}",
            (f"http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/{META}",),
        ),
    ]
