"""Building blocks shared by the synthetic source writers: seeded randomness, ids, sizes, file sinks.

Everything here is deterministic: randomness comes from `random.Random` instances seeded from a
blake2b digest of (seed, names...), never from Python's `hash()` or the global generator, so two
runs with the same seed write the same bytes.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from ..io import atomic_path
from ..sources.base import BATCH_ROWS

# Base-36 digits for ASIN-like and reviewer-like identifiers.
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASIN_SPACE = 36**8
_USER_SPACE = 36**13


def _spread_multiplier(space: int) -> int:
    """A multiplier near space / golden ratio and coprime with 36, so index -> id is a bijection
    that sends neighbouring indexes far apart (ids of one file do not share long prefixes)."""
    multiplier = space * 6_180_339_887 // 10_000_000_000
    while multiplier % 2 == 0 or multiplier % 3 == 0:
        multiplier += 1
    return multiplier


_ASIN_MULTIPLIER = _spread_multiplier(_ASIN_SPACE)
_USER_MULTIPLIER = _spread_multiplier(_USER_SPACE)
# Keeps each id namespace (a source x category) apart from the others inside one id space.
_NAMESPACE_STRIDE = 1_000_000_000


def rng_for(seed: int, *parts: object) -> random.Random:
    """A private random stream for one (seed, purpose...) key, independent of every other stream."""
    digest = hashlib.blake2b("\x1f".join(map(str, (seed, *parts))).encode(), digest_size=16).digest()
    return random.Random(int.from_bytes(digest, "big"))


def fraction_for(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) for a key: cheap membership decisions without a stream."""
    digest = hashlib.blake2b("\x1f".join(map(str, (seed, *parts))).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


# Every two-digit base-36 string, so encoding takes half as many divisions (ids are written per row).
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)


def _base36(value: int, width: int) -> str:
    """`value` in base 36, zero-padded to `width` (an even number of) digits."""
    pairs = []
    for _ in range(width // 2):
        value, pair = divmod(value, 1296)
        pairs.append(_PAIRS[pair])
    return "".join(reversed(pairs))


def asin(namespace: int, index: int, seed: int) -> str:
    """The ASIN-like id ("B0" + 8 base-36 chars) of item `index` in an id namespace; unique per pair."""
    value = (_ASIN_MULTIPLIER * (namespace * _NAMESPACE_STRIDE + index) + _id_offset(seed)) % _ASIN_SPACE
    return "B0" + _base36(value, 8)


@lru_cache(maxsize=1 << 16)  # bounded: active users recur on many ratings rows
def user_id(namespace: int, index: int, seed: int) -> str:
    """A reviewer-like id ("A" + 13 base-36 chars), unique per (namespace, index)."""
    value = (_USER_MULTIPLIER * (namespace * _NAMESPACE_STRIDE + index) + _id_offset(seed)) % _USER_SPACE
    return "A" + _base36(value, 14)[1:]  # value < 36**13, so the 14th digit is always "0"


@cache
def _id_offset(seed: int) -> int:
    # Cached: a digest per id would dominate the cost of writing ratings rows.
    return rng_for(seed, "id-offset").randrange(_ASIN_SPACE)


@dataclass(frozen=True)
class Profile:
    """How big the output is: the bundled demo sizes (`scale=None`) or the real counts times `scale`."""

    scale: float | None = None

    @property
    def is_demo(self) -> bool:
        return self.scale is None

    def count(self, real: int, demo: int, *, cap_at_real: bool = False) -> int:
        """Rows for one file or group: the demo size, or real x scale with the demo size as a floor.

        The floor keeps tiny scales able to feed every task; `cap_at_real` is for fixed-size
        benchmarks (Amazon-Google) that cannot grow beyond their real size.
        """
        if self.scale is None:
            return demo
        scaled = max(demo, round(real * self.scale))
        return min(scaled, max(real, demo)) if cap_at_real else scaled


def power_law_int(rng: random.Random, mean: float, alpha: float, cap: int) -> int:
    """A positive integer with a Pareto tail (shape `alpha`) and roughly the given mean, at most `cap`."""
    # A Pareto(alpha) variate has mean alpha / (alpha - 1); rescale so the draw has the wanted mean.
    draw = rng.paretovariate(alpha) * mean * (alpha - 1) / alpha
    return max(1, min(cap, round(draw)))


def weighted(rng: random.Random, table: Sequence[tuple[object, float]]) -> object:
    """One value from (value, weight) pairs."""
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


def dumps(record: object) -> str:
    """One JSON line as upstream wrote them (json.dumps defaults: ", " / ": " separators, ASCII escapes)."""
    return json.dumps(record)


def csv_line(fields: Sequence[object], quoting: int = csv.QUOTE_MINIMAL) -> str:
    """One CSV record (may contain quoted newlines), without the trailing newline."""
    buffer = io.StringIO()
    csv.writer(buffer, quoting=quoting, lineterminator="\n").writerow(fields)
    return buffer.getvalue()[:-1]


def lfs_pointer(content: bytes) -> bytes:
    """What a Git LFS checkout leaves in place of `content` when the file was never pulled (the ESCI
    Parquets are served that way): for tests that put a pointer where a source file should be."""
    oid = hashlib.sha256(content).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(content)}\n".encode()


def truncated(line: str) -> bytes:
    """A planted bad line: a record cut in the middle, as a broken download or copy leaves it."""
    return line[: max(1, len(line) // 2)].encode("utf-8")


def binary_junk(rng: random.Random, size: int = 48) -> bytes:
    """A planted bad line: bytes that are not text (never a newline, so it stays one line)."""
    body = bytes(rng.choice(range(14, 256)) for _ in range(size))
    return b"\x00\xff\xfe" + body


class RecordSink:
    """Writes one upstream file record by record and counts the records (planted bad lines included)."""

    def __init__(self, handle: IO[bytes], bar: tqdm) -> None:
        self._handle = handle
        self._bar = bar
        self.rows = 0

    def write(self, record: str) -> None:
        """Write one record (UTF-8) followed by a newline."""
        self.write_bytes(record.encode("utf-8"))

    def write_bytes(self, record: bytes) -> None:
        self._handle.write(record + b"\n")
        self.rows += 1
        self._bar.update(1)


@contextlib.contextmanager
def record_sink(
    out_dir: Path, relative: str, total: int | None, progress: bool, header: str | None = None
) -> Iterator[RecordSink]:
    """Open `out_dir/relative` for streaming records; gzip (no name, mtime 0) when it ends in `.gz`.

    The file appears only when the block finishes (atomic rename), so a killed run leaves no
    half-written sample behind.
    """
    target = out_dir / relative
    with atomic_path(target) as tmp, open(tmp, "wb") as raw:
        stream: IO[bytes] = raw
        if relative.endswith(".gz"):
            # filename="" and mtime=0 keep the gzip header free of anything run-dependent; level 6
            # (zlib's default) is several times faster than gzip's 9 on multi-GB outputs.
            stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        with (
            stream,
            io.BufferedWriter(stream, buffer_size=1 << 20) as buffered,  # type: ignore[arg-type]
            tqdm(total=total, desc=relative, unit=" rows", disable=not progress, leave=False) as bar,
        ):
            if header is not None:
                buffered.write(header.encode() + b"\n")
            yield RecordSink(buffered, bar)


class ParquetSink:
    """Buffers rows column-wise and writes one row group per BATCH_ROWS rows (flat memory)."""

    def __init__(self, writer: pq.ParquetWriter, schema: pa.Schema, bar: tqdm) -> None:
        self._writer = writer
        self._schema = schema
        self._bar = bar
        self._columns: dict[str, list[object]] = {name: [] for name in schema.names}
        self.rows = 0

    def add(self, row: dict[str, object]) -> None:
        for name, values in self._columns.items():
            values.append(row[name])
        self.rows += 1
        self._bar.update(1)
        if len(self._columns[self._schema.names[0]]) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self._columns[self._schema.names[0]]:
            self._writer.write_table(pa.table(self._columns, schema=self._schema))
            for values in self._columns.values():
                values.clear()


@contextlib.contextmanager
def parquet_sink(
    out_dir: Path, relative: str, schema: pa.Schema, total: int | None, progress: bool
) -> Iterator[ParquetSink]:
    """Open a Parquet file for streaming rows; written atomically, byte-identical for equal rows."""
    with (
        atomic_path(out_dir / relative) as tmp,
        pq.ParquetWriter(tmp, schema, compression="snappy") as writer,
        tqdm(total=total, desc=relative, unit=" rows", disable=not progress, leave=False) as bar,
    ):
        sink = ParquetSink(writer, schema, bar)
        yield sink
        sink.flush()
