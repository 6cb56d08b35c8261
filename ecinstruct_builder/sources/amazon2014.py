"""Amazon product data 2014 metadata (McAuley et al.): Python-literal "loose JSON".

Layout: `amazon2014/meta_{Cat}.json.gz`. Read with `ast.literal_eval` (never `eval`).
Category = the file name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ..quarantine import Quarantine
from . import _amazon as amz
from ._common import batched
from .base import Frame, InputFile, RemoteFile, SourceAdapter

BASE_URL = "http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/"
TABLE = "amazon2014_meta"
# Only the metadata is read; `reviews_{Cat}.json.gz` and `ratings_{Cat}.csv` share the folder upstream.
PATTERNS = (amz.FilePattern(TABLE, re.compile(r"meta_(?P<category>\w+)\.json\.gz")),)


def meta_row(record: amz.Record) -> amz.Record:
    """A product's 2014 metadata; the `related` lists are lifted to columns."""
    related = amz.mapping(record, "related")
    return {
        "asin": amz.required_text(record, "asin"),
        "title": amz.unescape(amz.text(record, "title")),
        "brand": amz.text(record, "brand"),
        "price": amz.price_number(record, "price"),
        "categories": amz.nested_text_list(record, "categories"),
        "description": amz.unescape(amz.text(record, "description")),
        "also_bought": amz.text_list(related, "also_bought"),
        "also_viewed": amz.text_list(related, "also_viewed"),
        "bought_together": amz.text_list(related, "bought_together"),
        "sales_rank": amz.json_text(record, "salesRank"),
    }


class Amazon2014(SourceAdapter):
    """Metadata of the 2014 release (ECInstruct's title/brand fallback for sequential recommendation).

    Lines are Python dict literals, not JSON: each is tried as JSON first (a line may be plain JSON),
    then with `ast.literal_eval`, never `eval`. Option: `categories` (default: every category found).
    """

    name = "amazon2014"
    title = "Amazon product data (2014), metadata"
    licence = "no explicit licence (research use)"
    homepage = "http://jmcauley.ucsd.edu/data/amazon/links.html"
    tables: ClassVar[dict[str, dict[str, pl.DataType]]] = {
        "amazon2014_meta": {
            "category": pl.String,
            "asin": pl.String,
            "title": pl.String,
            "brand": pl.String,
            "price": pl.Float64,
            "categories": pl.List(pl.List(pl.String)),
            "description": pl.String,
            "also_bought": pl.List(pl.String),
            "also_viewed": pl.List(pl.String),
            "bought_together": pl.List(pl.String),
            "sales_rank": pl.String,  # JSON-encoded dict
            "line": pl.Int64,
        },
    }

    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        return amz.discover_files(folder, PATTERNS, options, self.name)

    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        def to_row(record: amz.Record, line: int) -> amz.Record:
            return {**meta_row(record), "category": file.category, "line": line}

        rows = amz.record_rows(file.path, self.name, quarantine, to_row, loose=True)
        yield from batched(TABLE, rows, self.tables[TABLE])

    def finalize(self, table: str, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Duplicate ASIN rows: keep the last per (category, asin), as a dict keyed by ASIN does."""
        return amz.keep_last_per_key(frame, ["category", "asin"])

    def remote_files(self, options: dict[str, Any]) -> list[RemoteFile]:
        """`meta_{Cat}.json.gz` for each category of the options."""
        return [
            RemoteFile(
                urls=(f"{BASE_URL}meta_{category}.json.gz",),
                relative_path=f"{self.name}/meta_{category}.json.gz",
            )
            for category in amz.category_option(options, self.name)
        ]
