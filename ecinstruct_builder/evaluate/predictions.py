"""Prediction files: JSONL keyed by our row ids, or files aligned row by row with the selection.

Keyed (default): one JSON object a line, ``{"id": "<row id>", "prediction": "<model text>"}``; blank
lines are skipped; other keys are ignored. Aligned (``--aligned``): either the same JSONL without
ids (``{"prediction": ...}``), or plain text with one prediction a line (every line counts, blank
ones too, so a model answer cannot contain a newline there). The mode is JSONL when the first
non-blank line is a JSON object. Gzipped files are read transparently.

A prediction that is not a string (an AVE list written as JSON, say) is scored as its JSON text;
``null`` is an empty, hence invalid, answer. Any malformed line stops the run with its line number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from ..errors import EcbuildError, SourceFileError
from ..io import iter_lines

KEYED_SCHEMA = {"line": pl.Int64, "id": pl.String, "prediction": pl.String}
_KEYED_SHAPE = 'each line must be {"id": "<row id>", "prediction": "<text>"} (or use --aligned)'
_ALIGNED_SHAPE = 'each line must be {"prediction": "<text>"}, or use plain text with one prediction a line'


def read_keyed(path: Path) -> pl.DataFrame:
    """The predictions of an id-keyed JSONL file as a frame (line, id, prediction) in file order."""
    rows: dict[str, list[object]] = {"line": [], "id": [], "prediction": []}
    for lineno, text in _lines(path):
        if not text.strip():
            continue
        record = _record(path, lineno, text, _KEYED_SHAPE)
        row_id = _field(path, lineno, record, "id", _KEYED_SHAPE)
        if isinstance(row_id, bool) or not isinstance(row_id, str | int):
            raise EcbuildError(f'{path}:{lineno}: "id" must be a string; {_KEYED_SHAPE}')
        rows["line"].append(lineno)
        rows["id"].append(str(row_id))
        rows["prediction"].append(_as_text(_field(path, lineno, record, "prediction", _KEYED_SHAPE)))
    if not rows["line"]:
        raise EcbuildError(f"{path}: the predictions file is empty; {_KEYED_SHAPE}")
    return pl.DataFrame(rows, schema=KEYED_SCHEMA)


def read_aligned(path: Path) -> list[str]:
    """The predictions of an aligned file, one per selected row, in file order."""
    lines = list(_lines(path))
    first = next((text for _, text in lines if text.strip()), None)
    if first is None:
        raise EcbuildError(f"{path}: the predictions file is empty; {_ALIGNED_SHAPE}")
    if not _is_json_object(first):
        return [text for _, text in lines]
    return [
        _as_text(_field(path, n, _record(path, n, text, _ALIGNED_SHAPE), "prediction", _ALIGNED_SHAPE))
        for n, text in lines
        if text.strip()
    ]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        raise SourceFileError(
            f"{path}: predictions file not found; pass the file your model wrote to --predictions"
        )
    for lineno, raw in iter_lines(path):
        try:
            yield lineno, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise EcbuildError(f"{path}:{lineno}: not UTF-8 text; save the predictions as UTF-8") from exc


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return False


def _record(path: Path, lineno: int, text: str, shape: str) -> dict[str, object]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EcbuildError(f"{path}:{lineno}: not JSON ({exc.msg}); {shape}") from exc
    if not isinstance(record, dict):
        raise EcbuildError(f"{path}:{lineno}: not a JSON object; {shape}")
    return record


def _field(path: Path, lineno: int, record: dict[str, object], name: str, shape: str) -> object:
    if name not in record:
        raise EcbuildError(f'{path}:{lineno}: no "{name}" field; {shape}')
    return record[name]


def _as_text(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
