"""File helpers shared by every stage: compressed line reading and atomic writes."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from isal import igzip, isal_zlib

from .errors import SourceFileError

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
# What a Git LFS checkout leaves in place of a file whose content was never pulled.
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_PEEK_BYTES = 1 << 16
# What a damaged compressed stream raises while it is read (ISA-L's error is not an OSError).
STREAM_ERRORS = (EOFError, OSError, zlib.error, isal_zlib.IsalError)


def require_readable(path: Path) -> None:
    """SourceFileError unless `path` is a readable regular file (and not a Git LFS pointer)."""
    if path.is_symlink() and not path.exists():
        raise SourceFileError(f"{path}: dangling symbolic link; point it at the real file")
    if path.is_dir():
        raise SourceFileError(f"{path}: is a folder, expected a file; put the upstream file there")
    if not path.exists():
        raise SourceFileError(f"{path}: file not found; check --source-dir or run `ecbuild fetch` again")
    if not path.is_file():
        raise SourceFileError(f"{path}: not a regular file (a FIFO or device?); copy the real file there")
    if not os.access(path, os.R_OK):
        raise SourceFileError(f"{path}: file is not readable; fix its permissions")
    with open(path, "rb") as handle:
        head = handle.read(len(LFS_POINTER))
    if head == LFS_POINTER:
        raise SourceFileError(
            f"{path}: is a Git LFS pointer, not the data; run `git lfs pull` in the clone it came from, "
            "or download the file itself from the source's homepage"
        )


def require_content(path: Path) -> None:
    """`require_readable`, and SourceFileError when the (decompressed) file is empty or blank: an
    upstream source file always holds records, so an empty one is a broken download or copy."""
    require_readable(path)
    if not _has_content(path):
        raise SourceFileError(f"{path}: holds no records (empty, blank or an empty gzip); re-download it")


def _has_content(path: Path) -> bool:
    """Whether the (decompressed) file holds anything but whitespace; read only as far as needed.

    A stream that cannot be decompressed counts as content: the reader reports it with its line.
    """
    try:
        with open_binary(path, checked=False) as handle:
            for block in iter(lambda: handle.read(_PEEK_BYTES), b""):
                if block.strip() and block.strip() != UTF8_BOM:
                    return True
    except (*STREAM_ERRORS, SourceFileError):
        return True
    return False


def open_binary(path: Path, *, checked: bool = True) -> IO[bytes]:
    """Open a file for reading bytes, transparently un-gzipping once or twice.

    Some upstream files (All_Amazon_Meta.json.gz) are gzip-compressed twice, so after one layer
    the magic bytes are checked again. `checked` runs `require_readable` first.
    """
    if checked:
        require_readable(path)
    raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - returned to the caller
    try:
        for _ in range(2):
            peek = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
            if peek != GZIP_MAGIC:
                break
            # ISA-L's gzip reader: same format, checks and errors as the standard library's, ~3x faster
            raw = io.BufferedReader(igzip.GzipFile(fileobj=raw, mode="rb"))  # type: ignore[arg-type]
    except STREAM_ERRORS as exc:
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
                if lineno == 1:
                    line = line.removeprefix(UTF8_BOM)  # a byte-order mark is not part of the record
                yield lineno, line.rstrip(b"\r\n")
        except STREAM_ERRORS as exc:
            raise broken_stream(path, exc) from exc


def broken_stream(path: Path, exc: BaseException) -> SourceFileError:
    """The error for a compressed file that breaks while read: it names the last complete line."""
    return SourceFileError(
        f"{path}: compressed stream broken after line {_complete_lines(path)} "
        f"({exc or type(exc).__name__}); re-download the file"
    )


def _complete_lines(path: Path) -> int:
    """How many whole lines a damaged file yields before it breaks (read again, line by line)."""
    count = 0
    try:
        with open_binary(path, checked=False) as handle:
            for line in handle:
                count += line.endswith(b"\n")
    except STREAM_ERRORS:
        pass
    return count


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
