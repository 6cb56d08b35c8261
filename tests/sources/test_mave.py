"""MAVE adapter: split and flat layouts, nested structure checks, quarantine reasons, remote files."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_h2 import jsonl, quarantined, read_all, write

from ecinstruct_builder.errors import SourceFileError
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.base import InputFile
from ecinstruct_builder.sources.mave import Mave

# Invented products in MAVE's full-version shape (one attribute per line, as the split files are).
KETTLE = {
    "id": "B0TESTKT01",
    "category": "Electric Kettles",
    "paragraphs": [
        {"text": "Brightwave Kettle 1.7 L Brushed Steel", "source": "title"},
        {"text": "Boils fast and shuts off by itself.", "source": "description"},
    ],
    "attributes": [
        {"key": "Capacity", "evidences": [{"value": "1.7 L", "pid": 0, "begin": 17, "end": 22}]},
    ],
}
LAMP = {
    "id": "B0TESTLP02",
    "category": "Desk Lamps",
    "paragraphs": [{"text": "Foldable desk lamp", "source": "title"}],
    "attributes": [{"key": "Color", "evidences": []}],
    "extra_field": "ignored",
}


def split_file(folder: Path, split_dir: str, polarity: str, *records: dict | str | bytes) -> Path:
    path = folder / "splits" / "PRODUCT" / split_dir / "00_All" / f"mave_{polarity}.jsonl"
    return write(path, jsonl(*records))


def test_split_layout_is_discovered_with_splits_and_ignores_other_files(tmp_path: Path) -> None:
    split_file(tmp_path, "train", "positives", KETTLE)
    split_file(tmp_path, "eval", "negatives", LAMP)
    split_file(tmp_path, "test", "positives", KETTLE)
    write(tmp_path / "splits" / "PRODUCT" / "train" / "01_Remain" / "mave_positives.jsonl", jsonl(KETTLE))
    write(tmp_path / "mave_positives.jsonl", jsonl(KETTLE))  # the unflattened file: not read with splits
    write(tmp_path / "mave_positives_labels.jsonl", jsonl(KETTLE))

    files = Mave().discover(tmp_path, {})

    root = tmp_path / "splits" / "PRODUCT"
    assert files == [
        InputFile(path=root / "eval" / "00_All" / "mave_negatives.jsonl", split="validation"),
        InputFile(path=root / "test" / "00_All" / "mave_positives.jsonl", split="test"),
        InputFile(path=root / "train" / "00_All" / "mave_positives.jsonl", split="train"),
    ]


def test_rows_keep_the_nested_structure_with_split_polarity_and_line(tmp_path: Path) -> None:
    split_file(tmp_path, "train", "positives", "", KETTLE)
    split_file(tmp_path, "eval", "negatives", LAMP)

    tables, quarantine = read_all(Mave(), tmp_path)

    assert len(quarantine) == 0
    assert tables["mave"].to_dicts() == [
        {
            "id": "B0TESTLP02",
            "category": "Desk Lamps",
            "split": "validation",
            "polarity": "negative",
            "paragraphs": [{"text": "Foldable desk lamp", "source": "title"}],
            "attributes": [{"key": "Color", "evidences": []}],
            "line": 1,
        },
        {
            "id": "B0TESTKT01",
            "category": "Electric Kettles",
            "split": "train",
            "polarity": "positive",
            "paragraphs": KETTLE["paragraphs"],
            "attributes": KETTLE["attributes"],
            "line": 2,  # line 1 is blank: skipped, but still counted
        },
    ]


def test_flat_layout_has_no_split(tmp_path: Path) -> None:
    write(tmp_path / "mave_positives.jsonl", jsonl(KETTLE))
    write(tmp_path / "mave_negatives.jsonl", jsonl(LAMP))

    tables, _ = read_all(Mave(), tmp_path)

    assert tables["mave"].select("id", "split", "polarity").rows() == [
        ("B0TESTLP02", None, "negative"),
        ("B0TESTKT01", None, "positive"),
    ]


def test_val_symlinked_to_eval_is_read_once(tmp_path: Path) -> None:
    split_file(tmp_path, "eval", "positives", KETTLE)
    (tmp_path / "splits" / "PRODUCT" / "val").symlink_to(tmp_path / "splits" / "PRODUCT" / "eval")

    tables, _ = read_all(Mave(), tmp_path)

    assert tables["mave"].select("id", "split").rows() == [("B0TESTKT01", "validation")]


def test_bad_records_are_quarantined_with_line_and_reason(tmp_path: Path) -> None:
    no_id = {key: value for key, value in KETTLE.items() if key != "id"}
    bad_pid = {
        **KETTLE,
        "attributes": [
            {"key": "Capacity", "evidences": [{"value": "1.7 L", "pid": 2, "begin": 0, "end": 5}]}
        ],
    }
    text_pid = {
        **KETTLE,
        "attributes": [{"key": "Capacity", "evidences": [{"value": "x", "pid": "0", "begin": 0, "end": 1}]}],
    }
    no_end = {
        **KETTLE,
        "attributes": [{"key": "Capacity", "evidences": [{"value": "x", "pid": 0, "begin": 0}]}],
    }
    flat_paragraphs = {**KETTLE, "paragraphs": ["just a string"]}
    split_file(
        tmp_path,
        "test",
        "positives",
        KETTLE,
        '{"id": "B0TRUNC", "paragraphs": [{"text": "cut',  # truncated JSON
        b"\x89PNG\x1a\x00\xff\xfe\x00",  # binary junk
        no_id,
        bad_pid,
        text_pid,
        no_end,
        flat_paragraphs,
        '["B0TESTKT01"]',
        "[" * 100_000,
        '{"id": "B0SURR", "paragraphs": [{"text": "\\ud800", "source": "title"}], "attributes": []}',
        {key: value for key, value in LAMP.items() if key != "category"},  # category is optional
    )

    tables, quarantine = read_all(Mave(), tmp_path)

    assert tables["mave"].select("line", "id", "category").rows() == [
        (1, "B0TESTKT01", "Electric Kettles"),
        (12, "B0TESTLP02", None),
    ]
    assert quarantined(quarantine) == [
        ("mave_positives.jsonl", 2, "invalid JSON: Unterminated string starting at"),
        ("mave_positives.jsonl", 3, "not valid UTF-8"),
        ("mave_positives.jsonl", 4, "missing required field id"),
        ("mave_positives.jsonl", 5, "attribute Capacity: evidence pid 2 out of range (2 paragraphs)"),
        ("mave_positives.jsonl", 6, "field attributes[0].evidences[0].pid: expected integer, got string"),
        ("mave_positives.jsonl", 7, "missing required field attributes[0].evidences[0].end"),
        ("mave_positives.jsonl", 8, "field paragraphs[0]: expected object, got string"),
        ("mave_positives.jsonl", 9, "expected a JSON object, got list"),
        ("mave_positives.jsonl", 10, "invalid JSON: nested too deeply"),
        ("mave_positives.jsonl", 11, "field paragraphs[0].text: not valid Unicode (lone surrogate)"),
    ]
    assert quarantine.rows[0]["raw"] == '{"id": "B0TRUNC", "paragraphs": [{"text": "cut'
    assert quarantine.rows[0]["source"] == "mave"


def test_missing_file_raises_source_file_error(tmp_path: Path) -> None:
    file = InputFile(path=tmp_path / "mave_positives.jsonl")

    with pytest.raises(SourceFileError, match=r"mave_positives\.jsonl: file not found"):
        list(Mave().read_file(file, {}, Quarantine()))


def test_remote_files_are_manual_split_files() -> None:
    remote = Mave().remote_files({})

    assert [file.relative_path for file in remote] == [
        f"mave/splits/PRODUCT/{split}/00_All/mave_{polarity}.jsonl"
        for split in ("train", "eval", "test")
        for polarity in ("negatives", "positives")
    ]
    assert all(file.urls == () for file in remote)
    assert all(
        "All_Amazon_Meta.json.gz" in file.manual and "split_json_lines_main.py" in file.manual
        for file in remote
    )
