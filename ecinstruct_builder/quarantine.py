"""The quarantine: every input record we could not read, with where it came from and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from .io import atomic_path

# Raw text is kept for inspection but capped so one enormous junk line cannot blow up memory.
MAX_RAW_CHARS = 2000

QUARANTINE_SCHEMA = {
    "source": pl.String,
    "file": pl.String,
    "line": pl.Int64,
    "raw": pl.String,
    "reason": pl.String,
}


@dataclass
class Quarantine:
    """Collects bad records during a fetch; written to WORKDIR/sources/quarantine.parquet."""

    rows: list[dict[str, object]] = field(default_factory=list)
    per_file: Counter[str] = field(default_factory=Counter)
    #: how each text file (or archive member) that needed a choice was decoded, for the manifest
    encodings: dict[str, str] = field(default_factory=dict)

    def note_encoding(self, file: str, encoding: str) -> None:
        self.encodings[file] = encoding

    def encodings_of(self, path: str) -> dict[str, str]:
        """The encodings noted for a file, or for the members of an archive at that path, by base name."""
        return {
            name.rpartition("/")[2]: encoding
            for name, encoding in self.encodings.items()
            if name == path or name.startswith(f"{path}/")
        }

    def add(self, source: str, file: str, line: int | None, raw: bytes | str, reason: str) -> None:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="backslashreplace")  # undecodable bytes shown as \xNN
        self.rows.append(
            {"source": source, "file": file, "line": line, "raw": raw[:MAX_RAW_CHARS], "reason": reason}
        )
        self.per_file[file] += 1

    def merge(self, other: Quarantine) -> None:
        """Append what another quarantine collected (one file's, read in a thread of its own)."""
        self.rows += other.rows
        self.per_file.update(other.per_file)
        self.encodings.update(other.encodings)

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=QUARANTINE_SCHEMA, orient="row")

    def write(self, target: Path) -> None:
        with atomic_path(target) as tmp:
            self.frame().write_parquet(tmp)
