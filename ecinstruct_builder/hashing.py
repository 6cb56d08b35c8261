"""Stable 64-bit hashes of strings, the same on every platform and library version.

Ids, split buckets and every seeded choice come from these, never from Python's `hash()` or Polars'
`hash()` (whose values may change between releases). The loops are compiled with numba, so hashing
millions of keys costs well under a second.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute
from numba import njit

SEPARATOR = "\x1f"  # joins the parts of a key; never inside our own ids
FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


@njit(cache=True, nogil=True)
def mix64(z: np.uint64) -> np.uint64:
    """splitmix64's finaliser: spreads every input bit over the whole output."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def _hash_spans(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """FNV-1a over each byte span data[starts[i]:starts[i+1]], then mixed."""
    out = np.empty(len(starts) - 1, dtype=np.uint64)
    for i in range(len(out)):
        h = FNV_OFFSET
        for j in range(starts[i], starts[i + 1]):
            h = (h ^ np.uint64(data[j])) * FNV_PRIME
        out[i] = mix64(h)
    return out


@njit(cache=True, nogil=True)
def _hex(values: np.ndarray, digits: np.ndarray) -> np.ndarray:
    out = np.empty(len(values) * 16, dtype=np.uint8)
    for i in range(len(values)):
        v = values[i]
        for k in range(15, -1, -1):
            out[i * 16 + k] = digits[v & np.uint64(15)]
            v = v >> np.uint64(4)
    return out


def string_buffers(values: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of all strings (nulls as empty) and the offsets of each, without copying
    them into Python objects: read straight from the Arrow buffers."""
    array = values.cast(pl.String).fill_null("").rechunk().to_arrow()
    array = pa.compute.cast(array, pa.large_string()) if array.type != pa.large_string() else array
    _, offsets, data = array.buffers()
    starts = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    return np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8), starts


def hash_strings(values: pl.Series) -> np.ndarray:
    """The stable hash of every string of a Series (nulls hash as the empty string)."""
    return _hash_spans(*string_buffers(values))


def to_hex(values: np.ndarray) -> pl.Series:
    """uint64 values as 16-character lowercase hex strings."""
    return pl.Series(_hex(values, HEX).view("S16")).cast(pl.String)


def key_expr(*parts: str | pl.Expr) -> pl.Expr:
    """The parts (column names or expressions) joined with the separator, nulls as empty strings."""
    exprs = [pl.col(p) if isinstance(p, str) else p for p in parts]
    return pl.concat_str([e.cast(pl.String).fill_null("") for e in exprs], separator=SEPARATOR)


def stable_hex(*parts: object) -> str:
    """The hex hash of one key made of `parts` (the scalar twin of `hex_expr`)."""
    return to_hex(hash_strings(pl.Series([SEPARATOR.join(map(str, parts))])))[0]


def hex_expr(*parts: str | pl.Expr) -> pl.Expr:
    """Row by row, the hex hash of the key made of `parts` (vectorised)."""
    return key_expr(*parts).map_batches(lambda s: to_hex(hash_strings(s)), return_dtype=pl.String)


def fraction(*parts: object) -> float:
    """A number in [0, 1) from the key made of `parts`."""
    return int(stable_hex(*parts), 16) / 2**64


def fraction_expr(*parts: str | pl.Expr) -> pl.Expr:
    """Row by row, `fraction` of the key made of `parts` (vectorised)."""
    return key_expr(*parts).map_batches(
        lambda s: pl.Series(hash_strings(s) / np.float64(2**64), dtype=pl.Float64), return_dtype=pl.Float64
    )
