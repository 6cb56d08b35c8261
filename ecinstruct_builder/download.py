"""Resumable, checksummed downloads of upstream files (standard-library HTTP, tqdm progress bars).

Each file goes to `<target>.part` first and is renamed into place only once its size and sha256
(when known) match, so a target that exists is always whole. An interrupted `.part` is resumed with
an HTTP `Range` request. Transient failures (connection drops, timeouts, 5xx, 429) are retried with
exponential back-off; a refusal (404, 403, 410...) or an unreachable host moves on to the next mirror
at once, so a machine without network fails in seconds. Every failure is a one-line `DownloadError`.
"""

from __future__ import annotations

import errno
import http.client
import os
import re
import socket
import ssl
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tqdm import tqdm

from . import __version__
from .errors import DownloadError
from .io import sha256_file
from .sources.base import RemoteFile

CHUNK_BYTES = 1 << 20
USER_AGENT = f"ecbuild/{__version__} (Python urllib)"
# Statuses worth asking the same mirror again for; any other error status moves to the next mirror.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# OS errors meaning "this host cannot be reached at all": retrying only delays the inevitable.
UNREACHABLE_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH})
# "bytes 10-39/40" on a 206, "bytes */40" on a 416; the total may be "*" when the server does not know it.
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(?:(\d+)|\*)")


@dataclass(frozen=True)
class _Settings:
    retries: int
    backoff: float
    timeout: float
    progress: bool


class _MirrorError(Exception):
    """One failed request to one mirror; `retry` says whether asking the same URL again can help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


def target_path(dest_root: Path, remote: RemoteFile) -> Path:
    """Where `remote` lands under `dest_root`; refuses paths that would escape it."""
    relative = Path(remote.relative_path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise DownloadError(
            f"{remote.relative_path!r}: not a relative path inside the source dir; fix the adapter"
        )
    return dest_root / relative


def _part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def is_complete(target: Path, remote: RemoteFile) -> bool:
    """True when `target` holds the whole file: size and sha256 match when known.

    With neither known, a `.part` sibling means an earlier download of it was interrupted.
    """
    if not target.is_file():
        return False
    if remote.size is None and remote.sha256 is None:
        return not _part_path(target).exists()
    if remote.size is not None and target.stat().st_size != remote.size:
        return False
    return remote.sha256 is None or sha256_file(target) == remote.sha256.lower()


def manual_steps(files: list[RemoteFile], dest_root: Path) -> list[str]:
    """One message per manual step whose files are missing, naming the files and where they go."""
    missing: dict[str, list[RemoteFile]] = {}
    for remote in files:
        if remote.manual is not None and not target_path(dest_root, remote).is_file():
            step = " ".join(remote.manual.split())  # adapters may wrap long text; the error is one line
            missing.setdefault(step, []).append(remote)
    steps = []
    for step, remotes in missing.items():
        names = ", ".join(r.relative_path for r in remotes)
        steps.append(f"{names}: {step} (place the file{'s' if len(remotes) > 1 else ''} under {dest_root})")
    return steps


def download_all(
    files: list[RemoteFile],
    dest_root: Path,
    *,
    retries: int = 4,
    backoff: float = 1.0,
    connect_timeout: float = 10.0,
    progress: bool = True,
) -> list[Path]:
    """Fetch every automatic file into `dest_root` and return all targets, in the order of `files`.

    `retries` counts consecutive attempts on one mirror that bring no new bytes; `connect_timeout`
    bounds connecting and each read. Manual-only files are used when present; the missing ones are
    reported together in one `DownloadError` after every automatic download is done.
    """
    settings = _Settings(retries=retries, backoff=backoff, timeout=connect_timeout, progress=progress)
    targets = []
    for remote in files:
        target = target_path(dest_root, remote)
        if remote.manual is None and not is_complete(target, remote):
            _download(remote, target, settings)
        targets.append(target)
    missing = manual_steps(files, dest_root)
    if missing:
        numbered = "; ".join(f"[{i}] {step}" for i, step in enumerate(missing, start=1))
        raise DownloadError(
            f"{len(missing)} file(s) cannot be downloaded automatically: {numbered}; "
            "then run `ecbuild fetch` again"
        )
    return targets


def _download(remote: RemoteFile, target: Path, settings: _Settings) -> None:
    """Fetch one file from the first mirror that serves it, verify it and move it into place."""
    advice = f"check your network or place the file at {target} yourself (see --source-dir)"
    if not remote.urls:
        raise DownloadError(f"{remote.relative_path}: no download URL is known; {advice}")
    part = _part_path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create {target.parent} ({exc.strerror}); check permissions") from exc
    failures = []
    with tqdm(
        desc=remote.relative_path,
        total=remote.size,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=not settings.progress,
    ) as bar:
        for url in remote.urls:
            try:
                _fetch_with_retries(url, part, remote.size, bar, settings)
            except _MirrorError as failure:
                failures.append(str(failure))
                continue
            _verify(part, remote, url, target)
            os.replace(part, target)
            return
    raise DownloadError(f"{remote.relative_path}: {'; '.join(failures)}; {advice}")


def _fetch_with_retries(url: str, part: Path, size: int | None, bar: tqdm, settings: _Settings) -> None:
    """Fill `part` from `url`, retrying transient failures with exponential back-off.

    An attempt that grows the part file resets the count, so a long transfer over a flaky link keeps
    going as long as it makes progress; the high-water mark keeps a server that restarts from zero
    and keeps dropping from looping forever.
    """
    stalled = 0
    best = _size(part)
    while True:
        try:
            _fetch_once(url, part, size, bar, settings.timeout)
            return
        except _MirrorError as failure:
            if not failure.retry:
                raise
            grown = _size(part)
            stalled = 0 if grown > best else stalled + 1
            best = max(best, grown)
            if stalled > settings.retries:
                raise
            time.sleep(settings.backoff * 2 ** max(stalled - 1, 0))


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _fetch_once(url: str, part: Path, size: int | None, bar: tqdm, timeout: float) -> None:
    """One request: resume `part` from its current length, or start over if the server insists."""
    offset = _size(part)
    if size is not None and offset > size:
        _discard(part)  # longer than the real file: it cannot be a prefix of it
        offset = 0
    if size is not None and offset == size:
        return  # all bytes are already there; verification decides whether they are right
    request = _request(url, offset)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            start = _body_offset(response, offset, url, part)
            _restart_bar(bar, start, _expected_total(response, start, size))
            _receive(response, part, start, bar, url)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416:
            _handle_unsatisfiable(exc, offset, size, url, part)
            return
        raise _MirrorError(
            f"HTTP {exc.code} {exc.reason} from {url}", retry=exc.code in RETRY_STATUSES
        ) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise _network_failure(exc, url) from exc


def _request(url: str, offset: int) -> urllib.request.Request:
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return urllib.request.Request(url, headers=headers)
    except ValueError as exc:  # a malformed URL: no point in asking again
        raise _MirrorError(f"cannot use {url} ({exc})", retry=False) from exc


def _body_offset(response: http.client.HTTPResponse, offset: int, url: str, part: Path) -> int:
    """Where the body starts in the file: `offset` for a matching 206, 0 for a full (200) answer."""
    if response.status != 206:
        return 0  # the server ignored Range: the body is the whole file, so start over
    match = _CONTENT_RANGE.fullmatch((response.headers.get("Content-Range") or "").strip())
    if match is None or match.group(1) is None or int(match.group(1)) != offset:
        _discard(part)
        raise _MirrorError(f"{url} answered with a different byte range than asked", retry=True)
    return offset


def _expected_total(response: http.client.HTTPResponse, start: int, size: int | None) -> int | None:
    length = _content_length(response)
    return start + length if length is not None else size


def _content_length(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.strip().isdigit() else None


def _restart_bar(bar: tqdm, start: int, total: int | None) -> None:
    bar.reset(total=total)
    bar.update(start)


def _receive(response: http.client.HTTPResponse, part: Path, start: int, bar: tqdm, url: str) -> None:
    """Stream the body into `part` (appending when resuming) and check no byte went missing."""
    declared = _content_length(response)
    received = 0
    with _open_part(part, "ab" if start else "wb") as handle:
        # read1 hands over whatever has arrived; read(n) waits for n bytes and loses them all on a timeout.
        while chunk := response.read1(CHUNK_BYTES):
            _write(handle, chunk, part)
            received += len(chunk)
            bar.update(len(chunk))
    # http.client reports a body cut short as a plain end of stream, so compare with Content-Length.
    if declared is not None and received < declared:
        raise _MirrorError(
            f"connection to {url} dropped after {start + received} of {start + declared} bytes", retry=True
        )


def _open_part(part: Path, mode: str) -> IO[bytes]:
    try:
        return open(part, mode)
    except OSError as exc:
        raise DownloadError(f"cannot write {part} ({exc.strerror}); check permissions") from exc


def _write(handle: IO[bytes], chunk: bytes, part: Path) -> None:
    # A local write failure is not a network problem: stop with its own message instead of retrying.
    try:
        handle.write(chunk)
    except OSError as exc:
        raise DownloadError(f"cannot write {part} ({exc.strerror}); check free disk space") from exc


def _handle_unsatisfiable(
    exc: urllib.error.HTTPError, offset: int, size: int | None, url: str, part: Path
) -> None:
    """416 to a resume: fine if the part already holds the whole file, otherwise start over."""
    match = _CONTENT_RANGE.fullmatch((exc.headers.get("Content-Range") or "").strip())
    total = int(match.group(2)) if match and match.group(2) else size
    if total is not None and total == offset:
        return
    _discard(part)
    raise _MirrorError(f"{url} refused to resume at byte {offset} (HTTP 416)", retry=True)


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)


def _network_failure(exc: BaseException, url: str) -> _MirrorError:
    """Turn a transport error into a one-line reason, deciding whether retrying the URL can help."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    unreachable = isinstance(reason, socket.gaierror) or getattr(reason, "errno", None) in UNREACHABLE_ERRNOS
    if unreachable:
        return _MirrorError(f"cannot reach {url} ({text})", retry=False)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return _MirrorError(f"cannot verify the certificate of {url} ({text})", retry=False)
    if isinstance(reason, str):  # urllib's own refusals, e.g. an unknown URL scheme
        return _MirrorError(f"cannot use {url} ({text})", retry=False)
    if isinstance(reason, TimeoutError):
        return _MirrorError(f"timed out talking to {url}", retry=True)
    return _MirrorError(f"connection to {url} failed ({text})", retry=True)


def _verify(part: Path, remote: RemoteFile, url: str, target: Path) -> None:
    """Check size and sha256 when known; a mismatching part is deleted, never kept."""
    where = f"{remote.relative_path}: the file downloaded from {url}"
    retry = f"deleted it; run `ecbuild fetch` again or place a good copy at {target} (see --source-dir)"
    actual_size = _size(part)
    if remote.size is not None and actual_size != remote.size:
        _discard(part)
        raise DownloadError(f"{where} has {actual_size} bytes, expected {remote.size}; {retry}")
    if remote.sha256 is not None:
        actual = sha256_file(part)
        if actual != remote.sha256.lower():
            _discard(part)
            raise DownloadError(f"{where} has sha256 {actual}, expected {remote.sha256}; {retry}")
