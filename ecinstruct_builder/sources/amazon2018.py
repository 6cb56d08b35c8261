"""Amazon Review Data 2018 (Ni, Li, McAuley, EMNLP 2019): reviews, metadata and ratings-only CSVs.

Layout: `amazon2018/{Cat}.json.gz` (full reviews), `meta_{Cat}.json.gz`, `{Cat}.csv` (no header,
`item,user,rating,timestamp`). Category = the file name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ..io import require_content
from ..quarantine import Quarantine
from ..schema import option
from . import _amazon as amz
from ._common import record_row
from ._fastjson import (
    GOOD,
    STRING,
    arrow_schema,
    decode_entities,
    key_value,
    object_column,
    python_where,
    read_json_lines,
)
from .base import CategoryOptions, Frame, InputFile, RemoteFile, SourceAdapter

MIRRORS = (
    "https://jmcauley.ucsd.edu/data/amazon_v2/",
    "https://datarepo.eng.ucsd.edu/mcauley_group/data/amazon_v2/",
    "https://mcauleylab.ucsd.edu/public_datasets/data/amazon_v2/",
)

# Order matters: the first pattern a name matches wins. The 5-core files (`{Cat}_5.json.gz`) hold a
# subset of the reviews in the same format: read only when the full file is absent. The all-category
# meta dump and the 2014-style `ratings_{Cat}.csv` (user first) are other formats.
FIVE_CORE = amz.FilePattern("amazon2018_reviews", re.compile(r"(?!meta_)(?P<category>\w+)_5\.json\.gz"))
PATTERNS = (
    amz.FilePattern("amazon2018_meta", re.compile(r"meta_(?P<category>\w+)\.json\.gz")),
    amz.FilePattern("amazon2018_ratings", re.compile(r"(?!ratings_)(?P<category>\w+)\.csv")),
    FIVE_CORE,
    amz.FilePattern(
        "amazon2018_reviews",
        re.compile(r"(?!meta_|All_Amazon_Meta\.)(?P<category>\w+?)(?<!_5)\.json\.gz"),
    ),
)
# The file each table needs per category, as upstream names it.
NEEDED = {
    "amazon2018_reviews": "{}.json.gz",
    "amazon2018_meta": "meta_{}.json.gz",
    "amazon2018_ratings": "{}.csv",
}

# `main_cat` is sometimes an image tag instead of text: <img src="..." alt="Digital Music"/>.
_IMG_ALT = re.compile(r"<img\b[^>]*?\balt\s*=\s*([\"'])(.*?)\1", re.IGNORECASE | re.DOTALL)
# ASINs in the `similar_item` comparison table follow the word "asin" and a separator or two.
_SIMILAR_ASIN = re.compile(r"\basin[^A-Za-z0-9]{1,3}([A-Z0-9]{10})(?![A-Za-z0-9])", re.IGNORECASE)
RATING_FIELDS = 4


def main_category(value: str | None) -> str | None:
    """The text of `main_cat`: the `alt` of an <img> tag when upstream stored one, else as is."""
    if value is None or "<img" not in value.lower():
        return value
    found = _IMG_ALT.search(value)
    return amz.unescape(found[2]) if found else value


def similar_asins(value: str | None) -> list[str] | None:
    """ASINs in the `similar_item` HTML table, in order of first appearance ("" -> [])."""
    if value is None:
        return None
    # ECInstruct took s[1:11] after each "asin"; the regex keeps only well-formed 10-character ids.
    return list(dict.fromkeys(match.upper() for match in _SIMILAR_ASIN.findall(value)))


def review_row(record: amz.Record) -> amz.Record:
    """A review; missing text or rating stay null (task builders decide what they need)."""
    return {
        "asin": amz.required_text(record, "asin"),
        "reviewer_id": amz.text(record, "reviewerID"),
        "overall": amz.number(record, "overall"),
        "verified": amz.boolean(record, "verified"),
        "unix_time": amz.integer(record, "unixReviewTime"),
        "review_text": amz.text(record, "reviewText"),
        "summary": amz.text(record, "summary"),
        "vote": amz.count(record, "vote"),
        "style": amz.json_text(record, "style"),
    }


# The upstream review record as Arrow checks it; `style` must be an object (its keys are read below).
_REVIEW_ARROW = arrow_schema(
    {
        "asin": pl.String,
        "reviewerID": pl.String,
        "overall": pl.Float64,
        "verified": pl.Boolean,
        "unixReviewTime": pl.Int64,
        "reviewText": pl.String,
        "summary": pl.String,
        "vote": pl.String,
        "style": pl.Struct({}),
    }
)
_VOTE = r"^[0-9,]*[0-9][0-9,]*$"  # what `count` accepts without help: digits and thousands commas


def _native_reviews(decoded: pl.DataFrame) -> pl.DataFrame:
    """`review_row` over the Arrow-decoded reviews; `_good` is False where the Python reader must
    decide (a missing asin, a vote that is not plain digits and commas, a style not all text)."""
    style = object_column(decoded, "style", "style")
    vote = pl.col("vote").str.replace_all(",", "", literal=True).cast(pl.Int64, strict=False)
    good = (
        (pl.col("asin").fill_null("") != "")
        & (pl.col("vote").is_null() | (pl.col("vote").str.contains(_VOTE) & vote.is_not_null()))
        & (pl.col("style").is_null() | style.is_not_null())
    ).fill_null(False)
    return decoded.with_columns(
        pl.col("reviewerID").alias("reviewer_id"),
        pl.col("unixReviewTime").alias("unix_time"),
        pl.col("reviewText").alias("review_text"),
        vote.alias("vote"),
        style,
        good.alias(GOOD),
    )


def meta_row(record: amz.Record) -> amz.Record:
    """A product's metadata, with the format quirks of `metaFiles2` undone."""
    price = amz.text(record, "price")
    return {
        "asin": amz.required_text(record, "asin"),
        "title": amz.unescape(amz.text(record, "title")),
        "brand": amz.text(record, "brand"),
        "main_cat": main_category(amz.text(record, "main_cat")),
        "categories": amz.text_list(record, "category"),
        "description": amz.unescape_all(
            amz.text_list(record, "description", drop_empty=True, allow_scalar=True)
        ),
        "feature": amz.text_list(record, "feature", drop_empty=True, allow_scalar=True),
        "also_buy": amz.text_list(record, "also_buy"),
        "also_view": amz.text_list(record, "also_view"),
        "similar_item": similar_asins(amz.text(record, "similar_item")),
        "rank": amz.text_list(record, "rank", drop_empty=True, allow_scalar=True),
        "price": price,
        "price_value": amz.parse_price(price),
        "date": amz.text(record, "date"),
        "details": amz.json_text(record, "details"),
    }


# The upstream metadata record as Arrow checks it. `rank` is a string on some rows and a list on
# others, which no Arrow type accepts, so it is read from the raw line (`_rank`).
_META_ARROW = arrow_schema(
    {
        "asin": pl.String,
        "title": pl.String,
        "brand": pl.String,
        "main_cat": pl.String,
        "category": pl.List(pl.String),
        "description": pl.List(pl.String),
        "feature": pl.List(pl.String),
        "also_buy": pl.List(pl.String),
        "also_view": pl.List(pl.String),
        "similar_item": pl.String,
        "price": pl.String,
        "date": pl.String,
        "details": pl.Struct({}),
    }
)
_RANK_VALUE = rf"null|{STRING}|\[(?:{STRING}(?:, {STRING})*)?\]"
# Python's `\s` also matches these separators, Polars' (Rust's) does not: such prices go to Python.
_PYTHON_ONLY_SPACE = r"[\x1c-\x1f]"


# `_SIMILAR_ASIN` without the look-ahead Rust's regex lacks: the character after the id is matched
# instead (it can never begin the next "asin", so no match is lost). On ASCII text, where both
# engines agree on word boundaries and case, this finds the same ids; other text goes to Python.
_SIMILAR_ASIN_RUST = r"(?i)\basin[^A-Za-z0-9]{1,3}([A-Z0-9]{10})(?:[^A-Za-z0-9]|$)"
_ASCII = r"^[\x00-\x7f]*$"


def _similar_asins(html: pl.Expr) -> pl.Expr:
    """`similar_asins` as an expression (for ASCII values)."""
    ids = pl.element().str.extract(_SIMILAR_ASIN_RUST, 1).str.to_uppercase()
    return html.str.extract_all(_SIMILAR_ASIN_RUST).list.eval(ids).list.unique(maintain_order=True)


def _without_empty(items: pl.Expr) -> pl.Expr:
    return items.list.eval(pl.element().filter(pl.element() != ""))


def _rank(frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """(`rank` as `text_list(..., drop_empty=True, allow_scalar=True)` reads it, whether that is sure).

    The value is cut from the raw line where `"rank": ` occurs as a key, which must happen once. It
    is the record's own key when the line has no nested object but `details` (checked not to hold
    it); elsewhere a JSON path, a full parse and so run only on those rows, confirms that the record
    itself has a rank.
    """
    line = pl.col("text")
    value, once = key_value(line, "rank", _RANK_VALUE)
    details = pl.col("details_text")
    braces = 2 + 2 * details.is_not_null().cast(pl.Int64)  # the record's, and the details object's
    in_details = details.fill_null("").str.contains('"rank": ', literal=True)
    plain = (line.str.count_matches(r"[{}]") == braces) & ~in_details
    anywhere = line.str.contains('"rank": ', literal=True)
    unsure = frame.select(anywhere & ~plain.fill_null(False)).to_series()
    confirmed = frame.filter(unsure).select(line.str.json_path_match("$.rank").is_not_null()).to_series()
    own = pl.Series([True] * frame.height, dtype=pl.Boolean).scatter(unsure.arg_true(), confirmed)
    as_list = (
        pl.when(value.str.starts_with("["))
        .then(value)
        .when(value != "null")
        .then(pl.concat_str(pl.lit("["), value, pl.lit("]")))
    )
    rank = pl.when(anywhere).then(_without_empty(as_list.str.json_decode(pl.List(pl.String))))
    return rank, ~anywhere | (pl.lit(own) & once & value.is_not_null())


def _native_meta(decoded: pl.DataFrame) -> pl.DataFrame:
    """`meta_row` over the Arrow-decoded metadata; `_good` is False where the Python reader must decide.

    HTML entities, `<img>` main categories and the `similar_item` tables are undone by the same
    Python functions as `meta_row`, called only on the values that hold them.
    """
    frame = decoded.with_columns(object_column(decoded, "details", "details_text"))
    rank, rank_sure = _rank(frame)
    price = pl.col("price")
    parsed = price.str.extract(amz.PRICE_PATTERN, 1).str.replace_all(",", "", literal=True).cast(pl.Float64)
    frame = frame.with_columns(
        pl.col("category").alias("categories"),
        _without_empty(pl.col("description")).alias("description"),
        _without_empty(pl.col("feature")).alias("feature"),
        _similar_asins(pl.col("similar_item")).alias("similar_item"),
        rank.alias("rank"),
        parsed.alias("price_value"),
        pl.col("details_text").alias("details"),
        (
            (pl.col("asin").fill_null("") != "")
            & (pl.col("details").is_null() | pl.col("details_text").is_not_null())
            & rank_sure
        )
        .fill_null(False)
        .alias(GOOD),
    )
    title, main_cat, description = frame["title"], frame["main_cat"], frame["description"]
    similar, price_text = decoded["similar_item"], frame["price"]
    return frame.with_columns(
        python_where(title, title, title.str.contains("&", literal=True), amz.unescape),
        python_where(main_cat, main_cat, main_cat.str.contains("<", literal=True), main_category),
        python_where(description, description, description.list.join("").str.contains("&"), amz.unescape_all),
        python_where(frame["similar_item"], similar, ~similar.str.contains(_ASCII), similar_asins),
        python_where(
            frame["price_value"], price_text, price_text.str.contains(_PYTHON_ONLY_SPACE), amz.parse_price
        ),
    )


# Upstream scraped the text with its HTML entities (`&#34;` for a quote is common in reviews).
_REVIEW_TEXT = ("review_text", "summary")
# Text columns whose entities neither reader has decoded yet (title and description are decoded there).
_ENTITY_COLUMNS = ("brand", "main_cat", "categories", "feature", "rank")


def finish_meta(frame: pl.DataFrame) -> pl.DataFrame:
    """Metadata rows from either reader, with HTML entities decoded in the remaining text columns and
    `date` nulled where upstream's scraper stored a block of HTML there instead of a date."""
    date = pl.col("date")
    return decode_entities(frame, _ENTITY_COLUMNS).with_columns(
        pl.when(date.str.contains("<", literal=True)).then(None).otherwise(date).alias("date")
    )


# A line that passes every check of `_rating_reason` for sure: four fields, neither id empty, a plain
# decimal rating, a timestamp that fits Int64, no replacement character. Only other lines need them.
_PLAIN_RATING = r"^[^,\ufffd]+,[^,\ufffd]+,[0-9]{1,3}(?:\.[0-9]{1,6})?,[0-9]{1,18}$"


def _rating_lines(path: Path) -> pl.LazyFrame:
    """`line, raw` of every non-empty line of a ratings CSV, read whole as one string (the separator
    is the line end itself and quoting is off, so nothing splits) to be split afterwards, so that a
    short or long line is caught instead of misread."""
    return (
        pl.scan_csv(
            path,
            has_header=False,
            separator="\n",
            quote_char=None,
            schema={"raw": pl.String},
            encoding="utf8-lossy",  # bad bytes become U+FFFD, flagged below, instead of failing the scan
            empty_string_is_null=False,
            raise_if_empty=False,
            row_index_name="line",
            row_index_offset=1,
        )
        .filter(pl.col("raw") != "")
        .with_columns(pl.col("line").cast(pl.Int64))
    )


def _rating_fields() -> dict[str, pl.Expr]:
    """The four fields of `raw`, parsed (null where absent or not of their type)."""
    fields = pl.col("raw").str.split(",")
    item, user, rating, timestamp = (fields.list.get(i, null_on_oob=True) for i in range(RATING_FIELDS))
    return {
        "item": item,
        "user": user,
        "rating": rating.cast(pl.Float64, strict=False),
        "timestamp": timestamp.cast(pl.Int64, strict=False),
    }


def _rating_reason() -> pl.Expr:
    """Why a ratings line is bad; null when it is good."""
    raw, parsed = pl.col("raw"), _rating_fields()
    n_fields = raw.str.split(",").list.len()
    return (
        pl.when(raw.str.contains("\ufffd", literal=True))
        .then(pl.lit("not valid UTF-8"))
        .when(n_fields != RATING_FIELDS)
        .then(pl.format("expected {} CSV fields, got {}", pl.lit(RATING_FIELDS), n_fields))
        .when((parsed["item"] == "") | (parsed["user"] == ""))
        .then(pl.lit("missing item or user"))
        .when(parsed["rating"].is_null())
        .then(pl.lit("rating is not a number"))
        .when(~parsed["rating"].is_finite())
        .then(pl.lit("rating is not a finite number"))
        .when(parsed["timestamp"].is_null())
        .then(pl.lit("timestamp is not an integer"))
    )


def _review_kind(file: InputFile) -> str | None:
    """ "5-core" or "full" for a reviews file, None for the others."""
    if FIVE_CORE.regex.fullmatch(file.path.name):
        return "5-core"
    return "full" if amz.table_of(file, PATTERNS, "amazon2018") == "amazon2018_reviews" else None


def _five_core_note(file: InputFile) -> str:
    return (
        f"amazon2018: {file.category}.json.gz is absent; reading the 5-core subset {file.path.name} "
        "(fewer reviews: only users and items with at least 5 each)"
    )


@dataclass(frozen=True)
class Amazon2018Options(CategoryOptions):
    review_max_lines: int | None = option(
        None, "lines read from the start of each review file (ECInstruct: 200,000); unset: all", minimum=0
    )


class Amazon2018(SourceAdapter):
    """Reviews, metadata and ratings of the 2018 release; category = the file name.

    Options (`[sources.amazon2018]`): `categories` (default: every category found) and
    `review_max_lines`, which reads only the first N lines of each review file. ECInstruct read the
    first 200,000 lines of each `{Cat}.json.gz` for sentiment analysis; the files are grouped by
    product, so those lines are a prefix, not a random sample.
    """

    options_model = Amazon2018Options
    name = "amazon2018"
    title = "Amazon Review Data (2018)"
    licence = "no explicit licence (research use)"
    homepage = "https://nijianmo.github.io/amazon/index.html"
    citation = """@inproceedings{ni2019justifying,
  title     = {Justifying Recommendations using Distantly-Labeled Reviews and Fine-Grained Aspects},
  author    = {Ni, Jianmo and Li, Jiacheng and McAuley, Julian},
  booktitle = {Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing and
               the 9th International Joint Conference on Natural Language Processing (EMNLP-IJCNLP)},
  pages     = {188--197},
  year      = {2019},
  doi       = {10.18653/v1/D19-1018}
}"""
    tables: ClassVar[dict[str, dict[str, pl.DataType]]] = {
        "amazon2018_reviews": {
            "category": pl.String,
            "asin": pl.String,
            "reviewer_id": pl.String,
            "overall": pl.Float64,
            "verified": pl.Boolean,
            "unix_time": pl.Int64,
            "review_text": pl.String,
            "summary": pl.String,
            "vote": pl.Int64,  # "1,234" -> 1234
            "style": pl.String,  # JSON-encoded dict, or null
            "line": pl.Int64,  # 1-based line in the source file (lineage)
        },
        "amazon2018_meta": {
            "category": pl.String,
            "asin": pl.String,
            "title": pl.String,  # HTML entities unescaped
            "brand": pl.String,  # HTML entities decoded here and in every text column below
            "main_cat": pl.String,  # `alt` of an <img> tag when upstream stored one
            "categories": pl.List(pl.String),  # upstream `category` breadcrumb
            "description": pl.List(pl.String),
            "feature": pl.List(pl.String),
            "also_buy": pl.List(pl.String),
            "also_view": pl.List(pl.String),
            "similar_item": pl.List(pl.String),  # ASINs parsed from the HTML comparison table
            "rank": pl.List(pl.String),  # str-or-list upstream, always a list here
            "price": pl.String,  # raw upstream string
            "price_value": pl.Float64,  # parsed number, null when absent or unparseable
            "date": pl.String,  # null where upstream holds HTML instead of a date
            "details": pl.String,  # JSON-encoded dict, or null
            "line": pl.Int64,
        },
        "amazon2018_ratings": {
            "category": pl.String,
            "item": pl.String,
            "user": pl.String,
            "rating": pl.Float64,
            "timestamp": pl.Int64,
        },
    }

    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        """The upstream files; a category's 5-core reviews only when its full reviews file is absent."""
        found = amz.discover_files(folder, PATTERNS, options, self.name)
        full = {file.category for file in found if _review_kind(file) == "full"}
        return [
            file if _review_kind(file) != "5-core" else replace(file, note=_five_core_note(file))
            for file in found
            if not (_review_kind(file) == "5-core" and file.category in full)
        ]

    def missing_files(self, folder: Path, options: dict[str, Any], found: list[InputFile]) -> list[str]:
        return amz.missing_per_category(found, PATTERNS, options, self.name, NEEDED)

    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        table = amz.table_of(file, PATTERNS, self.name)
        review_cap = amz.line_limit_option(options, "review_max_lines", self.name)  # checked for every file
        if table == "amazon2018_ratings":
            yield table, self._read_ratings(file, quarantine)
            return
        is_review = table == "amazon2018_reviews"
        row_of = review_row if is_review else meta_row

        def to_row(record: amz.Record, line: int) -> amz.Record:
            return {**row_of(record), "category": file.category, "line": line}

        arrow, vectorised = (_REVIEW_ARROW, _native_reviews) if is_review else (_META_ARROW, _native_meta)

        def python_row(line: int, raw: bytes) -> amz.Record | None:
            return record_row(file.path, self.name, quarantine, to_row, line, raw)

        def native(decoded: pl.DataFrame) -> pl.DataFrame:
            # after the record's own `category` (the breadcrumb) has become `categories`
            return vectorised(decoded).with_columns(category=pl.lit(file.category, dtype=pl.String))

        max_lines = review_cap if is_review else None
        for frame in read_json_lines(file.path, arrow, native, python_row, self.tables[table], max_lines):
            yield table, decode_entities(frame, _REVIEW_TEXT) if is_review else finish_meta(frame)

    def _read_ratings(self, file: InputFile, quarantine: Quarantine) -> pl.LazyFrame:
        """Quarantine the bad lines now (only they are collected); return a lazy scan of the good ones."""
        require_content(file.path)  # the scan is lazy: fail now, with the usual message
        lines = _rating_lines(file.path)
        # one cheap pattern clears nearly every line; the full checks run on the rest only
        suspect = lines.filter(~pl.col("raw").str.contains(_PLAIN_RATING))
        bad = suspect.select("line", "raw", reason=_rating_reason()).filter(pl.col("reason").is_not_null())
        bad = bad.collect()
        for line, raw, reason in bad.iter_rows():
            quarantine.add(source=self.name, file=str(file.path), line=line, raw=raw, reason=reason)
        good = lines.filter(~pl.col("line").is_in(bad["line"].implode())) if bad.height else lines
        return good.select(pl.lit(file.category, dtype=pl.String).alias("category"), **_rating_fields())

    def finalize(self, table: str, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Duplicate ASIN rows in meta: keep the last per (category, asin), as ECInstruct's dict did."""
        if table == "amazon2018_meta":
            return amz.keep_last_per_key(frame, ["category", "asin"])
        return frame

    def remote_files(self, options: dict[str, Any]) -> list[RemoteFile]:
        """Per category of the options: full reviews, ratings CSV and metadata, from three mirrors."""
        return [
            RemoteFile(
                urls=tuple(f"{mirror}{folder}/{name}" for mirror in MIRRORS),
                relative_path=f"{self.name}/{name}",
            )
            for category in amz.category_option(options, self.name)
            for folder, name in (
                ("categoryFiles", f"{category}.json.gz"),
                ("categoryFilesSmall", f"{category}.csv"),
                ("metaFiles2", f"meta_{category}.json.gz"),
            )
        ]
