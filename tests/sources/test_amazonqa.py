"""AmazonQA adapter: split files, field renames, optional votes, categories option, quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_h2 import jsonl, quarantined, read_all, write

from ecinstruct_builder.errors import RecipeError, SourceFileError
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources import _common
from ecinstruct_builder.sources.amazonqa import AmazonQA
from ecinstruct_builder.sources.base import InputFile


def question(qid: int, category: str = "Tools_and_Home_Improvement", **fields: object) -> dict:
    """An invented AmazonQA line, baseline fields included (the adapter ignores them)."""
    return {
        "asin": f"B0QA{qid:06d}",
        "category": category,
        "questionText": f"Does gadget {qid} fold flat?",
        "questionType": "yesno",
        "review_snippets": ["It folds in two.", "Packs small."],
        "answers": [{"answerText": "Yes, it folds.", "answerType": "Y", "helpful": [2, 3]}],
        "is_answerable": 1,
        "qid": qid,
        "top_sentences_IR": ["It folds in two."],
        "top_review_wilson": [],
        "top_review_helpful": [],
        "random_sentence": ["Packs small."],
        **fields,
    }


def test_discover_maps_splits_and_prefers_test_qar_over_the_drive_name(tmp_path: Path) -> None:
    for name in (
        "train-qar.jsonl",
        "val-qar.jsonl",
        "test-qar.jsonl",
        "test-qar_all.jsonl",
        "train-qar_squad.jsonl",
    ):
        write(tmp_path / name, jsonl(question(1)))

    assert AmazonQA().discover(tmp_path, {}) == [
        InputFile(path=tmp_path / "test-qar.jsonl", split="test"),
        InputFile(path=tmp_path / "train-qar.jsonl", split="train"),
        InputFile(path=tmp_path / "val-qar.jsonl", split="validation"),
    ]


def test_drive_file_name_is_read_as_the_test_split(tmp_path: Path) -> None:
    write(tmp_path / "test-qar_all.jsonl", jsonl(question(7)))

    tables, _ = read_all(AmazonQA(), tmp_path)

    assert tables["amazonqa"].select("split", "qid").rows() == [("test", 7)]


def test_rows_are_renamed_to_the_table_schema(tmp_path: Path) -> None:
    write(tmp_path / "val-qar.jsonl", jsonl(question(5)))
    no_votes = question(
        6,
        questionType="descriptive",
        answers=[
            {"answerText": "About two kilos."},
            {"answerText": "Light.", "answerType": "NA", "helpful": [0, 0]},
        ],
        is_answerable=False,
    )
    write(tmp_path / "train-qar.jsonl", jsonl(no_votes, question(8, is_answerable=True)))

    tables, quarantine = read_all(AmazonQA(), tmp_path)

    assert len(quarantine) == 0
    assert tables["amazonqa"].to_dicts() == [
        {
            "split": "train",
            "qid": 6,
            "asin": "B0QA000006",
            "category": "Tools_and_Home_Improvement",
            "question_text": "Does gadget 6 fold flat?",
            "question_type": "descriptive",
            "review_snippets": ["It folds in two.", "Packs small."],
            "answers": [
                {"answer_text": "About two kilos.", "answer_type": None, "helpful": None},
                {"answer_text": "Light.", "answer_type": "NA", "helpful": [0, 0]},
            ],
            "is_answerable": 0,  # JSON false accepted as 0
            "line": 1,
        },
        {
            "split": "train",
            "qid": 8,
            "asin": "B0QA000008",
            "category": "Tools_and_Home_Improvement",
            "question_text": "Does gadget 8 fold flat?",
            "question_type": "yesno",
            "review_snippets": ["It folds in two.", "Packs small."],
            "answers": [{"answer_text": "Yes, it folds.", "answer_type": "Y", "helpful": [2, 3]}],
            "is_answerable": 1,
            "line": 2,
        },
        {
            "split": "validation",
            "qid": 5,
            "asin": "B0QA000005",
            "category": "Tools_and_Home_Improvement",
            "question_text": "Does gadget 5 fold flat?",
            "question_type": "yesno",
            "review_snippets": ["It folds in two.", "Packs small."],
            "answers": [{"answer_text": "Yes, it folds.", "answer_type": "Y", "helpful": [2, 3]}],
            "is_answerable": 1,
            "line": 1,
        },
    ]


def test_categories_option_keeps_only_those_categories(tmp_path: Path) -> None:
    write(
        tmp_path / "train-qar.jsonl",
        jsonl(
            question(1, "Electronics"), question(2, "Cell_Phones_and_Accessories"), question(3, "Electronics")
        ),
    )

    tables, _ = read_all(AmazonQA(), tmp_path, {"categories": ["Cell_Phones_and_Accessories"]})
    everything, _ = read_all(AmazonQA(), tmp_path, {"categories": []})

    assert tables["amazonqa"]["qid"].to_list() == [2]
    assert everything["amazonqa"]["qid"].to_list() == [1, 2, 3]


def test_categories_option_must_be_a_list_of_strings(tmp_path: Path) -> None:
    write(tmp_path / "train-qar.jsonl", jsonl(question(1)))

    with pytest.raises(RecipeError, match=r"sources\.amazonqa\.categories must be a list of strings"):
        read_all(AmazonQA(), tmp_path, {"categories": "Electronics"})


def test_bad_records_are_quarantined_with_line_and_reason(tmp_path: Path) -> None:
    no_category = {key: value for key, value in question(2).items() if key != "category"}
    write(
        tmp_path / "train-qar.jsonl",
        jsonl(
            question(1),
            no_category,
            '{"asin": "B0QA000003", "category": "Electronics", "questionText": "Is',  # truncated
            b"\x00\x9f\x92\x96 binary junk \xc3\x28",
            question(5, is_answerable=2),
            {**question(6), "qid": "6"},
            question(7, answers=[{"answerType": "Y", "helpful": [1, 1]}]),
            question(8, answers=[{"answerText": "Yes", "helpful": [True, 1]}]),
            question(9, review_snippets="one long snippet"),
            {**question(10), "qid": 2**63},
            question(11),
        ),
    )

    tables, quarantine = read_all(AmazonQA(), tmp_path, {"categories": ["Tools_and_Home_Improvement"]})

    assert tables["amazonqa"].select("line", "qid").rows() == [(1, 1), (11, 11)]
    assert quarantined(quarantine) == [
        ("train-qar.jsonl", 2, "missing required field category"),
        ("train-qar.jsonl", 3, "invalid JSON: Unterminated string starting at"),
        ("train-qar.jsonl", 4, "not valid UTF-8"),
        ("train-qar.jsonl", 5, "field is_answerable: expected 0 or 1, got 2"),
        ("train-qar.jsonl", 6, "field qid: expected integer, got string"),
        ("train-qar.jsonl", 7, "missing required field answers[0].answerText"),
        ("train-qar.jsonl", 8, "field answers[0].helpful[0]: expected integer, got boolean"),
        ("train-qar.jsonl", 9, "field review_snippets: expected list, got string"),
        ("train-qar.jsonl", 10, "field qid: integer 9223372036854775808 does not fit in 64 bits"),
    ]


def test_large_files_are_yielded_in_bounded_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "BATCH_ROWS", 2)
    path = write(tmp_path / "train-qar.jsonl", jsonl(*(question(qid) for qid in range(5))))

    frames = list(AmazonQA().read_file(InputFile(path=path, split="train"), {}, Quarantine()))

    assert [(table, frame.height) for table, frame in frames] == [
        ("amazonqa", 2),
        ("amazonqa", 2),
        ("amazonqa", 1),
    ]
    assert [qid for _, frame in frames for qid in frame["qid"]] == [0, 1, 2, 3, 4]


def test_missing_file_raises_source_file_error(tmp_path: Path) -> None:
    file = InputFile(path=tmp_path / "val-qar.jsonl", split="validation")

    with pytest.raises(SourceFileError, match=r"val-qar\.jsonl: file not found"):
        list(AmazonQA().read_file(file, {}, Quarantine()))


def test_remote_files_download_train_and_val_and_explain_the_test_split() -> None:
    remote = {file.relative_path: file for file in AmazonQA().remote_files({})}

    assert list(remote) == ["amazonqa/train-qar.jsonl", "amazonqa/val-qar.jsonl", "amazonqa/test-qar.jsonl"]
    assert remote["amazonqa/train-qar.jsonl"].urls == (
        "https://amazon-qa.s3-us-west-2.amazonaws.com/train-qar.jsonl",
    )
    assert remote["amazonqa/val-qar.jsonl"].manual is None
    test = remote["amazonqa/test-qar.jsonl"]
    assert test.urls == ()
    assert "1A_gaYbyBUOfwi8CQ7d5OO_b91lEvSnwr" in test.manual and "amazonqa/test-qar.jsonl" in test.manual
