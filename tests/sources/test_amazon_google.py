"""Amazon-Google adapter: loose CSVs or the zip, decoding by evidence, quoted multi-line fields, prices,
quarantine."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from helpers_h2 import quarantined, read_all, write

from ecinstruct_builder.errors import SourceFileError
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.amazon_google import AmazonGoogle
from ecinstruct_builder.sources.base import InputFile

MAPPING = "Amzon_GoogleProducts_perfectMapping.csv"
# Invented records in the upstream quoting. Line 3 starts a description with an embedded newline and a
# comma; "\x99" is not valid UTF-8: the file is cp1252, where it is the trade mark sign.
AMAZON_CSV = (
    b'"id","title","description","manufacturer","price"\r\n'
    b'"b000test01","clearview photo suite 5","edit, crop and share photos","clearview soft","49.99"\r\n'
    b'"b000test02","mapleguard\x99 total shield","first line\r\nsecond line, with comma","","0"\r\n'
    b'"b000test03","tax helper deluxe",,"numbersoft","$1,299.00"\r\n'
)
GOOGLE_CSV = (
    b'"id","name","description","manufacturer","price"\n'
    b'"http://www.google.com/base/feeds/snippets/101","clearview photo suite v5","photo editor","",'
    b'"44.5 gbp"\n'
    b'"http://www.google.com/base/feeds/snippets/102","tax helper","","","free"\n'
)
MAPPING_CSV = (
    b'"idAmazon","idGoogleBase"\n'
    b'"b000test01","http://www.google.com/base/feeds/snippets/101"\n'
    b'"b000test03","http://www.google.com/base/feeds/snippets/102"\n'
)
FILES = {"Amazon.csv": AMAZON_CSV, "GoogleProducts.csv": GOOGLE_CSV, MAPPING: MAPPING_CSV}

EXPECTED_PRODUCTS = [
    {
        "side": "amazon",
        "id": "b000test01",
        "title": "clearview photo suite 5",
        "description": "edit, crop and share photos",
        "manufacturer": "clearview soft",
        "price": "49.99",
        "price_value": 49.99,
        "line": 2,
    },
    {
        "side": "amazon",
        "id": "b000test02",
        "title": "mapleguard\u2122 total shield",
        "description": "first line\r\nsecond line, with comma",
        "manufacturer": None,
        "price": "0",
        "price_value": 0.0,
        "line": 3,
    },
    {
        "side": "amazon",
        "id": "b000test03",
        "title": "tax helper deluxe",
        "description": None,
        "manufacturer": "numbersoft",
        "price": "$1,299.00",
        "price_value": 1299.0,
        "line": 5,  # the previous record spans lines 3-4
    },
    {
        "side": "google",
        "id": "http://www.google.com/base/feeds/snippets/101",
        "title": "clearview photo suite v5",
        "description": "photo editor",
        "manufacturer": None,
        "price": "44.5 gbp",
        "price_value": 44.5,
        "line": 2,
    },
    {
        "side": "google",
        "id": "http://www.google.com/base/feeds/snippets/102",
        "title": "tax helper",
        "description": None,
        "manufacturer": None,
        "price": "free",
        "price_value": None,
        "line": 3,
    },
]
EXPECTED_MAPPING = [
    ("b000test01", "http://www.google.com/base/feeds/snippets/101", 2),
    ("b000test03", "http://www.google.com/base/feeds/snippets/102", 3),
]


def write_loose(folder: Path, files: dict[str, bytes] = FILES) -> None:
    for name, content in files.items():
        write(folder / name, content)


def write_zip(path: Path, files: dict[str, bytes] = FILES, prefix: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(prefix + name, content)
    return path


def test_loose_csvs_are_read_by_encoding_evidence_quoting_and_prices(tmp_path: Path) -> None:
    write_loose(tmp_path)

    tables, quarantine = read_all(AmazonGoogle(), tmp_path)

    assert len(quarantine) == 0
    assert tables["amazon_google_products"].to_dicts() == EXPECTED_PRODUCTS
    assert tables["amazon_google_mapping"].rows() == EXPECTED_MAPPING


def test_zip_members_are_read_without_extracting(tmp_path: Path) -> None:
    write_zip(tmp_path / "Amazon-GoogleProducts.zip", prefix="Amazon-GoogleProducts/")

    tables, _ = read_all(AmazonGoogle(), tmp_path)

    assert tables["amazon_google_products"].to_dicts() == EXPECTED_PRODUCTS
    assert tables["amazon_google_mapping"].rows() == EXPECTED_MAPPING
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Amazon-GoogleProducts.zip"]


def test_discover_prefers_the_zip_and_the_original_mapping_name(tmp_path: Path) -> None:
    write_loose(tmp_path / "loose", {**FILES, "Amazon_GoogleProducts_perfectMapping.csv": MAPPING_CSV})
    write(tmp_path / "loose" / "Abt.csv", b"not this source")
    write_loose(tmp_path / "both")
    write_zip(tmp_path / "both" / "Amazon-GoogleProducts.zip")

    assert AmazonGoogle().discover(tmp_path / "loose", {}) == [
        InputFile(path=tmp_path / "loose" / name) for name in ("Amazon.csv", MAPPING, "GoogleProducts.csv")
    ]
    assert AmazonGoogle().discover(tmp_path / "both", {}) == [
        InputFile(path=tmp_path / "both" / "Amazon-GoogleProducts.zip")
    ]


def test_correctly_spelled_mapping_name_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / "Amazon_GoogleProducts_perfectMapping.csv", MAPPING_CSV)

    tables, _ = read_all(AmazonGoogle(), tmp_path)

    assert tables["amazon_google_mapping"].rows() == EXPECTED_MAPPING
    assert tables["amazon_google_products"].height == 0


def test_bad_rows_are_quarantined_with_their_starting_line(tmp_path: Path) -> None:
    amazon = AMAZON_CSV + (
        b'"b000test04","only three","fields"\r\n'
        b'"","no id","desc","maker","1.00"\r\n'
        b"\x00\xff\xfe\x89PNG junk\r\n"
        b"\r\n"
        b'"b000test05","multi\r\nline","",",","2"\r\n'
    )
    write_loose(tmp_path, {"Amazon.csv": amazon, MAPPING: MAPPING_CSV + b'"b000test09",""\n'})

    tables, quarantine = read_all(AmazonGoogle(), tmp_path)

    assert tables["amazon_google_products"].select("id", "line").rows() == [
        ("b000test01", 2),
        ("b000test02", 3),
        ("b000test03", 5),
        ("b000test05", 10),
    ]
    assert quarantined(quarantine) == [
        ("Amazon.csv", 6, "expected 5 CSV fields, got 3"),
        ("Amazon.csv", 7, "missing required field id"),
        ("Amazon.csv", 8, "expected 5 CSV fields, got 1"),
        (MAPPING, 4, "missing required field idGoogleBase"),
    ]
    assert quarantine.rows[0]["raw"] == '"b000test04","only three","fields"'
    assert quarantine.rows[2]["raw"] == "\x00\xff\xfe\u2030PNG junk"  # cp1252, as the file


def test_quarantine_names_the_zip_member(tmp_path: Path) -> None:
    write_zip(
        tmp_path / "Amazon-GoogleProducts.zip", {**FILES, "GoogleProducts.csv": GOOGLE_CSV + b'"x","y"\n'}
    )

    _, quarantine = read_all(AmazonGoogle(), tmp_path)

    assert [row["file"] for row in quarantine.rows] == [
        str(tmp_path / "Amazon-GoogleProducts.zip" / "GoogleProducts.csv")
    ]
    assert quarantined(quarantine) == [("GoogleProducts.csv", 4, "expected 5 CSV fields, got 2")]


def test_missing_csv_raises_source_file_error(tmp_path: Path) -> None:
    file = InputFile(path=tmp_path / "Amazon.csv")

    with pytest.raises(SourceFileError, match=r"Amazon\.csv: file not found"):
        list(AmazonGoogle().read_file(file, {}, Quarantine()))


def test_zip_without_a_member_raises_source_file_error(tmp_path: Path) -> None:
    write_zip(tmp_path / "Amazon-GoogleProducts.zip", {"Amazon.csv": AMAZON_CSV})

    with pytest.raises(
        SourceFileError,
        match=re.escape("the archive has no GoogleProducts.csv, Amzon_GoogleProducts_perfectMapping.csv"),
    ):
        read_all(AmazonGoogle(), tmp_path)


def test_corrupt_zip_raises_source_file_error(tmp_path: Path) -> None:
    write(tmp_path / "Amazon-GoogleProducts.zip", b"<html>404 not found</html>")

    with pytest.raises(SourceFileError, match=r"Amazon-GoogleProducts\.zip: not a readable zip archive"):
        read_all(AmazonGoogle(), tmp_path)


def test_unexpected_header_raises_source_file_error(tmp_path: Path) -> None:
    write(tmp_path / "GoogleProducts.csv", b'"id","title","description","manufacturer","price"\n')

    expected = (
        "expected CSV header id,name,description,manufacturer,price, "
        "found id,title,description,manufacturer,price"
    )
    with pytest.raises(SourceFileError, match=re.escape(expected)):
        read_all(AmazonGoogle(), tmp_path)


def test_remote_file_is_the_leipzig_zip_with_its_mirror() -> None:
    [remote] = AmazonGoogle().remote_files({})

    assert remote.relative_path == "amazon_google/Amazon-GoogleProducts.zip"
    assert remote.urls == (
        "https://dbs.uni-leipzig.de/files/datasets/Amazon-GoogleProducts.zip",
        "https://dbs.uni-leipzig.de/file/Amazon-GoogleProducts.zip",
    )
    assert remote.manual is None
