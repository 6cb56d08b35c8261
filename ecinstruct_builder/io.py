"""File helpers shared by every stage: compressed line reading and atomic writes."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from isal import igzip

from .errors import SourceFileError

GZIP_MAGIC = b"\x1f\x8b"


def require_readable(path: Path) -> None:
    if not path.is_file():
        raise SourceFileError(f"{path}: file not found; check --source-dir or run `ecbuild fetch` again")
    if not os.access(path, os.R_OK):
        raise SourceFileError(f"{path}: file is not readable; fix its permissions")


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, transparently un-gzipping once or twice.

    Some upstream files (All_Amazon_Meta.json.gz) are gzip-compressed twice, so after one layer
    the magic bytes are checked again.
    """
    require_readable(path)
    raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - returned to the caller
    try:
        for _ in range(2):
            peek = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
            if peek != GZIP_MAGIC:
                break
            # ISA-L's gzip reader: same format, checks and errors as the standard library's, ~3x faster
            raw = io.BufferedReader(igzip.GzipFile(fileobj=raw, mode="rb"))  # type: ignore[arg-type]
    except OSError as exc:
        raw.close()
        raise SourceFileError(f"{path}: cannot read ({exc}); re-download the file") from exc
    return raw


def iter_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """Yield (1-based line number, raw line without the newline) for a possibly gzipped file.

    A truncated gzip stream ends the iteration with a SourceFileError naming the file and the
    last good line, so the caller can report it instead of crashing.
    """
    with open_binary(path) as handle:
        lineno = 0
        try:
            for lineno, line in enumerate(handle, start=1):
                yield lineno, line.rstrip(b"\r\n")
        except (EOFError, OSError, gzip.BadGzipFile) as exc:
            raise SourceFileError(
                f"{path}: compressed stream broken after line {lineno} ({exc}); re-download the file"
            ) from exc


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to `target`; rename it over `target` only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates 0600 files; give the result the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(target: Path, payload: Any) -> None:
    """Write JSON atomically, with sorted keys so equal payloads give equal bytes."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
