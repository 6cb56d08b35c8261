"""Amazon Reviews 2023 (Hou et al. 2024): reviews JSONL and item metadata (JSONL or HF Parquet).

Layout: `amazon2023/{Cat}.jsonl[.gz]`, `amazon2023/meta_{Cat}.jsonl[.gz]` or
`amazon2023/raw_meta_{Cat}/*.parquet`. Category = the file (config) domain.
Not used by the `ecinstruct` recipe; offered because it is the living successor.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ..errors import SourceFileError
from ..io import require_readable
from ..quarantine import Quarantine
from . import _amazon as amz
from ._common import batched, record_rows
from ._fastjson import decode_entities, decode_entities_lazy
from .base import CategoryOptions, Frame, InputFile, RemoteFile, SourceAdapter

BASE_URL = "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_2023/raw/"
REVIEWS, META = "amazon2023_reviews", "amazon2023_meta"
# UCSD serves `.jsonl.gz`, the Hub repo plain `.jsonl`; the Hub's `raw_meta_*` configs are Parquet shards.
PATTERNS = (
    amz.FilePattern(META, re.compile(r"meta_(?P<category>\w+)\.jsonl(?:\.gz)?")),
    amz.FilePattern(META, re.compile(r"raw_meta_(?P<category>\w+)/[^/]+\.parquet")),
    amz.FilePattern(REVIEWS, re.compile(r"(?!meta_)(?P<category>\w+)\.jsonl(?:\.gz)?")),
)

# Text columns whose HTML entities are decoded.
META_TEXT = ("main_category", "title", "features", "description", "store", "categories")
REVIEW_TEXT = ("title", "text")


def _present(record: amz.Record, *keys: str) -> str:
    """The first of several names (current, then early-draft spelling) the record has a value for."""
    return next((key for key in keys if record.get(key) is not None), keys[0])


def review_row(record: amz.Record) -> amz.Record:
    """A review; `timestamp` is in milliseconds. Early drafts spelled two fields differently."""
    return {
        "rating": amz.number(record, "rating"),
        "title": amz.text(record, "title"),
        "text": amz.text(record, "text"),
        "asin": amz.required_text(record, "asin"),
        "parent_asin": amz.text(record, "parent_asin"),
        "user_id": amz.text(record, "user_id"),
        "timestamp": amz.integer(record, _present(record, "timestamp", "sort_timestamp")),
        "helpful_vote": amz.integer(record, _present(record, "helpful_vote", "helpful_votes")),
        "verified_purchase": amz.boolean(record, "verified_purchase"),
    }


def meta_row(record: amz.Record) -> amz.Record:
    """An item's metadata from the JSONL files (`details` is an object there)."""
    return {
        "parent_asin": amz.required_text(record, "parent_asin"),
        "main_category": amz.text(record, "main_category"),
        "title": amz.text(record, "title"),
        "average_rating": amz.number(record, "average_rating"),
        "rating_number": amz.integer(record, "rating_number"),
        "features": amz.text_list(record, "features"),
        "description": amz.text_list(record, "description"),
        "price": amz.price_number(record, "price"),
        "store": amz.text(record, "store"),
        "categories": amz.text_list(record, "categories"),
        "details": amz.json_text(record, "details"),
    }


def _nested(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List | pl.Array | pl.Struct)


def _parquet_column(name: str, wanted: pl.DataType, found: dict[str, pl.DataType], path: Path) -> pl.Expr:
    """One table column from a Hub Parquet shard, where `price` and `details` are strings."""
    if name not in found:
        return pl.lit(None, dtype=wanted).alias(name)
    column, dtype = pl.col(name), found[name]
    if name == "details" and isinstance(dtype, pl.Struct):
        return column.struct.json_encode().alias(name)
    if _nested(dtype) != _nested(wanted):
        raise SourceFileError(f"{path}: column {name} is {dtype}, expected {wanted}; re-download the shard")
    if name == "price" and dtype == pl.String:  # "None", "29.99", "$5.99 - $9.99"
        amount = column.str.extract(amz.PRICE_PATTERN, 1).str.replace_all(",", "", literal=True)
        return amount.cast(pl.Float64, strict=False).alias(name)
    return column.cast(wanted, strict=False).alias(name)


class Amazon2023(SourceAdapter):
    """Reviews and item metadata of the 2023 release; category = the file (or Hub config) domain.

    Join reviews to metadata on `parent_asin` (`asin` is the variant). When both the JSONL and the
    Parquet metadata of a category are present both are read; `finalize` keeps one row per item.
    Option: `categories` (default: every category found).
    """

    options_model = CategoryOptions
    name = "amazon2023"
    title = "Amazon Reviews 2023"
    licence = "no explicit licence (research use)"
    homepage = "https://amazon-reviews-2023.github.io/"
    citation = """@article{hou2024bridging,
  title   = {Bridging Language and Items for Retrieval and Recommendation},
  author  = {Hou, Yupeng and Li, Jiacheng and He, Zhankui and Yan, An and Chen, Xiusi and McAuley, Julian},
  journal = {arXiv preprint arXiv:2403.03952},
  year    = {2024},
  doi     = {10.48550/arXiv.2403.03952}
}"""
    tables: ClassVar[dict[str, dict[str, pl.DataType]]] = {
        "amazon2023_reviews": {
            "category": pl.String,
            "rating": pl.Float64,
            "title": pl.String,
            "text": pl.String,
            "asin": pl.String,
            "parent_asin": pl.String,
            "user_id": pl.String,
            "timestamp": pl.Int64,  # milliseconds
            "helpful_vote": pl.Int64,
            "verified_purchase": pl.Boolean,
            "line": pl.Int64,
        },
        "amazon2023_meta": {
            "category": pl.String,
            "parent_asin": pl.String,
            "main_category": pl.String,
            "title": pl.String,
            "average_rating": pl.Float64,
            "rating_number": pl.Int64,
            "features": pl.List(pl.String),
            "description": pl.List(pl.String),
            "price": pl.Float64,
            "store": pl.String,
            "categories": pl.List(pl.String),
            "details": pl.String,  # JSON-encoded dict
        },
    }

    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        return amz.discover_files(folder, PATTERNS, options, self.name)

    def missing_files(self, folder: Path, options: dict[str, Any], found: list[InputFile]) -> list[str]:
        needed = {REVIEWS: "{}.jsonl.gz", META: "meta_{}.jsonl.gz"}
        return amz.missing_per_category(found, PATTERNS, options, self.name, needed)

    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        table = amz.table_of(file, PATTERNS, self.name)
        if file.path.suffix == ".parquet":
            yield table, decode_entities_lazy(self._read_meta_parquet(file, quarantine), META_TEXT)
            return
        row_of, with_line = (review_row, True) if table == REVIEWS else (meta_row, False)

        def to_row(record: amz.Record, line: int) -> amz.Record:
            row = {**row_of(record), "category": file.category}
            return {**row, "line": line} if with_line else row

        frames = batched(table, record_rows(file.path, self.name, quarantine, to_row), self.tables[table])
        for name, frame in frames:
            yield name, decode_entities(frame, REVIEW_TEXT if table == REVIEWS else META_TEXT)

    def _read_meta_parquet(self, file: InputFile, quarantine: Quarantine) -> pl.LazyFrame:
        """A lazy scan of one Parquet shard in the table schema; rows without `parent_asin` quarantined."""
        path = file.path
        require_readable(path)
        scan = pl.scan_parquet(path)
        try:
            found = dict(scan.collect_schema())
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise SourceFileError(f"{path}: not a readable Parquet file ({exc}); re-download it") from exc
        if "parent_asin" not in found:
            raise SourceFileError(
                f"{path}: no parent_asin column; is this a raw_meta_* shard of the 2023 data?"
            )
        columns = [  # built first: a wrong column type fails before anything is quarantined
            _parquet_column(name, dtype, found, path)
            for name, dtype in self.tables[META].items()
            if name != "category"
        ]
        missing = pl.col("parent_asin").cast(pl.String).fill_null("") == ""
        bad = (
            scan.with_row_index("line", offset=1)  # the row number within the shard stands in for a line
            .filter(missing)
            .select("line", pl.struct(list(found)).struct.json_encode().alias("raw"))
            .collect()
        )
        for line, raw in bad.iter_rows():
            quarantine.add(
                source=self.name,
                file=str(path),
                line=line,
                raw=raw,
                reason="missing required field parent_asin",
            )
        return scan.filter(~missing).select(
            pl.lit(file.category, dtype=pl.String).alias("category"), *columns
        )

    def finalize(self, table: str, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Items listed twice (e.g. JSONL and Parquet of one category): the last row per item wins."""
        if table == META:
            return amz.keep_last_per_key(frame, ["category", "parent_asin"])
        return frame

    def remote_files(self, options: dict[str, Any]) -> list[RemoteFile]:
        """Reviews and metadata (`.jsonl.gz`, from UCSD) for each category of the options."""
        return [
            RemoteFile(urls=(f"{BASE_URL}{folder}/{name}",), relative_path=f"{self.name}/{name}")
            for category in amz.category_option(options, self.name)
            for folder, name in (
                ("review_categories", f"{category}.jsonl.gz"),
                ("meta_categories", f"meta_{category}.jsonl.gz"),
            )
        ]
