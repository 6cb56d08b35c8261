"""Native reading of JSON-lines files: Arrow parses whole chunks, Python sees only the odd lines.

Each JSON adapter has a Python reader that turns one line into a row or a quarantine reason; it stays
the reference. This module runs Arrow's JSON parser over chunks of lines with the upstream record
schema, which is strict: a value of another JSON type, an integer that does not fit, a repeated key,
a lone surrogate or invalid UTF-8 all make Arrow reject the line. Lines Arrow rejects, and rows the
adapter's own vectorised checks flag, go to the Python reader, which writes the row or the quarantine
entry exactly as before. For every other line both readers give the same values, so the tables and
the quarantine are unchanged, in the same order; only the per-line Python work is gone.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from ..io import STREAM_ERRORS, UTF8_BOM, broken_stream, open_binary, require_content
from . import _common
from .base import batch_frame

# Decompressed bytes per chunk: large enough for Arrow to be fast, small enough that a bad line's
# halving stays cheap and that reading the next chunk overlaps with parsing this one (measured: 4 MiB
# beats 1, 2, 8, 16 and 32 on review files).
CHUNK_BYTES = 4 << 20
# When Arrow rejects a chunk, its halves are retried, down to blocks of this many lines; only the
# lines of blocks that still fail go to Python, so a rare bad line costs a few dozen lines of Python.
BLOCK_LINES = 32
# Python's JSON parser refuses nesting deeper than its recursion limit (about 1,000); a line with fewer
# brackets than this cannot reach it, so only lines with more are left to Python to judge.
MAX_BRACKETS = 512
# A line of only what bytes.strip() removes holds no record.
_BLANK_LINE = r"^[ \t\n\r\x0b\x0c]*$"
_LINES_SCHEMA = {"line": pl.Int64, "raw": pl.String}
_SCALARS = (
    (pl.String, pa.string()),
    (pl.Int64, pa.int64()),
    (pl.Float64, pa.float64()),
    (pl.Boolean, pa.bool_()),
)

# A JSON object whose values are all strings or integers, as Polars' JSON path writes it (compact);
# up to 18 digits an integer reads and prints the same in Python and in Polars.
STRING = r'"(?:[^"\\]|\\.)*"'
_SCALAR = rf"(?:{STRING}|-?(?:0|[1-9][0-9]{{0,17}}))"
_FLAT_OBJECT = rf"^\{{(?:{STRING}:{_SCALAR}(?:,{STRING}:{_SCALAR})*)?\}}$"
# The same object as Python's `json.dumps(..., ensure_ascii=False)` writes it: ", " and ": ", and only
# the escapes it uses for quotes, backslashes and common control characters (not \uXXXX, not \/).
_CANONICAL_STRING = r'"(?:[^"\\\x00-\x1f]|\\["\\bfnrt])*"'
_CANONICAL_PAIR = rf"{_CANONICAL_STRING}: (?:{_CANONICAL_STRING}|-?(?:0|[1-9][0-9]{{0,17}}))"
_CANONICAL_OBJECT = rf"\{{(?:{_CANONICAL_PAIR}(?:, {_CANONICAL_PAIR})*)?\}}"

#: one line (its number, raw bytes) -> a table row, or None when it is skipped or quarantined
PythonRow = Callable[[int, bytes], "dict[str, Any] | None"]
#: the raw lines -> their JSON text, line for line
Translate = Callable[[pl.Series], pl.Series]
#: decoded rows (upstream columns, `line`, `raw`, `text`) -> the same rows, in order, with the table columns
#: and `_good`: True for a finished row, False where the Python reader must decide, null to skip it
Native = Callable[[pl.DataFrame], pl.DataFrame]
GOOD = "_good"
T = TypeVar("T")


@dataclass(frozen=True)
class Chunk:
    """Consecutive whole lines of a file, joined by newlines, and the number of the first."""

    first: int
    block: bytes


def _line_array(block: bytes) -> pa.LargeStringArray:
    """Every line of `block` with its newline, as one Arrow array over the same bytes (no copy, and
    no UTF-8 check: only use it once something has checked the bytes)."""
    data = block + b"\n"
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n")) + 1
    offsets = np.concatenate([np.zeros(1, dtype=np.int64), ends.astype(np.int64)])
    return pa.LargeStringArray.from_buffers(len(ends), pa.py_buffer(offsets), pa.py_buffer(data))


def _numbered(chunk: Chunk, raw: pl.Series) -> pl.DataFrame:
    """`line`, `raw` of the chunk's non-blank lines."""
    lines = pl.DataFrame(
        {"line": pl.int_range(chunk.first, chunk.first + len(raw), eager=True), "raw": raw},
        schema=_LINES_SCHEMA,
    )
    # a JSON line starts with "{": only the others need the regex
    blank = ~lines["raw"].str.starts_with("{")
    if blank.any():
        blank = blank & lines["raw"].str.contains(_BLANK_LINE)
    return lines.filter(~blank) if blank.any() else lines


def _valid_utf8(block: bytes) -> bool:
    try:
        _line_array(block).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _checked_lines(chunk: Chunk) -> tuple[pl.DataFrame, list[tuple[int, bytes]]]:
    """The chunk's non-blank UTF-8 lines, and the (line, bytes) of those that are not UTF-8."""
    array = _line_array(chunk.block)
    try:
        array.validate(full=True)
        return _numbered(chunk, pl.Series(array)), []
    except pa.ArrowInvalid:
        pass
    # rare: find the bad lines among those a lenient decode marked, and blank them for Python
    raw = pl.Series(_line_array(chunk.block.decode("utf-8", errors="replace").encode("utf-8")))
    raw_lines = chunk.block.split(b"\n")
    odd = []
    for index in raw.str.contains("\ufffd", literal=True).arg_true().to_list():
        try:
            raw_lines[index].decode("utf-8")
        except UnicodeDecodeError:
            odd.append((chunk.first + index, raw_lines[index].rstrip(b"\r")))
            raw[index] = "\n"
    return _numbered(chunk, raw), odd


_DONE = object()


def ahead(items: Iterator[T]) -> Iterator[T]:
    """The items of `items`, the next one made in a thread while the caller works on this one.

    Decompression, Arrow's parser and Polars release the GIL, so stages chained this way share the
    two cores. The thread only ever runs `next(items)`; an exception raised there reaches the caller.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, items, _DONE)
        while (item := pending.result()) is not _DONE:
            pending = pool.submit(next, items, _DONE)
            yield item  # type: ignore[misc]


def _read_blocks(handle: IO[bytes]) -> Iterator[bytes]:
    """Decompressed reads of CHUNK_BYTES, read ahead in a thread."""
    return ahead(iter(lambda: handle.read(CHUNK_BYTES), b""))


def line_chunks(path: Path, max_lines: int | None = None) -> Iterator[Chunk]:
    """Stream a (possibly gzipped) file as chunks of whole lines; `max_lines` stops after that many
    lines, blank or not."""
    first, rest = 1, b""
    require_content(path)
    with open_binary(path) as handle:
        blocks = _read_blocks(handle)
        while max_lines is None or first <= max_lines:
            try:
                data = next(blocks, b"")
            except STREAM_ERRORS as exc:
                raise broken_stream(path, exc) from exc
            if first == 1 and not rest:
                data = data.removeprefix(UTF8_BOM)  # a byte-order mark is not part of the first record
            if data:
                data = rest + data
                cut = data.rfind(b"\n")
                if cut < 0:
                    rest = data
                    continue
                block, rest = data[:cut], data[cut + 1 :]
            elif rest:
                block, rest = rest, b""
            else:
                return
            count = block.count(b"\n") + 1
            if max_lines is not None and first + count - 1 > max_lines:
                block = b"\n".join(block.split(b"\n", max_lines - first + 1)[: max_lines - first + 1])
                count = max_lines - first + 1
            yield Chunk(first, block)
            first += count


def _arrow(payload: bytes, schema: pa.Schema) -> pa.Table | None:
    """The payload's records decoded with the strict schema, or None if Arrow rejects any."""
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        return pa_json.read_json(io.BytesIO(payload), parse_options=options)
    except (pa.ArrowException, ValueError):
        return None


def _joined(lines: pl.DataFrame, table: pa.Table | None) -> pl.DataFrame | None:
    """Lines and their decoded records side by side, when there is exactly one record per line."""
    if table is None or table.num_rows != lines.height:  # more rows: a line holding two objects
        return None
    return pl.concat([lines, pl.from_arrow(table)], how="horizontal")  # type: ignore[list-item]


_UNPARSED = object()


def decode(
    chunk: Chunk, schema: pa.Schema, translate: Translate | None = None, parsed: Any = _UNPARSED
) -> tuple[pl.DataFrame, pl.DataFrame, list[tuple[int, bytes]]]:
    """(decoded rows, rejected lines, non-UTF-8 lines) of a chunk, in line order. Rows carry `line`,
    `raw` (the line) and `text` (what was parsed: the line, or its JSON translation).

    Without a translation the whole chunk is parsed straight from its bytes; when Arrow accepts it,
    every byte was valid UTF-8 (it checks strings, and anything else outside JSON's ASCII syntax is
    an error). Otherwise the lines are checked and the chunk halved until the halves decode, down to
    blocks of BLOCK_LINES lines, which are rejected whole. `parsed` is Arrow's result for the whole
    chunk (a table, or None when Arrow rejected it) when a previous stage has parsed it already.
    """
    if translate is None:
        table = _arrow(chunk.block, schema) if parsed is _UNPARSED else parsed
        # Arrow's JSON parser does not check that strings are UTF-8: a chunk it accepts may not be
        if table is not None and _valid_utf8(chunk.block):
            lines = _numbered(chunk, pl.Series(_line_array(chunk.block)))
            whole = _joined(lines.with_columns(text=pl.col("raw")), table)
            if whole is not None:
                return whole, pl.DataFrame(schema=_LINES_SCHEMA), []
    lines, odd = _checked_lines(chunk)
    lines = lines.with_columns(text=translate(lines["raw"]) if translate else lines["raw"])
    decoded, rejected = [], []
    pending = [lines]  # a stack: the first half is decoded first, so line order is kept
    while pending:
        part = pending.pop()
        table = _arrow(part["text"].str.join("").item().encode("utf-8"), schema) if part.height else None
        joined = _joined(part, table)
        if joined is not None:
            decoded.append(joined)
        elif part.height <= BLOCK_LINES:
            rejected.append(part.select(list(_LINES_SCHEMA)))
        else:
            half = part.height // 2
            pending += [part.slice(half), part.head(half)]
    decoded_rows = pl.concat(decoded) if decoded else _empty_decoded(schema)
    return decoded_rows, pl.concat(rejected) if rejected else pl.DataFrame(schema=_LINES_SCHEMA), odd


def _empty_decoded(schema: pa.Schema) -> pl.DataFrame:
    empty = pl.from_arrow(schema.empty_table())
    lines = pl.DataFrame(schema={**_LINES_SCHEMA, "text": pl.String})
    return pl.concat([lines, empty], how="horizontal")  # type: ignore[list-item]


def read_json_lines(
    path: Path,
    arrow_schema: pa.Schema,
    native: Native,
    python_row: PythonRow,
    table_schema: dict[str, pl.DataType],
    max_lines: int | None = None,
    translate: Translate | None = None,
) -> Iterator[pl.DataFrame]:
    """Rows of a JSON-lines file in line order, in frames of at most BATCH_ROWS rows (`table_schema`).

    `native` turns the Arrow-decoded rows into table rows, with `_good` False on those it cannot
    vouch for; they, the lines Arrow rejected and the non-UTF-8 lines go through `python_row` in line
    order. Rows whose `_good` is null are skipped (filtering on a null keeps nothing). `translate`
    turns lines of another dialect into JSON where it can do so exactly (others stay as they are).
    """
    # Three stages in threads, each a chunk ahead of the next: Arrow parses the chunk, its lines are
    # attached to the records (or it is taken apart when Arrow rejects it), then it is checked here.
    chunks = line_chunks(path, max_lines)
    parsed = ahead(
        (chunk, _arrow(chunk.block, arrow_schema) if translate is None else None) for chunk in chunks
    )
    for decoded, rejected, odd in ahead(
        decode(chunk, arrow_schema, translate, table) for chunk, table in parsed
    ):
        checked = native(decoded)
        good = _python_decides(decoded, checked[GOOD])
        leftovers = pl.concat([rejected, decoded.select(list(_LINES_SCHEMA)).filter(~good)])
        # raw lines carry their newline here; iter_lines strips it (and a CR) the same way
        queue = odd + [(line, raw.encode("utf-8").rstrip(b"\r\n")) for line, raw in leftovers.iter_rows()]
        slow = [row for line, raw in sorted(queue) if (row := python_row(line, raw)) is not None]
        frame = checked.select(list(table_schema))
        if not good.fill_null(False).all():
            frame = frame.filter(good)
        frame = frame.cast(table_schema)
        if slow:  # rows from Python go back to their place in line order
            frame = pl.concat([frame, batch_frame(slow, table_schema)]).sort("line")
        # at most BATCH_ROWS rows per frame, like `_common.batched` (read at call time: tests lower it)
        yield from frame.iter_slices(_common.BATCH_ROWS)


def _python_decides(decoded: pl.DataFrame, good: pl.Series) -> pl.Series:
    """`good`, set to False where the Python reader may judge differently from Arrow, so that a line's
    verdict never depends on which reader saw it (that is, on its neighbours): NaN or Infinity in a
    number field (Arrow accepts them, the Python checks refuse them) and lines with so many brackets
    that they may be nested deeper than Python's parser goes (Arrow has no such limit)."""
    floats = [name for name, dtype in decoded.schema.items() if dtype == pl.Float64]
    suspect = pl.col("text").str.count_matches(r"[\[{]") > MAX_BRACKETS
    for name in floats:
        suspect = suspect | ~pl.col(name).is_finite().fill_null(True)
    flagged = decoded.select(suspect).to_series()
    if not flagged.any():
        return good
    return pl.select(pl.when(flagged).then(False).otherwise(good).alias(good.name)).to_series()


def object_text(column: pl.Expr) -> pl.Expr:
    """Python's `json.dumps(obj, ensure_ascii=False)` of a JSON object given as Polars' compact JSON
    text (`str.json_path_match`), when every value is a string or an integer; null otherwise (the
    caller then lets Python handle the row). Both writers escape strings and print integers the same
    way; only the separators differ."""
    # A comma before the closing brace makes every key and value end in ":" or ",", so the scan
    # always matches a whole string and never starts inside one; the extra ", " is then removed.
    ended = column.str.replace(r"\}$", ",}")
    spaced = ended.str.replace_all(rf"({_SCALAR})([:,])", "${1}${2} ").str.replace(r", ?\}$", "}")
    return pl.when(column.str.contains(_FLAT_OBJECT)).then(spaced)


def no_null_items(column: pl.Expr, depth: int = 1) -> pl.Expr:
    """True where a list column is present and no item is null (`depth` 2: nor any item's item)."""
    item_ok = no_null_items(pl.element(), depth - 1) if depth > 1 else pl.element().is_not_null()
    return column.is_not_null() & column.list.eval(item_ok).list.all()


def object_column(decoded: pl.DataFrame, key: str, name: str) -> pl.Series:
    """`json_text` of the top-level object `key` where Arrow found one (computed on those rows only);
    null where it is absent, or where Python must decide (the row's `_good` must then be False).

    Most objects are already written the way Python writes them (what upstream's `json.dumps` left):
    their text is used as it is. The others are re-read and re-spaced (`top_object_text`).
    """
    present = decoded[key].is_not_null()
    rows = decoded.select("text").filter(present)
    cut, once = key_value(pl.col("text"), key, _CANONICAL_OBJECT)
    # in steps, each column computed once (an expression used twice in one select is evaluated twice)
    parts = rows.select(cut.alias("cut"), once.alias("once")).with_columns(
        keys=pl.col("cut").str.extract_all(rf"({_CANONICAL_STRING}): ")
    )
    unique_keys = pl.col("keys").list.n_unique() == pl.col("keys").list.len()
    canonical = parts.select(pl.when(pl.col("once") & unique_keys).then(pl.col("cut"))).to_series()
    if canonical.null_count():
        respaced, respaced_once = top_object_text(pl.col("text"), key)
        others = rows.select(pl.when(respaced_once).then(respaced)).to_series()
        canonical = pl.select(pl.coalesce(pl.lit(canonical), pl.lit(others))).to_series()
    return pl.Series(name, [None] * decoded.height, dtype=pl.String).scatter(present.arg_true(), canonical)


def arrow_type(dtype: pl.DataType) -> pa.DataType:
    """The Arrow type Arrow's JSON reader should check a value of this Polars dtype against."""
    if isinstance(dtype, pl.List):
        return pa.list_(arrow_type(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pa.struct([(field.name, arrow_type(field.dtype)) for field in dtype.fields])
    for polars_type, arrow in _SCALARS:
        if dtype == polars_type:
            return arrow
    raise TypeError(f"no Arrow JSON type for {dtype}")  # a programming error, not bad data


def arrow_schema(fields: dict[str, pl.DataType]) -> pa.Schema:
    return pa.schema([(name, arrow_type(dtype)) for name, dtype in fields.items()])


def python_where(
    target: pl.Series, source: pl.Series, mask: pl.Series, func: Callable[[Any], Any]
) -> pl.Series:
    """`target` with `func(source value)` written where `mask` holds, computed in Python: for the few
    values a Polars expression cannot reproduce exactly (HTML entities, regexes that look ahead)."""
    mask = mask.fill_null(False)
    positions = mask.arg_true().to_list()
    if not positions:
        return target
    replaced: list[Any] = [None] * len(target)
    for position, value in zip(positions, source.gather(positions).to_list(), strict=True):
        replaced[position] = func(value)
    fixed = pl.Series(replaced, dtype=target.dtype)
    return pl.select(pl.when(mask).then(fixed).otherwise(target).alias(target.name)).to_series()


def decoded_entities(series: pl.Series) -> pl.Series:
    """A text column (String, or lists and structs of them at any depth) with HTML entities decoded
    (`&amp;` -> `&`) by Python's `html.unescape`, run only on the values that hold one."""
    text = _all_text(pl.col(series.name), series.dtype)
    if text is None:
        return series
    has_entity = series.to_frame().select(text.str.contains(_ENTITY)).to_series()
    return python_where(series, series, has_entity, _unescaped)


# `html.unescape` changes only an `&` followed by a letter or `#`: "Home & Kitchen" needs no Python.
_ENTITY = "&[#A-Za-z]"


def _all_text(column: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """All the text of a value in one string (parts joined by a space, so that no entity is made up
    across two of them); None for a type that holds no text."""
    if dtype == pl.String:
        return column
    if isinstance(dtype, pl.List):
        inner = _all_text(pl.element(), dtype.inner)
        if inner is None:
            return None
        return (column if dtype.inner == pl.String else column.list.eval(inner)).list.join(" ")
    if isinstance(dtype, pl.Struct):
        parts = [_all_text(column.struct.field(f.name), f.dtype) for f in dtype.fields]
        texts = [part for part in parts if part is not None]
        return pl.concat_str(texts, separator=" ", ignore_nulls=True) if texts else None
    return None


def _unescaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.unescape(value)
    if isinstance(value, list):
        return [_unescaped(item) for item in value]
    if isinstance(value, dict):
        return {key: _unescaped(item) for key, item in value.items()}
    return value


def decode_entities(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """`frame` with HTML entities decoded in the named text columns."""
    return frame.with_columns(decoded_entities(frame[name]) for name in columns)


def decode_entities_lazy(frame: pl.LazyFrame, columns: Iterable[str]) -> pl.LazyFrame:
    """`decode_entities` for a lazy scan (each batch is decoded as it streams)."""
    schema = frame.collect_schema()
    return frame.with_columns(
        # value by value, so the scan can keep streaming batch by batch
        pl.col(name).map_batches(decoded_entities, return_dtype=schema[name], is_elementwise=True)
        for name in columns
    )


def key_value(raw: pl.Expr, key: str, value: str) -> tuple[pl.Expr, pl.Expr]:
    """(the raw text of a top-level key's value matching the regex `value`, whether the key occurs
    exactly once). Records are written with ", " and ": " separators; a quote inside a string is
    escaped, so `, "key": ` cannot occur there, but it can in a nested object: hence the count."""
    first, later = f'{{"{key}": ', f', "{key}": '
    at_start = raw.str.starts_with(first)
    # a literal search and an anchored match: much cheaper than one regex with a group over the line
    start = pl.when(at_start).then(len(first)).otherwise(raw.str.find(later, literal=True) + len(later))
    count = raw.str.count_matches(later, literal=True) + at_start.cast(pl.UInt32)
    return raw.str.slice(start).str.extract(f"^({value})", 1), count == 1


def top_object_text(raw: pl.Expr, key: str) -> tuple[pl.Expr, pl.Expr]:
    """(Python's `json.dumps` text of a top-level object whose values are strings or integers,
    whether the key occurs once): the object is cut from the line and re-read alone, much cheaper
    than a JSON path over the whole line. Null text where the object is not flat like that."""
    cut, once = key_value(raw, key, r"\{[^{}]*\}")
    return object_text(cut.str.json_path_match("$")), once
