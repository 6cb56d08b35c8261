"""Amazon 2018 adapter: file discovery, meta/review quirks, ratings CSV, duplicates, quarantine."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from helpers_h1 import gz, read_one, write_jsonl_gz
from helpers_h2 import quarantined, read_all, write

from ecinstruct_builder.errors import RecipeError, SourceFileError
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources import _amazon, _common
from ecinstruct_builder.sources.amazon2018 import Amazon2018, main_category, similar_asins
from ecinstruct_builder.sources.base import InputFile

META = "meta_Tools_and_Home_Improvement.json.gz"
REVIEWS = "Tools_and_Home_Improvement.json.gz"
RATINGS = "Tools_and_Home_Improvement.csv"
CATEGORY = "Tools_and_Home_Improvement"


def product(asin: str, **fields: object) -> dict:
    """An invented metaFiles2 record with every upstream key, in upstream types."""
    return {
        "asin": asin,
        "title": f"Folding sawhorse {asin[-2:]}",
        "brand": "Quillfeather",
        "main_cat": "Tools & Home Improvement",
        "category": ["Tools & Home Improvement", "Power & Hand Tools"],
        "description": ["Holds up to 300 lb."],
        "feature": ["Steel legs"],
        "also_buy": [],
        "also_view": [],
        "similar_item": "",
        "rank": [">#1,204 in Tools & Home Improvement (See top 100)"],
        "price": "$18.99",
        "date": "March 3, 2015",
        "tech1": "",
        "tech2": "",
        "fit": "",
        "imageURL": [],
        "imageURLHighRes": [],
        "details": {},
        **fields,
    }


def review(asin: str, **fields: object) -> dict:
    """An invented full-review record."""
    return {
        "overall": 4.0,
        "verified": True,
        "reviewTime": "01 2, 2017",
        "reviewerID": "AREVIEWER0001",
        "asin": asin,
        "reviewerName": "Pat",
        "reviewText": "Sturdy enough for the garage and folds away flat.",
        "summary": "Sturdy",
        "unixReviewTime": 1483315200,
        **fields,
    }


def test_discover_finds_the_three_file_kinds_and_ignores_other_formats(tmp_path: Path) -> None:
    for name in (
        REVIEWS,
        META,
        RATINGS,
        "meta_Electronics.json.gz",
        "Tools_and_Home_Improvement_5.json.gz",  # 5-core: another format
        "All_Amazon_Meta.json.gz",  # every category at once (MAVE's input)
        "ratings_Electronics.csv",  # the 2014 layout, user first
        "duplicates.txt",
        "notes.md",
    ):
        write(tmp_path / name, b"")

    found = Amazon2018().discover(tmp_path, {})

    assert found == [
        InputFile(path=tmp_path / RATINGS, category=CATEGORY),
        InputFile(path=tmp_path / REVIEWS, category=CATEGORY),
        InputFile(path=tmp_path / "meta_Electronics.json.gz", category="Electronics"),
        InputFile(path=tmp_path / META, category=CATEGORY),
    ]
    only = Amazon2018().discover(tmp_path, {"categories": ["Electronics", "Books"]})
    assert only == [InputFile(path=tmp_path / "meta_Electronics.json.gz", category="Electronics")]
    assert Amazon2018().discover(tmp_path / "absent", {}) == []


def test_meta_quirks_are_undone(tmp_path: Path) -> None:
    write_jsonl_gz(
        tmp_path / META,
        product(
            "B0TOOL0001",
            title="24&quot; Sawhorse &amp; Clamp",
            main_cat='<img src="https://example.invalid/icon.png" alt="Digital Music"/>',
            description=["", "Folds &amp; locks.", ""],
            feature=["", "Steel legs"],
            also_buy=["B0TOOL0002"],
            also_view=["B0TOOL0003", "B0TOOL0004"],
            similar_item=(
                '<table class="comparison_table"><tr><td><a href="/dp/B0TOOL0005?asin=B0TOOL0005&amp;x=1">'
                'one</a></td><td data-asin="B0TOOL0006">two</td><td>a basin 0123456789</td></tr></table>'
            ),
            rank=">#3,780 in Tools & Home Improvement (See top 100)",
            price="$5.99 - $9.99",
            details={"Item Weight": "7 pounds", "Shipping Weight": "8 pounds"},
            tech1={"Material": "Steel"},
        ),
        product("B0TOOL0002", price="", rank="", details="", description=[], main_cat="Tools"),
    )

    tables, quarantine = read_all(Amazon2018(), tmp_path)

    assert len(quarantine) == 0
    first, second = tables["amazon2018_meta"].to_dicts()
    assert first == {
        "category": CATEGORY,
        "asin": "B0TOOL0001",
        "title": '24" Sawhorse & Clamp',
        "brand": "Quillfeather",
        "main_cat": "Digital Music",
        "categories": ["Tools & Home Improvement", "Power & Hand Tools"],
        "description": ["Folds & locks."],
        "feature": ["Steel legs"],
        "also_buy": ["B0TOOL0002"],
        "also_view": ["B0TOOL0003", "B0TOOL0004"],
        "similar_item": ["B0TOOL0005", "B0TOOL0006"],
        "rank": [">#3,780 in Tools & Home Improvement (See top 100)"],
        "price": "$5.99 - $9.99",
        "price_value": 5.99,
        "date": "March 3, 2015",
        "details": '{"Item Weight": "7 pounds", "Shipping Weight": "8 pounds"}',
        "line": 1,
    }
    empties = ("main_cat", "rank", "price", "price_value", "details", "description", "similar_item")
    assert {key: second[key] for key in empties} == {
        "main_cat": "Tools",
        "rank": [],
        "price": "",
        "price_value": None,
        "details": None,
        "description": [],
        "similar_item": [],
    }


@pytest.mark.parametrize(
    ("price", "value"),
    [
        ("$18.99", 18.99),
        ("$1,299.00", 1299.0),
        ("$5.99 - $9.99", 5.99),
        ("12", 12.0),
        ("", None),
        (None, None),
        (".a-box-inner{background-color:#fff}", None),
        ("Currently unavailable, was $4", None),
    ],
)
def test_price_value_is_the_leading_amount(price: str | None, value: float | None) -> None:
    assert _amazon.parse_price(price) == value


def test_main_category_and_similar_items_edge_cases() -> None:
    assert main_category("<IMG alt='Health &amp; Care' src=x>") == "Health & Care"
    assert main_category("<img src=x>") == "<img src=x>"  # no alt: left for the clean stage to judge
    assert main_category(None) is None
    assert similar_asins("asin=b0tool0007 asin=B0TOOL0007 asin=TOOSHORT asin=B0TOOL00089") == ["B0TOOL0007"]
    assert similar_asins(None) is None


def test_duplicate_asins_keep_the_last_row_at_the_first_position(tmp_path: Path) -> None:
    write_jsonl_gz(
        tmp_path / META,
        product("B0TOOL0001", title="old title"),
        product("B0TOOL0002", title="only"),
        product("B0TOOL0001", title="new title"),
    )
    write_jsonl_gz(tmp_path / "meta_Electronics.json.gz", product("B0TOOL0001", title="other category"))

    tables, _ = read_all(Amazon2018(), tmp_path)

    assert tables["amazon2018_meta"].select("category", "asin", "title", "line").rows() == [
        ("Electronics", "B0TOOL0001", "other category", 1),
        (CATEGORY, "B0TOOL0001", "new title", 3),
        (CATEGORY, "B0TOOL0002", "only", 2),
    ]


def test_meta_compressed_twice_is_read(tmp_path: Path) -> None:
    write_jsonl_gz(tmp_path / META, product("B0TOOL0001"), layers=2)

    tables, _ = read_all(Amazon2018(), tmp_path)

    assert tables["amazon2018_meta"]["asin"].to_list() == ["B0TOOL0001"]


def test_reviews_are_normalised_and_incomplete_ones_kept(tmp_path: Path) -> None:
    incomplete = review("B0TOOL0002")
    del incomplete["reviewText"], incomplete["overall"]
    write_jsonl_gz(
        tmp_path / REVIEWS,
        review("B0TOOL0001", vote="1,234", style={"Size:": " Large", "Color:": " Charcoal"}),
        incomplete,
        review("B0TOOL0003", vote=7, style=""),
    )

    tables, quarantine = read_all(Amazon2018(), tmp_path)

    assert len(quarantine) == 0
    assert tables["amazon2018_reviews"].to_dicts() == [
        {
            "category": CATEGORY,
            "asin": "B0TOOL0001",
            "reviewer_id": "AREVIEWER0001",
            "overall": 4.0,
            "verified": True,
            "unix_time": 1483315200,
            "review_text": "Sturdy enough for the garage and folds away flat.",
            "summary": "Sturdy",
            "vote": 1234,
            "style": '{"Size:": " Large", "Color:": " Charcoal"}',
            "line": 1,
        },
        {
            "category": CATEGORY,
            "asin": "B0TOOL0002",
            "reviewer_id": "AREVIEWER0001",
            "overall": None,
            "verified": True,
            "unix_time": 1483315200,
            "review_text": None,
            "summary": "Sturdy",
            "vote": None,
            "style": None,
            "line": 2,
        },
        {
            "category": CATEGORY,
            "asin": "B0TOOL0003",
            "reviewer_id": "AREVIEWER0001",
            "overall": 4.0,
            "verified": True,
            "unix_time": 1483315200,
            "review_text": "Sturdy enough for the garage and folds away flat.",
            "summary": "Sturdy",
            "vote": 7,
            "style": None,
            "line": 3,
        },
    ]


def test_review_max_lines_reads_only_the_first_lines(tmp_path: Path) -> None:
    write_jsonl_gz(
        tmp_path / REVIEWS,
        review("B0TOOL0001"),
        '{"asin": "B0TOOL0002", "overall": 5',  # bad but inside the window: quarantined
        review("B0TOOL0003"),
        "not even close to JSON",  # outside the window: never read, so never quarantined
        review("B0TOOL0005"),
    )
    write_jsonl_gz(tmp_path / META, product("B0TOOL0001"), product("B0TOOL0002"), product("B0TOOL0003"))

    tables, quarantine = read_all(Amazon2018(), tmp_path, {"review_max_lines": 3})

    assert tables["amazon2018_reviews"]["asin"].to_list() == ["B0TOOL0001", "B0TOOL0003"]
    assert tables["amazon2018_meta"].height == 3  # the cap is for review files only
    assert quarantined(quarantine) == [(REVIEWS, 2, "invalid JSON: Expecting ',' delimiter")]


def test_long_files_are_yielded_in_bounded_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "BATCH_ROWS", 2)
    path = write_jsonl_gz(tmp_path / REVIEWS, *(review(f"B0TOOL{n:04d}") for n in range(5)))

    pieces = read_one(Amazon2018(), InputFile(path=path, category=CATEGORY))

    assert [(table, frame.height) for table, frame in pieces] == [("amazon2018_reviews", 2)] * 2 + [
        ("amazon2018_reviews", 1)
    ]
    assert [line for _, frame in pieces for line in frame["line"]] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"review_max_lines": "200000"}, "review_max_lines must be a non-negative integer"),
        ({"review_max_lines": -1}, "review_max_lines must be a non-negative integer"),
        ({"categories": "Electronics"}, "categories must be a list of strings"),
    ],
)
def test_bad_options_are_recipe_errors(tmp_path: Path, options: dict, message: str) -> None:
    write_jsonl_gz(tmp_path / REVIEWS, review("B0TOOL0001"))

    with pytest.raises(RecipeError, match=message):
        read_all(Amazon2018(), tmp_path, options)


def test_bad_lines_are_quarantined_and_reading_goes_on(tmp_path: Path) -> None:
    no_asin = {key: value for key, value in review("B0TOOL0001").items() if key != "asin"}
    write_jsonl_gz(
        tmp_path / REVIEWS,
        review("B0TOOL0001"),
        no_asin,
        '{"asin": "B0TOOL0003", "reviewText": "cut off mid',
        b"\x00\x9f\x92\x96\xff binary junk",
        b'{"asin": "B0TOOL0005", "reviewText": "caf\xe9"}',  # latin-1, not UTF-8
        "{'asin': 'B0TOOL0006'}",  # a Python literal: fine in 2014 files, not in 2018 ones
        '["B0TOOL0007"]',
        review("B0TOOL0008", overall="five"),
        review("B0TOOL0009", vote="lots"),
        review("B0TOOL0010", unixReviewTime=2**63),
        review("B0TOOL0011", reviewText="\ud800 lone surrogate"),
        review("B0TOOL0012", style=["Size: L"]),
        {**review("B0TOOL0013"), "asin": ""},
        "",
        review("B0TOOL0015"),
    )
    write_jsonl_gz(tmp_path / META, product("B0TOOL0001"), product("B0TOOL0002", similar_item=["B0TOOL0001"]))

    tables, quarantine = read_all(Amazon2018(), tmp_path)

    assert tables["amazon2018_reviews"].select("asin", "line").rows() == [
        ("B0TOOL0001", 1),
        ("B0TOOL0015", 15),
    ]
    assert quarantined(quarantine) == [
        (REVIEWS, 2, "missing required field asin"),
        (REVIEWS, 3, "invalid JSON: Unterminated string starting at"),
        (REVIEWS, 4, "not valid UTF-8"),
        (REVIEWS, 5, "not valid UTF-8"),
        (REVIEWS, 6, "invalid JSON: Expecting property name enclosed in double quotes"),
        (REVIEWS, 7, "expected a JSON object, got list"),
        (REVIEWS, 8, "field overall: expected number, got string"),
        (REVIEWS, 9, "field vote: not a whole number"),
        (REVIEWS, 10, "field unixReviewTime: integer 9223372036854775808 does not fit in 64 bits"),
        (REVIEWS, 11, "field reviewText: not valid Unicode (lone surrogate)"),
        (REVIEWS, 12, "field style: expected object, got list"),
        (REVIEWS, 13, "missing required field asin"),
        (META, 2, "field similar_item: expected string, got list"),
    ]
    assert quarantine.rows[1]["raw"] == '{"asin": "B0TOOL0003", "reviewText": "cut off mid'
    assert {row["source"] for row in quarantine.rows} == {"amazon2018"}


def test_ratings_csv_is_a_lazy_scan_and_bad_lines_are_quarantined(tmp_path: Path) -> None:
    write(
        tmp_path / RATINGS,
        b"B0TOOL0001,AUSER0001,5.0,1389225600\n"
        b"B0TOOL0002,AUSER0002,3.0\n"
        b"B0TOOL0003,AUSER0003,4.0,1389225600,extra\n"
        b"B0TOOL0004,AUSER0004,good,1389225600\n"
        b"B0TOOL0005,AUSER0005,2.0,yesterday\n"
        b"B0TOOL0006,\xff\xfe,1.0,1389225600\n"
        b",AUSER0007,1.0,1389225600\n"
        b"\n"
        b'"B0TOOL0009","AUSER0009",1.0,1\n'
        b"B0TOOL0010,AUSER0010,4,1389312000\r\n"
        b"B0TOOL0011,AUSER0011,1.0,1389398400",
    )
    file = Amazon2018().discover(tmp_path, {})[0]
    quarantine = Quarantine()

    pieces = list(Amazon2018().read_file(file, {}, quarantine))

    assert [(table, type(frame)) for table, frame in pieces] == [("amazon2018_ratings", pl.LazyFrame)]
    ratings = pieces[0][1].collect()
    assert ratings.schema == pl.Schema(Amazon2018.tables["amazon2018_ratings"])
    assert ratings.rows() == [
        (CATEGORY, "B0TOOL0001", "AUSER0001", 5.0, 1389225600),
        (CATEGORY, '"B0TOOL0009"', '"AUSER0009"', 1.0, 1),  # no quoting upstream: quotes are kept
        (CATEGORY, "B0TOOL0010", "AUSER0010", 4.0, 1389312000),
        (CATEGORY, "B0TOOL0011", "AUSER0011", 1.0, 1389398400),
    ]
    assert quarantined(quarantine) == [
        (RATINGS, 2, "expected 4 CSV fields, got 3"),
        (RATINGS, 3, "expected 4 CSV fields, got 5"),
        (RATINGS, 4, "rating is not a number"),
        (RATINGS, 5, "timestamp is not an integer"),
        (RATINGS, 6, "not valid UTF-8"),
        (RATINGS, 7, "missing item or user"),
    ]
    assert quarantine.rows[0]["raw"] == "B0TOOL0002,AUSER0002,3.0"


@pytest.mark.parametrize("content", [b"", b"\n  \n\r\n"])
def test_an_empty_or_blank_ratings_file_is_an_error_naming_it(tmp_path: Path, content: bytes) -> None:
    write(tmp_path / RATINGS, content)

    with pytest.raises(SourceFileError, match=rf"{RATINGS}: holds no records"):
        read_all(Amazon2018(), tmp_path)


@pytest.mark.parametrize("name", [REVIEWS, META, RATINGS])
def test_missing_file_raises_source_file_error(tmp_path: Path, name: str) -> None:
    file = InputFile(path=tmp_path / name, category=CATEGORY)

    with pytest.raises(SourceFileError, match=rf"{name}: file not found"):
        read_one(Amazon2018(), file)


def test_truncated_gzip_raises_source_file_error_naming_the_last_good_line(tmp_path: Path) -> None:
    whole = gz(b"".join(f'{{"asin": "B0TOOL{n:04d}"}}\n'.encode() for n in range(2000)))
    path = write(tmp_path / REVIEWS, whole[: len(whole) // 2])

    with pytest.raises(SourceFileError, match=rf"{REVIEWS}: compressed stream broken after line \d+"):
        read_one(Amazon2018(), InputFile(path=path, category=CATEGORY))


def test_unknown_file_name_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "notes.txt", b"")

    with pytest.raises(SourceFileError, match="not an upstream file name of amazon2018"):
        read_one(Amazon2018(), InputFile(path=path, category=CATEGORY))


def test_remote_files_cover_each_category_from_three_mirrors() -> None:
    remote = Amazon2018().remote_files({"categories": ["Electronics", "Tools_and_Home_Improvement"]})

    assert [file.relative_path for file in remote] == [
        "amazon2018/Electronics.json.gz",
        "amazon2018/Electronics.csv",
        "amazon2018/meta_Electronics.json.gz",
        "amazon2018/Tools_and_Home_Improvement.json.gz",
        "amazon2018/Tools_and_Home_Improvement.csv",
        "amazon2018/meta_Tools_and_Home_Improvement.json.gz",
    ]
    assert remote[2].urls == (
        "https://jmcauley.ucsd.edu/data/amazon_v2/metaFiles2/meta_Electronics.json.gz",
        "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_v2/metaFiles2/meta_Electronics.json.gz",
        "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_v2/metaFiles2/meta_Electronics.json.gz",
    )
    assert remote[1].urls[0] == "https://jmcauley.ucsd.edu/data/amazon_v2/categoryFilesSmall/Electronics.csv"
    assert remote[0].urls[0] == "https://jmcauley.ucsd.edu/data/amazon_v2/categoryFiles/Electronics.json.gz"
    assert all(file.manual is None for file in remote)
    assert Amazon2018().remote_files({}) == []


def test_ratings_lines_cleared_by_the_quick_pattern_are_exactly_the_good_ones(tmp_path: Path) -> None:
    # plain lines, lines the quick pattern leaves to the full checks (good and bad), in one file
    lines = [
        "B01,U01,5.0,1500000000",
        "B02,U02,4,1500000001",
        "B03,U03,1e0,7",  # a number, though not plain decimal: kept
        "B04,U04,3.0,-5",  # a negative timestamp is still an integer: kept
        "B05,U05,3.0,99999999999999999999",  # too large for Int64
        "B06,,2.0,1",
        "B07,U07,two,1",
        "B08,U08,2.0,1,extra",
        "B09,U09,2.0,1.5",
    ]
    path = tmp_path / "Tools.csv"
    path.write_text("\n".join(lines) + "\n")
    quarantine = Quarantine()
    ((_, scan),) = Amazon2018().read_file(InputFile(path, category="Tools"), {}, quarantine)
    assert scan.collect()["item"].to_list() == ["B01", "B02", "B03", "B04"]
    assert [(row["line"], row["reason"]) for row in quarantine.rows] == [
        (5, "timestamp is not an integer"),
        (6, "missing item or user"),
        (7, "rating is not a number"),
        (8, "expected 4 CSV fields, got 5"),
        (9, "timestamp is not an integer"),
    ]
