"""Test helpers for the MAVE, ESCI, AmazonQA and Amazon-Google adapters: drive an adapter like fetch does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.base import SourceAdapter


def read_all(
    adapter: SourceAdapter, folder: Path, options: dict[str, Any] | None = None
) -> tuple[dict[str, pl.DataFrame], Quarantine]:
    """discover -> read_file per file -> concatenate per table -> finalize, as the fetch runner does.

    Every piece must already be in its table's exact schema; tables with no rows come back empty.
    """
    options = options or {}
    quarantine = Quarantine()
    pieces: dict[str, list[pl.DataFrame]] = {table: [] for table in adapter.tables}
    for file in adapter.discover(folder, options):
        for table, frame in adapter.read_file(file, options, quarantine):
            collected = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
            assert collected.schema == pl.Schema(adapter.tables[table]), table
            pieces[table].append(collected)
    tables = {}
    for table, frames in pieces.items():
        lazy = pl.concat(frames).lazy() if frames else pl.LazyFrame(schema=adapter.tables[table])
        tables[table] = adapter.finalize(table, lazy).collect()
    return tables, quarantine


def quarantined(quarantine: Quarantine) -> list[tuple[str, int | None, str]]:
    """(file name, line, reason) per quarantined record, in order."""
    return [(Path(row["file"]).name, row["line"], row["reason"]) for row in quarantine.rows]


def jsonl(*records: dict[str, Any] | str | bytes) -> bytes:
    """JSON lines from dicts (serialised) or str/bytes lines (written verbatim, for crafted bad input)."""
    lines = []
    for record in records:
        if isinstance(record, dict):
            lines.append(json.dumps(record).encode())
        else:
            lines.append(record.encode() if isinstance(record, str) else record)
    return b"\n".join(lines) + b"\n"


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
