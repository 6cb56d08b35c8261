"""SR's whole-source key pass: every user's history after the iterative k-core, as integer codes.

The core repeats "drop users and items with fewer than k interactions" until nothing changes; each
round depends on the previous one, over every rating of a category file. Done on strings (a
group-by per round) it costs minutes at full size, so the ids are coded as integers once and each
round is two `bincount`s over arrays that shrink as rows leave.

Codes come from Polars' 64-bit hash of each id, numbered in a compiled hash table. Polars' hash
may change between releases, but no output depends on its values: a second, independently seeded
hash must agree within every code, and where it does not (two ids sharing a hash) the ids are coded
from their strings instead. Codes are then renumbered in string order, so sorting by code is
sorting by id, as the string-based build did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from numba import njit

from ..hashing import mix64

SEEDS = (0x5EED, 0xC0DE)  # two independent hashes of one id: a code must agree on both


@njit(cache=True)
def _empty_table(rows: int) -> tuple[np.ndarray, np.uint64]:
    """An open-addressing table for `rows` keys (-1: free), at most half full, and its index mask."""
    size = 1
    while size < 2 * rows + 2:
        size *= 2
    return np.full(size, -1, dtype=np.int64), np.uint64(size - 1)


@njit(cache=True)
def _number(keys: np.ndarray, checks: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Codes 0..n-1 for the distinct `keys` in order of first appearance, the row where each first
    appears, and whether every key's `checks` value is the same wherever the key occurs (else two
    ids share a key). The table holds codes only: a code's key is at its first row."""
    slots, mask = _empty_table(len(keys))
    codes = np.empty(len(keys), dtype=np.int64)
    first = np.empty(len(keys), dtype=np.int64)
    n = 0
    agree = True
    for i in range(len(keys)):
        at = mix64(keys[i]) & mask
        while slots[at] >= 0 and keys[first[slots[at]]] != keys[i]:
            at = (at + np.uint64(1)) & mask
        if slots[at] < 0:
            slots[at] = n
            first[n] = i
            n += 1
        elif checks[first[slots[at]]] != checks[i]:
            agree = False
        codes[i] = slots[at]
    return codes, first[:n], agree


@njit(cache=True)
def _first_of_each(user: np.ndarray, item: np.ndarray, time: np.ndarray) -> np.ndarray:
    """True at the first row of every distinct (user, item, time): a repeated line is one interaction."""
    slot_row, mask = _empty_table(len(user))
    first = np.zeros(len(user), dtype=np.bool_)
    for i in range(len(user)):
        key = mix64(mix64(np.uint64(user[i]) ^ mix64(np.uint64(item[i]))) ^ np.uint64(time[i]))
        at = key & mask
        while True:
            row = slot_row[at]
            if row < 0:
                slot_row[at] = i
                first[i] = True
                break
            if user[row] == user[i] and item[row] == item[i] and time[row] == time[i]:
                break
            at = (at + np.uint64(1)) & mask
    return first


def id_codes(ids: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, the row where each code first appears): the distinct ids numbered in order
    of appearance."""
    codes, first_row, agree = _number(ids.hash(SEEDS[0]).to_numpy(), ids.hash(SEEDS[1]).to_numpy())
    if not agree:  # two ids share a 64-bit hash: number them from the strings themselves
        codes = (ids.rank("dense") - 1).cast(pl.Int64).to_numpy()
        first_row = np.unique(codes, return_index=True)[1]
    return codes, first_row


def in_string_order(ids: pl.Series, codes: np.ndarray, first_row: np.ndarray) -> tuple[np.ndarray, pl.Series]:
    """(per code in `codes`, its rank among them in string order; those ids sorted)."""
    present = np.unique(codes)
    found = ids.gather(first_row[present])
    order = found.arg_sort().to_numpy()
    rank = np.zeros(len(first_row), dtype=np.int64)
    rank[present[order]] = np.arange(len(present))
    return rank[codes], found.gather(order)


def core_rows(user: np.ndarray, item: np.ndarray, core: int) -> np.ndarray:
    """Positions of the interactions left by the iterative `core`-core on users and items."""
    rows = np.arange(len(user))
    users, items = user, item
    while True:
        user_count = np.bincount(users)
        item_count = np.bincount(items)
        keep = (user_count[users] >= core) & (item_count[items] >= core)
        if keep.all():
            return rows
        rows, users, items = rows[keep], users[keep], items[keep]


@dataclass(frozen=True)
class Histories:
    """Every user's first items in time order after the core, for one category file.

    `users` and `items` are the distinct ids in string order (a code is a position in them); the
    histories lie end to end in `entries` (item codes), user by user in code order, `starts` giving
    where each user's begins (one more entry than users)."""

    users: pl.Series
    items: pl.Series
    entries: np.ndarray
    starts: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)


def histories(interactions: pl.DataFrame, known: pl.Series, core: int, max_history: int) -> Histories:
    """The histories of `interactions` (`user, item, timestamp`, one category file, ids not null)
    with the `known` items (those with metadata) after the iterative core: each user's first
    `max_history` distinct interactions by time, ties by item id."""
    user, user_first = id_codes(interactions["user"])
    item, item_first = id_codes(interactions["item"])
    time = interactions["timestamp"].to_numpy()
    admitted = interactions["item"].gather(item_first).is_in(known.implode()).to_numpy()[item]
    distinct = np.flatnonzero(_first_of_each(user, item, time) & admitted)
    kept = distinct[core_rows(user[distinct], item[distinct], core)]
    # only the ids left are put in string order (sorting every id of a big file costs seconds)
    user, users = in_string_order(interactions["user"], user[kept], user_first)
    item, items = in_string_order(interactions["item"], item[kept], item_first)
    time = time[kept]
    order = np.lexsort((item, time, user))
    user, item = user[order], item[order]
    # a user's n-th interaction: its position minus where the user's run starts
    run_start = np.flatnonzero(np.r_[True, user[1:] != user[:-1]]) if len(user) else np.zeros(0, np.int64)
    counts = np.diff(np.r_[run_start, len(user)])
    position = np.arange(len(user)) - np.repeat(run_start, counts)
    head = position < max_history
    user, item = user[head], item[head]
    lengths = np.minimum(counts, max_history)
    return Histories(
        users,
        items,
        item,
        np.r_[0, np.cumsum(lengths)].astype(np.int64),
    )
