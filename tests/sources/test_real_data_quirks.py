"""The failure classes found on real upstream files (issue 14), each on a small invented input:
encodings, byte-order marks, NaN, unclosed quotes, 5-core files, missing or misplaced files, entities."""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import polars as pl
import pytest
from helpers_h1 import write_jsonl_gz
from helpers_h2 import quarantined, read_all, write

from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.errors import SourceFileError
from ecinstruct_builder.fetch import run_fetch
from ecinstruct_builder.io import iter_lines
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources._common import csv_rows, decode_text
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.sources.amazon_google import AmazonGoogle
from ecinstruct_builder.sources.esci import Esci

AMAZON_HEADER = b'"id","title","description","manufacturer","price"\n'
GOOGLE = b'"id","name","description","manufacturer","price"\n"g1","suite","","","1"\n'
MAPPING = b'"idAmazon","idGoogleBase"\n"a1","g1"\n'
MAPPING_NAME = "Amzon_GoogleProducts_perfectMapping.csv"


def _amazon_google(folder: Path, amazon: bytes) -> None:
    write(folder / "Amazon.csv", amazon)
    write(folder / "GoogleProducts.csv", GOOGLE)
    write(folder / MAPPING_NAME, MAPPING)


def _fetch(tmp_path: Path, source: str, options: str = "") -> tuple[object, Path]:
    recipe_path = tmp_path / "recipe.toml"
    recipe_path.write_text(f'name = "t"\norigin = "bundled"\n[sources.{source}]\n{options}')
    workdir = tmp_path / "work"
    return run_fetch(load_recipe(str(recipe_path)), workdir, tmp_path / "src", progress=False), workdir


# --- encodings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("Café ®\n".encode(), "Café ®\n", "utf-8"),
        (b"\xef\xbb\xbfid\n", "id\n", "utf-8"),  # the byte-order mark is not text
        (b"Caf\xe9 \xae \x99\n", "Café ® ™\n", "cp1252"),  # Latin-1 bytes, as the Leipzig CSVs
        (b"\x81 \xe9\n", "\x81 é\n", "latin-1"),  # 0x81 has no cp1252 character
        ("Café\n".encode() + b"Caf\xe9\n", "Café\nCafé\n", "utf-8+cp1252"),  # mixed, line by line
    ],
)
def test_text_is_decoded_by_evidence_without_replacement_characters(
    data: bytes, text: str, encoding: str
) -> None:
    assert decode_text(data) == (text, encoding)


def test_a_latin1_csv_keeps_its_characters_and_the_manifest_names_the_encoding(tmp_path: Path) -> None:
    folder = tmp_path / "src" / "amazon_google"
    _amazon_google(folder, AMAZON_HEADER + b'"a1","Photo Suite\xae 5","","Clearview","9.99"\n')

    _, workdir = _fetch(tmp_path, "amazon_google")

    products = pl.read_parquet(workdir / "sources" / "amazon_google_products.parquet")
    assert products.filter(side="amazon")["title"].to_list() == ["Photo Suite® 5"]
    manifest = (workdir / "sources" / "manifest.json").read_text()
    assert '"Amazon.csv": "cp1252"' in manifest
    assert '"GoogleProducts.csv": "utf-8"' in manifest


def test_a_byte_order_mark_before_a_quoted_header_is_accepted(tmp_path: Path) -> None:
    _amazon_google(tmp_path, b"\xef\xbb\xbf" + AMAZON_HEADER + b'"a1","Suite","","","1"\n')

    tables, quarantine = read_all(AmazonGoogle(), tmp_path)

    assert len(quarantine) == 0
    assert tables["amazon_google_products"].filter(side="amazon")["id"].to_list() == ["a1"]


def test_a_byte_order_mark_does_not_cost_the_first_json_record(tmp_path: Path) -> None:
    review = b'{"asin": "B0BOM00001", "overall": 5.0}'
    # a broken neighbour sends the chunk through the Python reader too: both must keep line 1
    for name, body in (("clean", review), ("with-bad-line", review + b"\n{broken")):
        folder = tmp_path / name
        write(folder / "Electronics.json.gz", gzip.compress(b"\xef\xbb\xbf" + body + b"\n", mtime=0))

        tables, _ = read_all(Amazon2018(), folder)

        assert tables["amazon2018_reviews"].select("asin", "line").rows() == [("B0BOM00001", 1)]
    assert next(raw for _, raw in iter_lines(folder / "Electronics.json.gz")) == review


def test_invalid_utf8_inside_a_json_string_is_quarantined_and_the_rest_arrive(tmp_path: Path) -> None:
    # the repro of the issue: Arrow's parser accepted this line and Polars then failed on the string
    write(
        tmp_path / "Electronics.json.gz",
        gzip.compress(
            b'{"asin": "B000000001", "reviewText": "fine", "overall": 5.0}\n'
            b'{"asin": "B000000002", "reviewText": "caf\xe9", "overall": 5.0}\n'
            b'{"asin": "B000000003", "reviewText": "a\xc0\xafb", "overall": 5.0}\n',
            mtime=0,
        ),
    )

    tables, quarantine = read_all(Amazon2018(), tmp_path)

    assert tables["amazon2018_reviews"]["asin"].to_list() == ["B000000001"]
    assert quarantined(quarantine) == [
        ("Electronics.json.gz", 2, "not valid UTF-8"),
        ("Electronics.json.gz", 3, "not valid UTF-8"),
    ]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_quarantined_with_a_reason(tmp_path: Path, token: str) -> None:
    write_jsonl_gz(
        tmp_path / "Electronics.json.gz",
        '{"asin": "B000000001", "overall": 4.0}',
        f'{{"asin": "B000000002", "overall": {token}}}',
    )

    tables, quarantine = read_all(Amazon2018(), tmp_path)

    assert tables["amazon2018_reviews"]["overall"].to_list() == [4.0]
    assert quarantined(quarantine) == [
        ("Electronics.json.gz", 2, f"field overall: {float(token)} is not a finite number")
    ]


# --- CSV records with an unclosed quote ----------------------------------------------------------


def test_an_unclosed_quote_costs_only_its_own_line_in_amazon_google(tmp_path: Path) -> None:
    _amazon_google(
        tmp_path,
        AMAZON_HEADER
        + b'"a1","Suite","first\nsecond","","1"\n'  # a real multi-line field: one record
        + b'"a2","Unclosed title\n'  # the quote never closes
        + b'"a3","Next","","","2"\n'
        + b'"a4","Last","","","3"\n',
    )

    tables, quarantine = read_all(AmazonGoogle(), tmp_path)

    amazon = tables["amazon_google_products"].filter(side="amazon")
    assert amazon.select("id", "line").rows() == [("a1", 2), ("a3", 5), ("a4", 6)]
    assert quarantined(quarantine) == [("Amazon.csv", 4, "malformed CSV: unclosed quote")]


def test_an_unclosed_quote_in_the_esci_sources_does_not_remove_the_rows_after_it(tmp_path: Path) -> None:
    rows = (
        b"query_id,source\n1,behavioral\n"
        + b'2,"negations\n'
        + b"".join(b"%d,other\n" % query for query in range(3, 40))
    )
    handle = io.BytesIO(rows)
    quarantine = Quarantine()

    kept = [
        fields for _, _, fields in csv_rows(handle, "sources.csv", ("query_id", "source"), "esci", quarantine)
    ]

    assert kept == [["1", "behavioral"], *([str(query), "other"] for query in range(3, 40))]
    assert quarantined(quarantine) == [("sources.csv", 3, "malformed CSV: unclosed quote")]


def test_a_multi_line_last_record_with_an_unquoted_number_is_one_record(tmp_path: Path) -> None:
    _amazon_google(tmp_path, AMAZON_HEADER + b'"a1","Suite","first\nsecond","maker",0\n')

    tables, quarantine = read_all(AmazonGoogle(), tmp_path)

    amazon = tables["amazon_google_products"].filter(side="amazon")
    assert amazon.select("id", "description", "price").rows() == [("a1", "first\nsecond", "0")]
    assert len(quarantine) == 0


def test_a_header_only_csv_is_an_error_naming_it(tmp_path: Path) -> None:
    _amazon_google(tmp_path, AMAZON_HEADER)

    with pytest.raises(SourceFileError, match=r"Amazon\.csv: has a header but no records"):
        read_all(AmazonGoogle(), tmp_path)


# --- files in and out of place --------------------------------------------------------------------


def _amazon2018_files(folder: Path, reviews: str = "Electronics.json.gz") -> None:
    write_jsonl_gz(folder / reviews, '{"asin": "B0CORE0001", "overall": 5.0}')
    write_jsonl_gz(folder / "meta_Electronics.json.gz", '{"asin": "B0CORE0001", "title": "Lamp"}')
    write(folder / "Electronics.csv", b"B0CORE0001,U1,5.0,1500000000\n")


def test_the_5_core_file_is_read_when_the_full_file_is_absent_with_a_notice(tmp_path: Path) -> None:
    _amazon2018_files(tmp_path / "src" / "amazon2018", reviews="Electronics_5.json.gz")

    result, workdir = _fetch(tmp_path, "amazon2018", 'categories = ["Electronics"]')

    assert pl.read_parquet(workdir / "sources" / "amazon2018_reviews.parquet")["asin"].to_list() == [
        "B0CORE0001"
    ]
    assert len(result.notices) == 1
    assert (
        "Electronics.json.gz is absent; reading the 5-core subset Electronics_5.json.gz" in result.notices[0]
    )


def test_the_full_reviews_file_wins_over_the_5_core_one(tmp_path: Path) -> None:
    _amazon2018_files(tmp_path)
    write_jsonl_gz(tmp_path / "Electronics_5.json.gz", '{"asin": "B0FIVE0001", "overall": 5.0}')

    files = Amazon2018().discover(tmp_path, {})

    assert sorted(file.path.name for file in files) == [
        "Electronics.csv",
        "Electronics.json.gz",
        "meta_Electronics.json.gz",
    ]


def test_a_needed_file_that_is_absent_is_an_error_naming_it(tmp_path: Path) -> None:
    _amazon2018_files(tmp_path / "src" / "amazon2018")
    (tmp_path / "src" / "amazon2018" / "meta_Electronics.json.gz").unlink()

    needs = r"the recipe needs meta_Electronics\.json\.gz, which is not there"
    found = r" \(found: Electronics\.csv, Electronics\.json\.gz\)"
    with pytest.raises(SourceFileError, match=needs + found):
        _fetch(tmp_path, "amazon2018", 'categories = ["Electronics"]')


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path.mkdir(), "is a folder, expected a file"),
        (lambda path: path.symlink_to(path.parent / "gone"), "dangling symbolic link"),
        (lambda path: os.mkfifo(path), "not a regular file"),
        (
            lambda path: path.write_bytes(b"version https://git-lfs.github.com/spec/v1\n"),
            "is a Git LFS pointer",
        ),
        (lambda path: path.write_bytes(gzip.compress(b"", mtime=0)), "holds no records"),
    ],
)
def test_something_else_in_place_of_a_file_is_an_error_naming_it(tmp_path: Path, make, message: str) -> None:
    folder = tmp_path / "src" / "amazon2018"
    _amazon2018_files(folder)
    (folder / "meta_Electronics.json.gz").unlink()
    make(folder / "meta_Electronics.json.gz")

    with pytest.raises(SourceFileError, match=rf"meta_Electronics\.json\.gz: {message}"):
        _fetch(tmp_path, "amazon2018")


def test_a_file_whose_every_line_is_quarantined_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "src" / "amazon2018"
    _amazon2018_files(folder)
    write(folder / "Electronics.json.gz", '{"asin": "B1"}\n{"asin": "B2"}\n'.encode("utf-16"))

    with pytest.raises(SourceFileError, match=r"Electronics\.json\.gz: every record \(\d+\) is unreadable"):
        _fetch(tmp_path, "amazon2018")


def test_a_truncated_gzip_names_the_last_good_line(tmp_path: Path) -> None:
    lines = b"".join(b'{"asin": "B%08d", "overall": 5.0}\n' % i for i in range(20_000))
    data = gzip.compress(lines, mtime=0)
    write(tmp_path / "Electronics.json.gz", data[: len(data) // 2])

    with pytest.raises(
        SourceFileError, match=r"Electronics\.json\.gz: compressed stream broken after line (\d+)"
    ) as info:
        read_all(Amazon2018(), tmp_path)

    last_good = int(info.value.args[0].split("after line ")[1].split(" ")[0])
    assert 0 < last_good < 20_000


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("empty", "holds none of the recipe's source folders"),
        ("deep", "is the amazon2018 folder itself"),
        ("nested", "holds the source folders a level down"),
    ],
)
def test_a_source_dir_without_source_folders_is_an_error(tmp_path: Path, layout: str, message: str) -> None:
    root = tmp_path / "src"
    if layout == "empty":
        root.mkdir()
    else:
        _amazon2018_files(root / "raw" / "amazon2018")
        root = root / "raw" / "amazon2018" if layout == "deep" else root
    recipe_path = tmp_path / "recipe.toml"
    recipe_path.write_text('name = "t"\norigin = "bundled"\n[sources.amazon2018]\n')

    with pytest.raises(SourceFileError, match=message):
        run_fetch(load_recipe(str(recipe_path)), tmp_path / "work", root, progress=False)


def test_no_input_files_says_which_categories_are_expected_and_what_was_found(tmp_path: Path) -> None:
    write(tmp_path / "src" / "amazon2014" / "notes.txt", b"not data")
    write(tmp_path / "src" / "amazon2014" / "meta_Books.json", b"{}")

    result, _ = _fetch(tmp_path, "amazon2014")

    folder = tmp_path / "src" / "amazon2014"
    assert result.skipped == [
        f"amazon2014: no input files under {folder} (found: meta_Books.json, notes.txt)"
    ]


def test_an_esci_id_beyond_64_bits_is_a_clear_error(tmp_path: Path) -> None:
    from test_esci import EXAMPLE_ROWS, write_esci

    examples = {**EXAMPLE_ROWS, "example_id": pl.Series([10, 11, 12, 2**63], dtype=pl.UInt64)}
    write_esci(tmp_path, examples=examples)

    with pytest.raises(SourceFileError, match=r"column example_id holds 9223372036854775808, larger than"):
        read_all(Esci(), tmp_path)


# --- HTML entities and debris in catalogue fields ---------------------------------------------------


def test_entities_are_decoded_in_every_metadata_text_field_and_html_dates_are_nulled(tmp_path: Path) -> None:
    record = (
        '{"asin": "B0HTML0001", "title": "Tote &amp; Go", "brand": "Smith &amp; Sons", '
        '"category": ["Clothing", "Fashion &amp; Style"], "feature": ["Fits 15&quot; laptops"], '
        '"rank": ["#3 in Bags &amp; Cases"], '
        '"date": "<div class=\\"a-fixed-left-grid\\"><span>x</span></div>"}'
    )
    plain = '{"asin": "B0HTML0002", "title": "Cap", "date": "June 6, 2014"}'
    for name, lines in (("fast", [record, plain]), ("python", [record, plain, "{broken"])):
        write_jsonl_gz(tmp_path / name / "meta_Clothing.json.gz", *lines)

        meta = read_all(Amazon2018(), tmp_path / name)[0]["amazon2018_meta"]

        assert meta.select("title", "brand", "categories", "feature", "rank", "date").rows() == [
            (
                "Tote & Go",
                "Smith & Sons",
                ["Clothing", "Fashion & Style"],
                ['Fits 15" laptops'],
                ["#3 in Bags & Cases"],
                None,
            ),
            ("Cap", None, None, None, None, "June 6, 2014"),
        ]


def test_entities_are_decoded_in_reviews_questions_answers_and_queries(tmp_path: Path) -> None:
    from test_amazonqa import question
    from test_esci import EXAMPLE_ROWS, PRODUCT_ROWS, write_esci

    from ecinstruct_builder.sources.amazonqa import AmazonQA

    write_jsonl_gz(
        tmp_path / "2018" / "Electronics.json.gz",
        '{"asin": "B0ENT00001", "reviewText": "A &#34;quiet&#34; fan", "summary": "Fan &amp; timer"}',
    )
    reviews = read_all(Amazon2018(), tmp_path / "2018")[0]["amazon2018_reviews"]
    assert reviews.select("review_text", "summary").rows() == [('A "quiet" fan', "Fan & timer")]

    qa = question(1, questionText="Fits 15&quot; laptops?", review_snippets=["Snug &amp; safe."])
    qa["answers"] = [{"answerText": "Yes &amp; no.", "answerType": "Y", "helpful": [1, 2]}]
    write(tmp_path / "qa" / "train-qar.jsonl", json.dumps(qa).encode() + b"\n")
    row = read_all(AmazonQA(), tmp_path / "qa")[0]["amazonqa"].row(0, named=True)
    assert (row["question_text"], row["review_snippets"]) == ('Fits 15" laptops?', ["Snug & safe."])
    assert row["answers"] == [{"answer_text": "Yes & no.", "answer_type": "Y", "helpful": [1, 2]}]

    queries = ["fan &amp; light", *EXAMPLE_ROWS["query"][1:]]
    write_esci(tmp_path / "esci", examples={**EXAMPLE_ROWS, "query": queries}, products=PRODUCT_ROWS)
    esci = read_all(Esci(), tmp_path / "esci")[0]["esci"]
    assert esci["query"][0] == "fan & light"


def _cli_fetch(tmp_path: Path) -> tuple[int, list[str]]:
    from click.testing import CliRunner

    from ecinstruct_builder.cli import main

    recipe_path = tmp_path / "recipe.toml"
    recipe_path.write_text(
        'name = "t"\norigin = "bundled"\n[sources.amazon2018]\ncategories = ["Electronics"]\n'
    )
    args = ["fetch", "--quiet", "--recipe", str(recipe_path), "--workdir", str(tmp_path / "w")]
    result = CliRunner().invoke(main, [*args, "--source-dir", str(tmp_path / "src")])
    return result.exit_code, result.output.strip().splitlines()


def test_the_cli_prints_a_broken_gzip_as_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    folder = tmp_path / "src" / "amazon2018"
    _amazon2018_files(folder)
    data = gzip.compress(b"".join(b'{"asin": "B%08d"}\n' % i for i in range(5000)), mtime=0)
    write(folder / "Electronics.json.gz", data[: len(data) // 2])

    code, output = _cli_fetch(tmp_path)

    assert code == SourceFileError.exit_code
    assert len(output) == 1
    assert output[0].startswith(
        f"Error: {folder / 'Electronics.json.gz'}: compressed stream broken after line "
    )


def test_the_cli_notes_the_5_core_fallback(tmp_path: Path) -> None:
    _amazon2018_files(tmp_path / "src" / "amazon2018", reviews="Electronics_5.json.gz")

    code, output = _cli_fetch(tmp_path)

    assert code == 0
    assert any(line.startswith("  note: amazon2018: Electronics.json.gz is absent") for line in output)
