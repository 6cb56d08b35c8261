"""ESCI adapter: lazy locale-filtered join of the two Parquets plus sources.csv, and its failure modes."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from helpers_h2 import quarantined, read_all, write

from ecinstruct_builder.errors import SourceFileError
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.base import InputFile
from ecinstruct_builder.sources.esci import EXAMPLES, PRODUCTS, SOURCES, Esci

EXAMPLE_ROWS = {
    "example_id": [10, 11, 12, 13],
    "query": ["quiet fan", "ventilador", "quiet fan", "quiet fan"],
    "query_id": [1, 2, 1, 1],
    "product_id": ["B0FAN00001", "B0FAN00001", "B0FAN00002", "B0NOPRODUC"],
    "product_locale": ["us", "es", "us", "us"],
    "esci_label": ["E", "S", "I", "C"],
    "small_version": [1, 0, 1, 0],
    "large_version": [1, 1, 1, 1],
    "split": ["train", "test", "train", "test"],
}
# The same ASIN exists in two locales with different text: the join must use the locale too.
PRODUCT_ROWS = {
    "product_id": ["B0FAN00002", "B0FAN00001", "B0FAN00001"],
    "product_title": ["Loud Fan", "Whisper Fan", "Ventilador Silencioso"],
    "product_description": ["<p>Moves air.</p>", None, None],
    "product_bullet_point": ["Three speeds\nTimer", "Low noise", None],
    "product_brand": ["Gusto", "Hush", "Hush"],
    "product_color": [None, "white", "blanco"],
    "product_locale": ["us", "us", "es"],
}
SOURCES_CSV = b"query_id,source\n1,behavioral\n2,negations\n"


def write_esci(
    folder: Path, examples: dict | None = None, products: dict | None = None, sources: bytes = SOURCES_CSV
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(examples or EXAMPLE_ROWS).write_parquet(folder / EXAMPLES)
    pl.DataFrame(products or PRODUCT_ROWS).write_parquet(folder / PRODUCTS)
    write(folder / SOURCES, sources)


def test_discover_lists_the_three_upstream_files(tmp_path: Path) -> None:
    write_esci(tmp_path)
    write(tmp_path / "README.md", b"not data")

    assert Esci().discover(tmp_path, {}) == [
        InputFile(path=tmp_path / EXAMPLES),
        InputFile(path=tmp_path / PRODUCTS),
        InputFile(path=tmp_path / SOURCES),
    ]


def test_us_rows_are_joined_on_locale_and_product_in_example_order(tmp_path: Path) -> None:
    write_esci(tmp_path)

    tables, quarantine = read_all(Esci(), tmp_path)

    assert len(quarantine) == 0
    assert tables["esci"].to_dicts() == [
        {
            "example_id": 10,
            "query": "quiet fan",
            "query_id": 1,
            "product_id": "B0FAN00001",
            "product_locale": "us",
            "esci_label": "E",
            "small_version": 1,
            "large_version": 1,
            "split": "train",
            "product_title": "Whisper Fan",
            "product_description": None,
            "product_bullet_point": "Low noise",
            "product_brand": "Hush",
            "product_color": "white",
            "query_source": "behavioral",
        },
        {
            "example_id": 12,
            "query": "quiet fan",
            "query_id": 1,
            "product_id": "B0FAN00002",
            "product_locale": "us",
            "esci_label": "I",
            "small_version": 1,
            "large_version": 1,
            "split": "train",
            "product_title": "Loud Fan",
            "product_description": "<p>Moves air.</p>",
            "product_bullet_point": "Three speeds\nTimer",
            "product_brand": "Gusto",
            "product_color": None,
            "query_source": "behavioral",
        },
        {  # an example whose product row is absent keeps null product fields (left join)
            "example_id": 13,
            "query": "quiet fan",
            "query_id": 1,
            "product_id": "B0NOPRODUC",
            "product_locale": "us",
            "esci_label": "C",
            "small_version": 0,
            "large_version": 1,
            "split": "test",
            "product_title": None,
            "product_description": None,
            "product_bullet_point": None,
            "product_brand": None,
            "product_color": None,
            "query_source": "behavioral",
        },
    ]


def test_only_the_examples_file_yields_and_it_yields_one_lazy_frame(tmp_path: Path) -> None:
    write_esci(tmp_path)
    esci = Esci()

    pieces = {
        file.path.name: list(esci.read_file(file, {}, Quarantine())) for file in esci.discover(tmp_path, {})
    }

    assert pieces[PRODUCTS] == [] and pieces[SOURCES] == []
    [(table, frame)] = pieces[EXAMPLES]
    assert table == "esci"
    assert isinstance(frame, pl.LazyFrame)
    assert frame.collect_schema() == pl.Schema(Esci.tables["esci"])


@pytest.mark.parametrize(("locales", "expected"), [(["es"], [11]), ([], [10, 11, 12, 13])])
def test_locales_option(tmp_path: Path, locales: list[str], expected: list[int]) -> None:
    write_esci(tmp_path)

    tables, _ = read_all(Esci(), tmp_path, {"locales": locales})

    assert tables["esci"]["example_id"].to_list() == expected
    spanish = tables["esci"].filter(pl.col("example_id") == 11)
    assert spanish.select("product_title", "query_source").rows() == [("Ventilador Silencioso", "negations")]


def test_narrower_integer_columns_are_accepted_and_cast(tmp_path: Path) -> None:
    write_esci(tmp_path)
    pl.read_parquet(tmp_path / EXAMPLES).with_columns(
        pl.col("small_version", "large_version").cast(pl.Int8)
    ).write_parquet(tmp_path / EXAMPLES)

    tables, _ = read_all(Esci(), tmp_path)

    assert tables["esci"]["small_version"].to_list() == [1, 1, 0]


def test_malformed_sources_rows_are_quarantined(tmp_path: Path) -> None:
    sources = (
        b"query_id,source\n1,behavioral\nabc,other\n2,nlqec,extra\n1,other\n2,\xff\xfe\n\n2,parse_pattern\n"
    )
    write_esci(tmp_path, sources=sources)

    tables, quarantine = read_all(Esci(), tmp_path, {"locales": []})

    assert tables["esci"].select("example_id", "query_source").rows() == [
        (10, "behavioral"),
        (11, "parse_pattern"),
        (12, "behavioral"),
        (13, "behavioral"),
    ]
    assert quarantined(quarantine) == [
        (SOURCES, 3, "query_id is not an integer: 'abc'"),
        (SOURCES, 4, "expected 2 CSV fields, got 3"),
        (SOURCES, 5, "duplicate query_id 1 (first on line 2)"),
        (SOURCES, 6, "source is not a label: '\xff\xfe'"),
    ]
    assert quarantine.rows[1]["raw"] == "2,nlqec,extra"


def test_query_without_a_source_row_gets_null(tmp_path: Path) -> None:
    write_esci(tmp_path, sources=b"query_id,source\n2,negations\n")

    tables, _ = read_all(Esci(), tmp_path)

    assert tables["esci"]["query_source"].to_list() == [None, None, None]


def test_missing_parquet_columns_name_the_file_and_columns(tmp_path: Path) -> None:
    products = {
        key: value for key, value in PRODUCT_ROWS.items() if key not in ("product_brand", "product_color")
    }
    write_esci(tmp_path, products=products)

    with pytest.raises(
        SourceFileError, match=r"products\.parquet: missing column\(s\) product_brand, product_color"
    ):
        read_all(Esci(), tmp_path)


def test_wrong_column_type_is_a_source_file_error(tmp_path: Path) -> None:
    write_esci(tmp_path, examples={**EXAMPLE_ROWS, "query_id": ["1", "2", "1", "1"]})

    with pytest.raises(
        SourceFileError, match=r"examples\.parquet: unexpected column type\(s\): query_id is String"
    ):
        read_all(Esci(), tmp_path)


def test_an_lfs_pointer_is_an_error_saying_so(tmp_path: Path) -> None:
    write_esci(tmp_path)
    write(tmp_path / PRODUCTS, b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 12\n")

    with pytest.raises(SourceFileError, match=r"products\.parquet: is a Git LFS pointer.*git lfs pull"):
        read_all(Esci(), tmp_path)


def test_a_file_that_is_not_parquet_is_a_source_file_error(tmp_path: Path) -> None:
    write_esci(tmp_path)
    write(tmp_path / PRODUCTS, b"PAR1 but nothing else\n")

    with pytest.raises(SourceFileError, match=r"products\.parquet: not a readable Parquet file"):
        read_all(Esci(), tmp_path)


@pytest.mark.parametrize("missing", [PRODUCTS, SOURCES])
def test_missing_companion_file_raises_source_file_error(tmp_path: Path, missing: str) -> None:
    write_esci(tmp_path)
    (tmp_path / missing).unlink()

    with pytest.raises(SourceFileError, match=re.escape(f"{missing}: file not found")):
        read_all(Esci(), tmp_path)


def test_missing_examples_file_raises_when_a_companion_is_read(tmp_path: Path) -> None:
    write_esci(tmp_path)
    (tmp_path / EXAMPLES).unlink()

    with pytest.raises(SourceFileError, match=re.escape(f"{EXAMPLES}: file not found")):
        read_all(Esci(), tmp_path)


def test_sources_csv_with_another_header_is_rejected(tmp_path: Path) -> None:
    write_esci(tmp_path, sources=b"qid,kind\n1,behavioral\n")

    with pytest.raises(SourceFileError, match="expected CSV header query_id,source, found qid,kind"):
        read_all(Esci(), tmp_path)


def test_remote_files_point_at_the_github_repository() -> None:
    remote = Esci().remote_files({})

    base = "https://github.com/amazon-science/esci-data/raw/main/shopping_queries_dataset"
    assert [(file.relative_path, file.urls) for file in remote] == [
        (f"esci/{name}", (f"{base}/{name}",)) for name in (EXAMPLES, PRODUCTS, SOURCES)
    ]
