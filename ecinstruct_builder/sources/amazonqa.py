"""AmazonQA (Gupta et al., IJCAI 2019): `{train,val,test}-qar.jsonl`, uncompressed strict JSONL.

Layout: `amazonqa/{train,val,test}-qar.jsonl` (`test-qar_all.jsonl`, the Google Drive name, accepted).
Category = the `category` field; the file gives the official split (`val` -> validation).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ..quarantine import Quarantine
from ._common import RecordError, conform, record_row, string_list_option
from ._fastjson import GOOD, arrow_schema, decode_entities, no_null_items, read_json_lines
from .base import CategoryOptions, Frame, InputFile, RemoteFile, SourceAdapter, present

# File name -> official split, in order of preference for the test split.
_FILES = {
    "train-qar.jsonl": "train",
    "val-qar.jsonl": "validation",
    "test-qar.jsonl": "test",
    "test-qar_all.jsonl": "test",  # the name the Google Drive download carries
}
_S3 = "https://amazon-qa.s3-us-west-2.amazonaws.com"
_TEST_MANUAL = (
    "The AmazonQA test split is only on Google Drive: download "
    "https://drive.google.com/file/d/1A_gaYbyBUOfwi8CQ7d5OO_b91lEvSnwr (test-qar_all.jsonl) in a browser "
    "and save it as amazonqa/test-qar.jsonl."
)


class AmazonQA(SourceAdapter):
    options_model = CategoryOptions
    name = "amazonqa"
    tables: ClassVar[dict[str, dict[str, pl.DataType]]] = {
        "amazonqa": {
            "split": pl.String,  # train / validation / test
            "qid": pl.Int64,
            "asin": pl.String,
            "category": pl.String,
            "question_text": pl.String,
            "question_type": pl.String,  # yesno / descriptive
            "review_snippets": pl.List(pl.String),
            "answers": pl.List(
                pl.Struct({"answer_text": pl.String, "answer_type": pl.String, "helpful": pl.List(pl.Int64)})
            ),
            "is_answerable": pl.Int64,
            "line": pl.Int64,
        },
    }

    title = "AmazonQA: review-based product question answering"
    licence = "no explicit licence (research use)"
    homepage = "https://github.com/amazonqa/amazonqa"
    citation = """@inproceedings{gupta2019amazonqa,
  title     = {AmazonQA: A Review-Based Question Answering Task},
  author    = {Gupta, Mansi and Kulkarni, Nitish and Chanda, Raghuveer and Rayasam, Anirudha and
               Lipton, Zachary C.},
  booktitle = {Proceedings of the 28th International Joint Conference on Artificial Intelligence (IJCAI)},
  pages     = {4996--5002},
  year      = {2019},
  doi       = {10.24963/ijcai.2019/694}
}"""

    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        """One file per split; `test-qar.jsonl` wins over `test-qar_all.jsonl` (same data, two names)."""
        found: dict[str, InputFile] = {}
        for name, split in _FILES.items():
            if split not in found and present(folder / name):
                found[split] = InputFile(path=folder / name, split=split)
        return sorted(found.values(), key=lambda file: file.path)

    def missing_files(self, folder: Path, options: dict[str, Any], found: list[InputFile]) -> list[str]:
        """One file per split (named as upstream's S3 copy is) that discovery did not find."""
        have = {file.split for file in found}
        return [name for name, split in _FILES.items() if split not in have and name != "test-qar_all.jsonl"]

    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        """Strict JSON lines; option `categories` keeps only those `category` values (empty = all)."""
        wanted = frozenset(string_list_option(options, "categories", self.name))

        def to_row(record: dict[str, Any], line: int) -> dict[str, Any] | None:
            category = record.get("category")
            # Filter before the full shape check: most lines of a large file are in other categories.
            if wanted and isinstance(category, str) and category not in wanted:
                return None
            if isinstance(record.get("is_answerable"), bool):
                record = {**record, "is_answerable": int(record["is_answerable"])}
            row = conform(record, _RECORD, _REQUIRED)
            if row["is_answerable"] not in (0, 1):
                raise RecordError(f"field is_answerable: expected 0 or 1, got {row['is_answerable']}")
            return {**row, "split": file.split, "line": line}

        def python_row(line: int, raw: bytes) -> dict[str, Any] | None:
            return record_row(file.path, self.name, quarantine, to_row, line, raw)

        def native(decoded: pl.DataFrame) -> pl.DataFrame:
            return _native_rows(decoded, wanted, file.split)

        for frame in read_json_lines(file.path, _ARROW, native, python_row, _UPSTREAM_SCHEMA):
            yield (
                self.name,
                decode_entities(_to_table(frame), ("question_text", "review_snippets", "answers")),
            )

    def remote_files(self, options: dict[str, Any]) -> list[RemoteFile]:
        """Train and validation from S3; the test split needs a manual Google Drive download."""
        return [
            RemoteFile(urls=(f"{_S3}/train-qar.jsonl",), relative_path="amazonqa/train-qar.jsonl"),
            RemoteFile(urls=(f"{_S3}/val-qar.jsonl",), relative_path="amazonqa/val-qar.jsonl"),
            RemoteFile(urls=(), relative_path="amazonqa/test-qar.jsonl", manual=_TEST_MANUAL),
        ]


_TABLE = AmazonQA.tables["amazonqa"]
# Upstream camelCase names -> table columns (the answers' struct fields are renamed by position).
_RENAMES = {"questionText": "question_text", "questionType": "question_type"}
_ANSWER_FIELDS = [field.name for field in _TABLE["answers"].inner.fields]
_RECORD = pl.Struct(
    {
        "qid": pl.Int64,
        "asin": pl.String,
        "category": pl.String,
        "questionText": pl.String,
        "questionType": pl.String,
        "review_snippets": pl.List(pl.String),
        "answers": pl.List(
            pl.Struct({"answerText": pl.String, "answerType": pl.String, "helpful": pl.List(pl.Int64)})
        ),
        "is_answerable": pl.Int64,
    }
)
# The baseline fields (top_sentences_IR, ...) are not read; an answer's type and votes may be absent.
_REQUIRED = frozenset(
    {
        "qid",
        "asin",
        "category",
        "questionText",
        "questionType",
        "review_snippets",
        "answers",
        "answers.answerText",
        "is_answerable",
    }
)
_UPSTREAM_SCHEMA = {
    "split": pl.String,
    **{field.name: field.dtype for field in _RECORD.fields},
    "line": pl.Int64,
}


_ARROW = arrow_schema({field.name: field.dtype for field in _RECORD.fields})


def _native_rows(decoded: pl.DataFrame, wanted: frozenset[str], split: str | None) -> pl.DataFrame:
    """`to_row` as expressions; `_good` is False where the Python reader must decide (a missing field,
    a null list item, is_answerable not 0 or 1). Rows of other categories are skipped, good or bad,
    as `to_row` skips any row whose category is a string outside the option."""
    answers = pl.col("answers")
    scalars = ("qid", "asin", "category", "questionText", "questionType", "is_answerable")
    good = (
        pl.all_horizontal(pl.col(name).is_not_null() for name in scalars)
        & no_null_items(pl.col("review_snippets"))
        & no_null_items(answers)
        & ~answers.list.eval(pl.element().struct.field("answerText").is_null()).list.any()
        & pl.col("is_answerable").is_in([0, 1])
    ).fill_null(False)
    if wanted:
        good = pl.when(pl.col("category").is_in(wanted) | pl.col("category").is_null()).then(good)
    return decoded.with_columns(good.alias(GOOD), split=pl.lit(split, dtype=pl.String))


def _to_table(frame: pl.DataFrame) -> pl.DataFrame:
    """Rename the upstream camelCase columns and answer fields to the table's names and order."""
    answers = pl.col("answers").list.eval(pl.element().struct.rename_fields(_ANSWER_FIELDS))
    return frame.with_columns(answers).rename(_RENAMES).select(list(_TABLE))
