"""Reading helpers shared by the Amazon adapters (the 2014, 2018 and 2023 releases).

All three releases ship one object per line with loosely typed fields. These helpers parse a line
(strict JSON, or the 2014 Python-literal dialect), check and coerce each field to its column's dtype
(a wrong type is a quarantine reason, never a crash) and find the upstream files by name.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import RecipeError, SourceFileError
from ._common import Record, RecordError, string_list_option, type_name
from .base import InputFile

# Int64 columns: Python's json returns integers of any size, Polars stores 64 bits.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# The leading amount of a price string: "$18.99" -> 18.99, "$1,299.00" -> 1299.0, and for a range
# "$5.99 - $9.99" the lower bound. Anchored, so junk that merely contains digits stays unparsed.
# Written to mean the same in Python's `re` and in Polars' (Rust) regex engine.
PRICE_PATTERN = r"^\s*\$?\s*([0-9][0-9,]*(?:\.[0-9]+)?)"
_PRICE = re.compile(PRICE_PATTERN)


# --- recipe options ------------------------------------------------------------------------------


def category_option(options: dict[str, Any], source: str) -> tuple[str, ...]:
    """The `categories` option in recipe order without repeats; empty means every category."""
    return tuple(dict.fromkeys(string_list_option(options, "categories", source)))


def line_limit_option(options: dict[str, Any], key: str, source: str) -> int | None:
    """A non-negative integer option capping the lines read per file; None when absent."""
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecipeError(f"recipe: sources.{source}.{key} must be a non-negative integer, got {value!r}")
    return value


# --- finding files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilePattern:
    """The upstream file names of one table: a regex with a `category` group, matched in full."""

    table: str
    regex: re.Pattern[str]


def _match(names: Sequence[str], patterns: Sequence[FilePattern]) -> tuple[str, str] | None:
    for name in names:
        for pattern in patterns:
            found = pattern.regex.fullmatch(name)
            if found:
                return pattern.table, found["category"]
    return None


def discover_files(
    folder: Path, patterns: Sequence[FilePattern], options: dict[str, Any], source: str
) -> list[InputFile]:
    """Files under `folder` whose relative `/`-path matches a pattern, in the chosen categories, sorted."""
    wanted = set(category_option(options, source))
    if not folder.is_dir():
        return []
    found = []
    # every entry, not only regular files: a folder, FIFO or dangling link by an upstream name must
    # fail when read, naming it, rather than be passed over
    for path in sorted(folder.rglob("*")):
        match = _match([path.relative_to(folder).as_posix()], patterns)
        if match and (not wanted or match[1] in wanted):
            found.append(InputFile(path=path, category=match[1]))
    return found


def missing_per_category(
    found: Sequence[InputFile],
    patterns: Sequence[FilePattern],
    options: dict[str, Any],
    source: str,
    names: dict[str, str],
) -> list[str]:
    """The files (`names`: table -> file name with `{}` for the category) of each category the recipe
    names that discovery did not find; none when the recipe takes every category found."""
    have = {(table_of(file, patterns, source), file.category) for file in found}
    return [
        name.format(category)
        for category in category_option(options, source)
        for table, name in names.items()
        if (table, category) not in have
    ]


def table_of(file: InputFile, patterns: Sequence[FilePattern], source: str) -> str:
    """The table a discovered file feeds, from its name (or folder and name, for Parquet shards)."""
    path = file.path
    match = _match([path.name, f"{path.parent.name}/{path.name}"], patterns)
    if match is None:
        raise SourceFileError(f"{path}: not an upstream file name of {source}; name it as upstream does")
    return match[0]


# --- parsing one line ----------------------------------------------------------------------------

# The names JSON gives the types a parser returns, so reasons read the same for JSON and literals.
# --- fields --------------------------------------------------------------------------------------


def _wrong(key: str, expected: str, value: Any) -> RecordError:
    return RecordError(f"field {key}: expected {expected}, got {type_name(value)}")


def _storable(key: str, value: str) -> str:
    # JSON may carry lone surrogates ("\ud800"): Python accepts them, Arrow cannot store them.
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(f"field {key}: not valid Unicode (lone surrogate)") from None
    return value


def text(record: Record, key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(key, "string", value)
    return _storable(key, value)


def required_text(record: Record, key: str) -> str:
    value = text(record, key)
    if not value:
        raise RecordError(f"missing required field {key}")
    return value


def number(record: Record, key: str) -> float | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):  # JSON has no NaN or Infinity, but Python's parser accepts them
            raise RecordError(f"field {key}: {value} is not a finite number")
        return float(value)
    raise _wrong(key, "number", value)


def _int64(key: str, value: int) -> int:
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise RecordError(f"field {key}: integer {value} does not fit in 64 bits")
    return value


def integer(record: Record, key: str) -> int | None:
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():  # 1.0 from a writer that knew only floats
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return _int64(key, value)
    raise _wrong(key, "integer", value)


def count(record: Record, key: str) -> int | None:
    """An integer that upstream may store as a string with thousands separators ("1,234")."""
    value = record.get(key)
    if not isinstance(value, str):
        return integer(record, key)
    digits = value.replace(",", "").strip()
    if not (digits.isascii() and digits.isdigit()):
        raise RecordError(f"field {key}: not a whole number")
    return _int64(key, int(digits))


def boolean(record: Record, key: str) -> bool | None:
    value = record.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise _wrong(key, "boolean", value)


def mapping(record: Record, key: str) -> Record:
    """A nested object; absent or null gives an empty one."""
    value = record.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _wrong(key, "object", value)
    return value


def _strings(key: str, value: Any) -> list[str] | None:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        return None
    return [_storable(key, item) for item in value]


def text_list(
    record: Record, key: str, *, drop_empty: bool = False, allow_scalar: bool = False
) -> list[str] | None:
    """A list of strings; `allow_scalar` takes a bare string as a one-item list ("" as none)."""
    value = record.get(key)
    if value is None:
        return None
    if allow_scalar and isinstance(value, str):
        value = [value]
    items = _strings(key, value)
    if items is None:
        raise _wrong(key, "list of strings", value)
    return [item for item in items if item] if drop_empty else items


def nested_text_list(record: Record, key: str) -> list[list[str]] | None:
    """A list of lists of strings (the 2014 category paths)."""
    value = record.get(key)
    if value is None:
        return None
    paths = [_strings(key, item) for item in value] if isinstance(value, list | tuple) else [None]
    if None in paths:
        raise _wrong(key, "list of lists of strings", value)
    return [path for path in paths if path is not None]


def json_text(record: Record, key: str) -> str | None:
    """A dict field kept as JSON text; absent, null or "" (upstream's 'nothing') gives null."""
    value = record.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise _wrong(key, "object", value)
    try:
        encoded = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # a Python literal may hold sets or bytes, which JSON cannot carry
        raise RecordError(f"field {key}: holds values JSON cannot represent") from None
    return _storable(key, encoded)


def parse_price(value: str | None) -> float | None:
    """The leading amount of a price string, or None when there is none."""
    found = _PRICE.match(value) if value else None
    return float(found[1].replace(",", "")) if found else None


def price_number(record: Record, key: str) -> float | None:
    """A price given either as a number or as a string like "$18.99" (unparseable strings -> null)."""
    value = record.get(key)
    return parse_price(value) if isinstance(value, str) else number(record, key)


def unescape(value: str | None) -> str | None:
    """Decode HTML entities (`&quot;`, `&amp;`), which Amazon left in titles and descriptions."""
    return html.unescape(value) if value else value


def unescape_all(values: list[str] | None) -> list[str] | None:
    return None if values is None else [html.unescape(value) for value in values]


# --- whole-table steps ---------------------------------------------------------------------------


def keep_last_per_key(frame: pl.LazyFrame, key: list[str]) -> pl.LazyFrame:
    """One row per key: the values of its last row, at the position where the key first appeared.

    This is what filling a Python dict line by line (`meta[asin] = record`) gives, which is how
    ECInstruct dropped duplicate products; a `line` column then names the line the values came from.
    Only the key columns are grouped (in memory); the rows themselves stream: those of keys seen once
    pass through in order, and the last rows of repeated keys are merged in at their first position.
    """
    columns = frame.collect_schema().names()
    indexed = frame.with_row_index("_position")
    keys = indexed.select(*key, "_position")
    repeated = (
        keys.group_by(key)
        .agg(_first=pl.col("_position").min(), _last=pl.col("_position").max(), _rows=pl.len())
        .filter(pl.col("_rows") > 1)
        .collect()
    )
    if repeated.is_empty():
        return frame
    # Both sides are collected first (a few rows each), so that the rows stream through a filter and
    # the merge: an anti join that keeps order, or a merge waiting on a sort of the whole table,
    # would hold the table in memory.
    dropped = keys.join(repeated.lazy().select(key), on=key, how="semi").select("_position")
    once = indexed.filter(
        ~pl.col("_position").is_in(dropped.collect(engine="streaming").to_series().implode())
    )
    last_rows = (
        indexed.join(repeated.lazy().select("_first", _position="_last"), on="_position")
        .with_columns(_position=pl.col("_first"))
        .select(once.collect_schema().names())
        .sort("_position")
        .collect(engine="streaming")
    )
    return once.merge_sorted(last_rows.lazy(), key="_position").select(columns)
