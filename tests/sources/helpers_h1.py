"""Test helpers for the Amazon 2014 / 2018 / 2023 adapters (the fetch-like driver is shared with h2)."""

from __future__ import annotations

import gzip
from pathlib import Path

from helpers_h2 import jsonl, write

from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.base import InputFile, SourceAdapter


def gz(content: bytes, layers: int = 1) -> bytes:
    """`content` gzip-compressed `layers` times (upstream has files compressed twice)."""
    for _ in range(layers):
        content = gzip.compress(content, mtime=0)
    return content


def write_jsonl_gz(path: Path, *records: dict | str | bytes, layers: int = 1) -> Path:
    """Invented records (or verbatim bad lines) as a gzipped JSON-lines file."""
    return write(path, gz(jsonl(*records), layers))


def read_one(adapter: SourceAdapter, file: InputFile, options: dict | None = None) -> list:
    """Drain `read_file` for one file (so its errors surface) and return the pieces it yielded."""
    return list(adapter.read_file(file, options or {}, Quarantine()))
