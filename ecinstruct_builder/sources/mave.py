"""MAVE (Yang et al., WSDM 2022), the full version with paragraphs, as rebuilt by MAVE's scripts.

Layout: `mave/mave_positives.jsonl`, `mave/mave_negatives.jsonl`, or the split layout
`mave/splits/PRODUCT/{train,eval,test}/00_All/mave_{positives,negatives}.jsonl` (`eval` -> validation).
Unlike the other sources, HTML entities are left as they are: the evidence offsets count characters
of the paragraph text as written, and decoding an entity would move every offset after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ..quarantine import Quarantine
from ._common import RecordError, conform, record_row
from ._fastjson import GOOD, arrow_schema, no_null_items, read_json_lines
from .base import Frame, InputFile, RemoteFile, SourceAdapter, present

# File name -> polarity of the records it holds.
_POLARITY = {"mave_negatives.jsonl": "negative", "mave_positives.jsonl": "positive"}
# Split folder -> split name. MAVE's split script writes `eval`; ECInstruct's notebook reads `val`.
_SPLIT_DIRS = {"eval": "validation", "test": "test", "train": "train", "val": "validation"}
_SPLIT_ROOT = Path("splits", "PRODUCT")
_SUBSET = "00_All"  # every attribute; the other folders are subsets for MAVE's own experiments

_MANUAL = (
    "MAVE publishes labels only: download Amazon 2018 All_Amazon_Meta.json.gz (access is granted on "
    "request by its authors), rebuild the full MAVE with clean_amazon_product_metadata_main.sh from "
    "github.com/google-research-datasets/MAVE, split it with google-research's "
    "mave/benchmark/data/split_json_lines_main.py, and copy the splits/ folder into mave/."
)


class Mave(SourceAdapter):
    name = "mave"
    tables: ClassVar[dict[str, dict[str, pl.DataType]]] = {
        "mave": {
            "id": pl.String,  # the product id (ASIN)
            "category": pl.String,  # MAVE's fine-grained leaf category
            "split": pl.String,  # train / validation / test when split files were given, else null
            "polarity": pl.String,  # "positive" or "negative" (which file)
            "paragraphs": pl.List(pl.Struct({"text": pl.String, "source": pl.String})),
            "attributes": pl.List(
                pl.Struct(
                    {
                        "key": pl.String,
                        "evidences": pl.List(
                            pl.Struct(
                                {"value": pl.String, "pid": pl.Int64, "begin": pl.Int64, "end": pl.Int64}
                            )
                        ),
                    }
                )
            ),
            "line": pl.Int64,
        },
    }

    title = "MAVE: multi-source attribute value extraction (full version with paragraphs)"
    licence = "CC BY-NC 4.0"
    homepage = "https://github.com/google-research-datasets/MAVE"
    citation = """@inproceedings{yang2022mave,
  title     = {MAVE: A Product Dataset for Multi-source Attribute Value Extraction},
  author    = {Yang, Li and Wang, Qifan and Yu, Zac and Kulkarni, Anand and Sanghai, Sumit and Shu, Bin and
               Elsas, Jon and Kanagal, Bhargav},
  booktitle = {Proceedings of the 15th ACM International Conference on Web Search and Data Mining (WSDM)},
  pages     = {1256--1265},
  year      = {2022},
  doi       = {10.1145/3488560.3498377}
}"""

    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        """The split layout when present (the top-level files hold the same products, unflattened), else
        the top-level `mave_{positives,negatives}.jsonl`."""
        split_files: dict[Path, InputFile] = {}
        for split_dir, split in _SPLIT_DIRS.items():
            for name in _POLARITY:
                path = folder / _SPLIT_ROOT / split_dir / _SUBSET / name
                # `val` is often a symlink to `eval`: the same file must not be read twice.
                if present(path) and path.resolve() not in split_files:
                    split_files[path.resolve()] = InputFile(path=path, split=split)
        if split_files:
            return sorted(split_files.values(), key=lambda file: file.path)
        return [InputFile(path=folder / name) for name in sorted(_POLARITY) if present(folder / name)]

    def missing_files(self, folder: Path, options: dict[str, Any], found: list[InputFile]) -> list[str]:
        """Without the split layout, the top-level files of both polarities are needed."""
        if any(file.split is not None for file in found):
            return []
        return [name for name in sorted(_POLARITY) if not present(folder / name)]

    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        """Strict JSON lines; the nested structure is checked and every evidence must index a paragraph."""
        polarity = _POLARITY[file.path.name]

        def to_row(record: dict[str, Any], line: int) -> dict[str, Any]:
            row = conform(record, _RECORD, _REQUIRED)
            _check_evidence_pids(row)
            return {**row, "split": file.split, "polarity": polarity, "line": line}

        def python_row(line: int, raw: bytes) -> dict[str, Any] | None:
            return record_row(file.path, self.name, quarantine, to_row, line, raw)

        def native(decoded: pl.DataFrame) -> pl.DataFrame:
            return decoded.with_columns(
                _complete_and_in_range().alias(GOOD),
                split=pl.lit(file.split, dtype=pl.String),
                polarity=pl.lit(polarity),
            )

        for frame in read_json_lines(file.path, _ARROW, native, python_row, self.tables["mave"]):
            yield "mave", frame

    def remote_files(self, options: dict[str, Any]) -> list[RemoteFile]:
        """The six split files the `ecinstruct` recipe reads; none can be downloaded ready-made."""
        return [
            RemoteFile(
                urls=(),
                relative_path=(Path(self.name) / _SPLIT_ROOT / split_dir / _SUBSET / name).as_posix(),
                manual=_MANUAL,
            )
            for split_dir in ("train", "eval", "test")
            for name in sorted(_POLARITY)
        ]


# The upstream record: the table's columns that come from the JSON line, in upstream shape.
_RECORD = pl.Struct(
    {name: Mave.tables["mave"][name] for name in ("id", "category", "paragraphs", "attributes")}
)
# Everything but `category` (unused downstream) must be present for a record to be usable.
_REQUIRED = frozenset(
    {
        "id",
        "paragraphs",
        "paragraphs.text",
        "paragraphs.source",
        "attributes",
        "attributes.key",
        "attributes.evidences",
        "attributes.evidences.value",
        "attributes.evidences.pid",
        "attributes.evidences.begin",
        "attributes.evidences.end",
    }
)


def _check_evidence_pids(row: dict[str, Any]) -> None:
    """Every evidence must point at one of the record's paragraphs."""
    count = len(row["paragraphs"])
    for attribute in row["attributes"]:
        for evidence in attribute["evidences"]:
            if not 0 <= evidence["pid"] < count:
                raise RecordError(
                    f"attribute {attribute['key']}: evidence pid {evidence['pid']} out of range "
                    f"({count} paragraphs)"
                )


_ARROW = arrow_schema({field.name: field.dtype for field in _RECORD.fields})


def _complete_and_in_range() -> pl.Expr:
    """Vectorised `to_row` checks: every required field and list item present, every pid in range."""
    item = pl.element()  # a paragraph, an attribute or an evidence, depending on the list
    evidences = item.struct.field("evidences")
    bad_evidence = pl.any_horizontal(
        item.is_null(), *(item.struct.field(name).is_null() for name in ("value", "pid", "begin", "end"))
    )
    pids = pl.col("attributes").list.eval(evidences.list.eval(item.struct.field("pid")).list.max())
    lowest = pl.col("attributes").list.eval(evidences.list.eval(item.struct.field("pid")).list.min())
    return (
        pl.col("id").is_not_null()
        & no_null_items(pl.col("paragraphs"))
        & ~pl.col("paragraphs")
        .list.eval(item.struct.field("text").is_null() | item.struct.field("source").is_null())
        .list.any()
        & no_null_items(pl.col("attributes"))
        & ~pl.col("attributes")
        .list.eval(
            item.struct.field("key").is_null()
            | evidences.is_null()
            | evidences.list.eval(bad_evidence).list.any()
        )
        .list.any()
        & (pids.list.max().fill_null(-1) < pl.col("paragraphs").list.len())
        & (lowest.list.min().fill_null(0) >= 0)
    ).fill_null(False)
