"""Helpers shared by several adapters: JSON-lines records, shape checks, batching, recipe options."""

from __future__ import annotations

import ast
import csv
import io
import itertools
import json
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import polars as pl

from ..errors import RecipeError, SourceFileError
from ..io import UTF8_BOM, iter_lines, require_content
from ..quarantine import Quarantine
from .base import BATCH_ROWS, batch_frame


class RecordError(ValueError):
    """A record that does not have the expected shape; the message is the quarantine reason."""


# JSON's own names for the Python types json.loads produces, for readable quarantine reasons.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

#: turns one parsed JSON object and its line number into a table row, or None to skip it
Record = dict[str, Any]
RowConverter = Callable[[Record, int], "Record | None"]


def _check_string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise RecordError(f"field {where}: expected string, got {type_name(value)}")
    if not value.isascii():
        # JSON may carry lone surrogates ("\ud800") that Python accepts but Arrow cannot store.
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RecordError(f"field {where}: not valid Unicode (lone surrogate)") from exc
    return value


def _check_scalar(value: Any, dtype: pl.DataType, where: str) -> Any:
    if dtype == pl.String:
        return _check_string(value, where)
    if dtype != pl.Int64:
        raise TypeError(f"conform does not handle {dtype} yet")  # a programming error, not bad data
    # bool is a subclass of int in Python, but true/false in a numeric field is a data error.
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(f"field {where}: expected integer, got {type_name(value)}")
    if not _INT64_MIN <= value <= _INT64_MAX:  # JSON integers are unbounded; Int64 is not
        raise RecordError(f"field {where}: integer {value} does not fit in 64 bits")
    return value


def conform(
    value: Any, dtype: pl.DataType, required: Collection[str], path: str = "", where: str = ""
) -> Any:
    """Check a parsed JSON value against a Polars dtype and return it in the shape Polars builds from.

    Struct fields become dict keys (absent keys -> None, unknown keys dropped). `required` names the
    dotted field paths (list indices left out, e.g. "answers.answerText") that must not be null.
    Raises RecordError whose message says which field is wrong and how.
    """
    if value is None:
        if path in required:
            raise RecordError(f"missing required field {where}")
        return None
    if isinstance(dtype, pl.List):
        if not isinstance(value, list):
            raise RecordError(f"field {where}: expected list, got {type_name(value)}")
        return [conform(item, dtype.inner, required, path, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(dtype, pl.Struct):
        if not isinstance(value, dict):
            raise RecordError(f"field {where or 'record'}: expected object, got {type_name(value)}")
        return {
            field.name: conform(
                value.get(field.name),
                field.dtype,
                required,
                f"{path}.{field.name}" if path else field.name,
                f"{where}.{field.name}" if where else field.name,
            )
            for field in dtype.fields
        }
    return _check_scalar(value, dtype, where)


_TYPE_NAMES = {
    type(None): "null",
    dict: "object",
    list: "list",
    tuple: "list",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
}


def type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except SyntaxError as exc:
        raise RecordError(f"neither JSON nor a Python literal: {exc.msg}") from None
    except (ValueError, TypeError):
        # Python's message embeds an AST node's memory address; a fixed reason keeps runs identical.
        raise RecordError("neither JSON nor a Python literal: contains a non-literal expression") from None
    except (MemoryError, RecursionError):
        raise RecordError("neither JSON nor a Python literal: nested too deeply") from None


def parse_object(raw: bytes, *, loose: bool = False) -> Record:
    """One line as a dict: strict JSON, or (`loose`) JSON falling back to a Python literal."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordError("not valid UTF-8") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise RecordError("invalid JSON: nested too deeply") from None
    except ValueError as exc:
        if not loose:
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            raise RecordError(f"invalid JSON: {message}") from None
        value = _literal(text)
    if not isinstance(value, dict):
        raise RecordError(f"expected a JSON object, got {type_name(value)}")
    return value


def record_rows(
    path: Path,
    source: str,
    quarantine: Quarantine,
    convert: RowConverter,
    *,
    loose: bool = False,
    max_lines: int | None = None,
) -> Iterator[Record]:
    """Stream a (possibly gzipped) one-object-per-line file as table rows.

    `convert(record, line)` makes the row or raises RecordError, whose message goes to the quarantine
    with the line. `loose` accepts Python literals; `max_lines` reads only the first lines of the file
    (counted whether good or bad). Blank lines hold no record and are skipped.
    """
    require_content(path)
    for lineno, raw in itertools.islice(iter_lines(path), max_lines):
        row = record_row(path, source, quarantine, convert, lineno, raw, loose=loose)
        if row is not None:
            yield row


def record_row(
    path: Path,
    source: str,
    quarantine: Quarantine,
    convert: RowConverter,
    lineno: int,
    raw: bytes,
    *,
    loose: bool = False,
) -> Record | None:
    """One line as a table row (see `record_rows`); None when blank or quarantined."""
    if not raw.strip():
        return None
    try:
        return convert(parse_object(raw, loose=loose), lineno)
    except RecordError as exc:
        quarantine.add(source=source, file=str(path), line=lineno, raw=raw, reason=str(exc))
        return None


def csv_rows(
    handle: IO[bytes],
    file: str,
    header: tuple[str, ...],
    source: str,
    quarantine: Quarantine,
    *,
    multiline: bool = True,
) -> Iterator[tuple[int, str, list[str]]]:
    """Stream a quoted CSV as (starting line, raw text, fields), one per data record.

    The bytes are decoded by evidence (`decode_text`; the encoding is noted in the quarantine's log
    for the manifest), never with replacement characters. The first record must equal `header`
    (SourceFileError otherwise), and at least one record must follow it. Records whose field count
    differs from the header's, or that the csv module rejects, go to the quarantine; a record that
    runs over several lines and is wrong (an unclosed quote) costs only its first line. Without
    `multiline` (files whose fields never hold a line break) every record spanning lines is wrong.
    """
    text, encoding = decode_text(handle.read())
    quarantine.note_encoding(file, encoding)
    records = _csv_records(text, len(header), multiline)
    first = next(records, None)
    _check_header(file, first[2] if first else None, header)
    empty = True
    for line, raw, fields, error in records:
        if fields == []:  # a blank line
            continue
        empty = False
        if fields is not None and len(fields) != len(header):
            error = f"expected {len(header)} CSV fields, got {len(fields)}"
        elif "\x00" in raw:  # text holds no NUL: this is binary or UTF-16 data
            error = "NUL byte in the record (binary or UTF-16 data)"
        if error is not None:
            quarantine.add(source=source, file=file, line=line, raw=raw, reason=error)
            continue
        yield line, raw, fields
    if empty:
        raise SourceFileError(f"{file}: has a header but no records; re-download the original file")


# Tried in order on text that is not UTF-8: cp1252 is what Latin-1 files from Windows tools really
# are (0x80-0x9f are printable there); Latin-1 decodes any byte, for the five cp1252 leaves undefined.
_FALLBACK_ENCODINGS = ("cp1252", "latin-1")


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name) of a whole file decoded by evidence, never creating U+FFFD.

    Valid UTF-8 (a byte-order mark removed) is UTF-8. Otherwise each line is UTF-8 where it is valid
    and cp1252 (else Latin-1) where it is not, so a file that mixes the two keeps both right; the name
    lists what the non-ASCII lines needed, e.g. "cp1252" or "utf-8+cp1252".
    """
    try:
        return data.removeprefix(UTF8_BOM).decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    used: dict[str, None] = {}
    lines = []
    for raw in data.removeprefix(UTF8_BOM).split(b"\n"):
        text, encoding = _decode_line(raw)
        if not raw.isascii():
            used[encoding] = None
        lines.append(text)
    return "\n".join(lines), "+".join(sorted(used, key=("utf-8", *_FALLBACK_ENCODINGS).index))


def _decode_line(raw: bytes) -> tuple[str, str]:
    for encoding in ("utf-8", *_FALLBACK_ENCODINGS):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("Latin-1 decodes every byte")  # pragma: no cover


def _csv_records(
    text: str, width: int, multiline: bool
) -> Iterator[tuple[int, str, list[str] | None, str | None]]:
    """(starting line, raw text, fields or None, csv error or None) per CSV record.

    Line numbers count physical lines, so a quoted field with embedded newlines spans several. A
    record spanning several lines that was opened by a stray quote (`_unclosed`) is reported by its
    first line only, and reading starts again on the next line, so the records it swallowed are kept.
    """
    lines = io.StringIO(text, newline="").readlines()
    start = 0
    while start < len(lines):
        for record in _records_from(lines, start):
            first, used, fields, error = record
            if used > 1 and (not multiline or _unclosed(lines, first, used, fields, error, width)):
                yield first + 1, lines[first].rstrip("\r\n"), None, "malformed CSV: unclosed quote"
                start = first + 1
                break
            yield first + 1, "".join(lines[first : first + used]).rstrip("\r\n"), fields, error
        else:
            return


def _unclosed(
    lines: list[str], first: int, used: int, fields: list[str] | None, error: str | None, width: int
) -> bool:
    """Whether a record over several lines is a stray quote's doing: the csv module rejects it, it has
    not `width` fields, or it runs to the end of the file without its quote ever closing."""
    if error is not None or len(fields or ()) != width:
        return True
    if first + used < len(lines):
        return False
    try:  # at the end of the file: in strict mode the csv module says whether a quote is still open
        list(csv.reader(lines[first:], strict=True))
    except csv.Error:
        return True
    return False


def _records_from(lines: list[str], start: int) -> Iterator[tuple[int, int, list[str] | None, str | None]]:
    """(first line index, lines used, fields or None, error or None) per record from `start` on."""
    position = start

    def feed() -> Iterator[str]:
        nonlocal position
        while position < len(lines):
            position += 1
            yield lines[position - 1]

    reader = csv.reader(feed())
    first = start
    while True:
        try:
            fields, error = next(reader), None
        except StopIteration:
            return
        except csv.Error as exc:
            fields, error = None, f"malformed CSV: {exc}"
        yield first, position - first, fields, error
        first = position


def _check_header(file: str, fields: list[str] | None, header: tuple[str, ...]) -> None:
    found = tuple(field.strip() for field in fields or [])
    if found and found[0].startswith("\ufeff"):  # a byte-order mark written by spreadsheet tools
        found = (found[0][1:], *found[1:])
    if found != header:
        raise SourceFileError(
            f"{file}: expected CSV header {','.join(header)}, found {','.join(found) or 'nothing'}; "
            "is this the original upstream file?"
        )


def batched(
    table: str, rows: Iterable[dict[str, Any]], schema: dict[str, pl.DataType]
) -> Iterator[tuple[str, pl.DataFrame]]:
    """Group row dicts into `(table, DataFrame)` batches of at most BATCH_ROWS rows."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            yield table, batch_frame(batch, schema)
            batch = []
    if batch:
        yield table, batch_frame(batch, schema)


def string_list_option(
    options: dict[str, Any], key: str, source: str, default: Iterable[str] = ()
) -> tuple[str, ...]:
    """A recipe option that must be a list of strings (e.g. `categories`); RecipeError otherwise."""
    value = options.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RecipeError(f"recipe: sources.{source}.{key} must be a list of strings, got {value!r}")
    return tuple(value)
