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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
from numba import njit

from ..hashing import mix64

SEEDS = (0x5EED, 0xC0DE)  # two independent hashes of one id: a code must agree on both


@njit(cache=True, nogil=True)
def _empty_table(rows: int) -> tuple[np.ndarray, np.uint64]:
    """An open-addressing table for `rows` keys (-1: free), at most half full, and its index mask."""
    size = 1
    while size < 2 * rows + 2:
        size *= 2
    return np.full(size, -1, dtype=np.int64), np.uint64(size - 1)


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


def _codes(
    first: pl.Series, second: pl.Series, ids: Callable[[], pl.Series]
) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, the row where each code first appears) from two independent hashes of the ids;
    `ids()` gives the ids themselves, needed only when two of them share a hash."""
    codes, first_row, agree = _number(first.to_numpy(), second.to_numpy())
    if not agree:  # two ids share a 64-bit hash: number them from the strings themselves
        codes = (ids().rank("dense") - 1).cast(pl.Int64).to_numpy()
        first_row = np.unique(codes, return_index=True)[1]
    return codes, first_row


def id_codes(ids: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, the row where each code first appears): the distinct ids numbered in order
    of appearance."""
    return _codes(ids.hash(SEEDS[0]), ids.hash(SEEDS[1]), lambda: ids)


def in_string_order(
    codes: np.ndarray, size: int, ids: Callable[[np.ndarray], pl.Series]
) -> tuple[np.ndarray, pl.Series]:
    """(per code in `codes`, its rank among them in string order; those ids sorted), the codes
    being 0..size-1 and `ids(present)` the ids of the (ascending) codes present."""
    present = np.flatnonzero(np.bincount(codes, minlength=size))  # sorted, without a sort
    found = ids(present)
    order = found.arg_sort().to_numpy()
    rank = np.zeros(size, dtype=np.int64)
    rank[present[order]] = np.arange(len(present))
    return rank[codes], found.gather(order)


def ids_at(interactions: pl.LazyFrame, column: str, rows: np.ndarray) -> pl.Series:
    """The `column` values at these (distinct) row positions, in their order: one streaming read
    that keeps only those rows."""
    order = np.argsort(rows, kind="stable")
    wanted = pl.Series(rows[order], dtype=pl.Int64).implode()
    found = (
        interactions.select(column)
        .with_row_index("row")
        .filter(pl.col("row").cast(pl.Int64).is_in(wanted))
        .collect(engine="streaming")[column]
    )
    return found.gather(np.argsort(order))  # ascending row order back to the order asked for


@njit(cache=True, nogil=True)
def _csr(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, rows): the rows of each key 0..size-1 side by side, key k's at
    rows[starts[k]:starts[k + 1]]."""
    starts = np.zeros(size + 1, dtype=np.int64)
    for j in range(len(keys)):
        starts[keys[j] + 1] += 1
    for k in range(size):
        starts[k + 1] += starts[k]
    fill = starts[:-1].copy()
    rows = np.empty(len(keys), dtype=np.int64)
    for j in range(len(keys)):
        rows[fill[keys[j]]] = j
        fill[keys[j]] += 1
    return starts, rows


@njit(cache=True, nogil=True)
def _core(user: np.ndarray, item: np.ndarray, core: int) -> np.ndarray:
    """Whether each row is in the core, by peeling: a user or item whose count falls below `core`
    takes its rows out, lowering the counts of the items or users on them. Each row leaves once, so
    the cost is one pass over the rows, however many rounds the core would take. The core is the
    largest set of rows in which every user and item reaches `core`, so it is the same set."""
    n_users = user.max() + 1 if len(user) else 0
    n_items = item.max() + 1 if len(item) else 0
    by_user = _csr(user, n_users)
    by_item = _csr(item, n_items)
    count = np.concatenate((np.diff(by_user[0]), np.diff(by_item[0])))  # users, then items
    alive = np.ones(len(user), dtype=np.bool_)
    stack = [k for k in range(n_users + n_items) if count[k] < core]
    while stack:
        k = stack.pop()
        if k < n_users:
            starts, rows, other, offset = by_user[0], by_user[1], item, n_users
            at = k
        else:
            starts, rows, other, offset = by_item[0], by_item[1], user, 0
            at = k - n_users
        for j in range(starts[at], starts[at + 1]):
            row = rows[j]
            if alive[row]:
                alive[row] = False
                peer = other[row] + offset
                count[peer] -= 1
                if count[peer] == core - 1:  # just fell below: its rows go too
                    stack.append(peer)
    return alive


def core_rows(user: np.ndarray, item: np.ndarray, core: int) -> np.ndarray:
    """Positions (ascending) of the interactions left by the iterative `core`-core on users and items
    (codes 0..n-1)."""
    as_codes = (np.ascontiguousarray(codes, dtype=np.int64) for codes in (user, item))
    return np.flatnonzero(_core(*as_codes, core))


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


def histories(interactions: pl.LazyFrame, known: pl.Series, core: int, max_history: int) -> Histories:
    """The histories of `interactions` (`user, item, timestamp`, one category file, ids not null)
    with the `known` items (those with metadata) after the iterative core: each user's first
    `max_history` distinct interactions by time, ties by item id.

    The ids are read as hashes (two per id) in one streaming pass; the strings are read back only
    for the items and for the users the core leaves, so memory holds integers, not every id."""
    hashes = interactions.select(
        *(pl.col(c).hash(seed).alias(f"{c}{j}") for c in ("user", "item") for j, seed in enumerate(SEEDS)),
        "timestamp",
    ).collect(engine="streaming")

    def column(name: str) -> Callable[[], pl.Series]:
        return lambda: interactions.select(name).collect(engine="streaming")[name]

    user, user_first = _codes(hashes["user0"], hashes["user1"], column("user"))
    item, item_first = _codes(hashes["item0"], hashes["item1"], column("item"))
    time = hashes["timestamp"].to_numpy()
    del hashes
    item_ids = ids_at(interactions, "item", item_first)
    admitted = item_ids.is_in(known.implode()).to_numpy()[item]
    distinct = np.flatnonzero(_first_of_each(user, item, time) & admitted)
    kept = distinct[core_rows(user[distinct], item[distinct], core)]
    # only the ids left are put in string order (sorting every id of a big file costs seconds)
    user, users = in_string_order(
        user[kept], len(user_first), lambda codes: ids_at(interactions, "user", user_first[codes])
    )
    item, items = in_string_order(item[kept], len(item_first), item_ids.gather)
    time = time[kept]
    order = (
        pl.DataFrame({"user": user, "time": time, "item": item})
        .select(pl.arg_sort_by("user", "time", "item"))["user"]
        .to_numpy()
    )
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
