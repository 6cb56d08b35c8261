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
from ._common import record_row
from ._fastjson import (
    GOOD,
    arrow_schema,
    decode_entities,
    no_null_items,
    object_column,
    python_where,
    read_json_lines,
)
from .base import CategoryOptions, Frame, InputFile, RemoteFile, SourceAdapter

BASE_URL = "http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/"
TABLE = "amazon2014_meta"
# Only the metadata is read; `reviews_{Cat}.json.gz` and `ratings_{Cat}.csv` share the folder upstream.
PATTERNS = (amz.FilePattern(TABLE, re.compile(r"meta_(?P<category>\w+)\.json\.gz")),)
RELATED = ("also_bought", "also_viewed", "bought_together")  # the `related` lists kept, as columns


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
        **{name: amz.text_list(related, name) for name in RELATED},
        "sales_rank": amz.json_text(record, "salesRank"),
    }


# A line of `repr()` without backslashes splits exactly into these tokens: strings hold no escapes,
# so a string runs from its opening quote to the next quote of the same kind.
_TOKENS = r"""'[^']*'|"[^"]*"|[^'"]+"""


def repr_to_json(lines: pl.Series) -> pl.Series:
    """Each line's JSON text where that is exact, else the line itself (left to the Python reader).

    A line is Python's `repr()` of a dict. Without backslashes its strings hold no escapes: a
    single-quoted one may hold double quotes, a double-quoted one single quotes. Quoting every
    string with double quotes (escaping those inside) gives JSON for the same dict; numbers print
    alike, and True/False/None, tuples or sets make the JSON invalid, so those lines fall back to
    `ast.literal_eval`. The common line has no double quote at all: swapping the quotes suffices.
    """
    escaped = lines.str.contains("\\", literal=True)
    mixed = lines.str.contains('"', literal=True) & ~escaped
    text = pl.select(pl.when(escaped).then(lines).otherwise(lines.str.replace_all("'", '"', literal=True)))
    if not mixed.any():
        return text.to_series()
    token = pl.element()
    inner = token.str.slice(1, token.str.len_chars() - 2).str.replace_all('"', '\\"', literal=True)
    requoted = pl.when(token.str.starts_with("'")).then(pl.concat_str(pl.lit('"'), inner, pl.lit('"')))
    converted = (
        lines.filter(mixed).str.extract_all(_TOKENS).list.eval(requoted.otherwise(token)).list.join("")
    )
    return text.to_series().scatter(mixed.arg_true(), converted)


# Fields the upstream record and the table share, name and type.
_SHARED_FIELDS: dict[str, pl.DataType] = {
    "asin": pl.String(),
    "title": pl.String(),
    "brand": pl.String(),
    "price": pl.Float64(),
    "categories": pl.List(pl.List(pl.String)),
    "description": pl.String(),
}
# The record as Arrow checks it (after `repr_to_json`); `salesRank` must be an object.
_ARROW = arrow_schema(
    {
        **_SHARED_FIELDS,
        "related": pl.Struct({name: pl.List(pl.String) for name in RELATED}),
        "salesRank": pl.Struct({}),
    }
)


def _native_meta(decoded: pl.DataFrame) -> pl.DataFrame:
    """`meta_row` over the Arrow-decoded records; `_good` is False where the Python reader decides."""
    sales_rank = object_column(decoded, "salesRank", "sales_rank")
    related = {name: pl.col("related").struct.field(name) for name in RELATED}
    lists = [(pl.col("categories"), 2), *((column, 1) for column in related.values())]
    good = (
        (pl.col("asin").fill_null("") != "")
        & pl.all_horizontal(column.is_null() | no_null_items(column, depth) for column, depth in lists)
        & (pl.col("salesRank").is_null() | sales_rank.is_not_null())
    ).fill_null(False)
    frame = decoded.with_columns(sales_rank, good.alias(GOOD), **related)
    title, description = frame["title"], frame["description"]
    return frame.with_columns(
        python_where(title, title, title.str.contains("&", literal=True), amz.unescape),
        python_where(description, description, description.str.contains("&", literal=True), amz.unescape),
    )


class Amazon2014(SourceAdapter):
    """Metadata of the 2014 release (ECInstruct's title/brand fallback for sequential recommendation).

    Lines are Python dict literals, not JSON: each is tried as JSON first (a line may be plain JSON),
    then with `ast.literal_eval`, never `eval`. Option: `categories` (default: every category found).
    """

    options_model = CategoryOptions
    name = "amazon2014"
    title = "Amazon product data (2014), metadata"
    licence = "no explicit licence (research use)"
    homepage = "http://jmcauley.ucsd.edu/data/amazon/links.html"
    citation = """@inproceedings{he2016ups,
  title     = {Ups and Downs: Modeling the Visual Evolution of Fashion Trends with One-Class
               Collaborative Filtering},
  author    = {He, Ruining and McAuley, Julian},
  booktitle = {Proceedings of the 25th International Conference on World Wide Web (WWW)},
  pages     = {507--517},
  year      = {2016},
  doi       = {10.1145/2872427.2883037}
}
@inproceedings{mcauley2015image,
  title     = {Image-Based Recommendations on Styles and Substitutes},
  author    = {McAuley, Julian and Targett, Christopher and Shi, Qinfeng and van den Hengel, Anton},
  booktitle = {Proceedings of the 38th International ACM SIGIR Conference on Research and Development in
               Information Retrieval},
  pages     = {43--52},
  year      = {2015},
  doi       = {10.1145/2766462.2767755}
}"""
    tables: ClassVar[dict[str, dict[str, pl.DataType]]] = {
        "amazon2014_meta": {
            "category": pl.String,
            **_SHARED_FIELDS,
            "also_bought": pl.List(pl.String),
            "also_viewed": pl.List(pl.String),
            "bought_together": pl.List(pl.String),
            "sales_rank": pl.String,  # JSON-encoded dict
            "line": pl.Int64,
        },
    }

    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        return amz.discover_files(folder, PATTERNS, options, self.name)

    def missing_files(self, folder: Path, options: dict[str, Any], found: list[InputFile]) -> list[str]:
        return amz.missing_per_category(found, PATTERNS, options, self.name, {TABLE: "meta_{}.json.gz"})

    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        def to_row(record: amz.Record, line: int) -> amz.Record:
            return {**meta_row(record), "category": file.category, "line": line}

        def python_row(line: int, raw: bytes) -> amz.Record | None:
            return record_row(file.path, self.name, quarantine, to_row, line, raw, loose=True)

        def native(decoded: pl.DataFrame) -> pl.DataFrame:
            return _native_meta(decoded).with_columns(category=pl.lit(file.category, dtype=pl.String))

        schema = self.tables[TABLE]
        for frame in read_json_lines(file.path, _ARROW, native, python_row, schema, translate=repr_to_json):
            # title and description are decoded by both readers already
            yield TABLE, decode_entities(frame, ("brand", "categories"))

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
