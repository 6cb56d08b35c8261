import itertools

import numpy as np
import polars as pl

from ecinstruct_builder.tasks import _kcore
from ecinstruct_builder.tasks._kcore import core_rows, histories, id_codes


def string_core(frame: pl.DataFrame, core: int) -> pl.DataFrame:
    """The k-core the plain way: a group-by per round until nothing changes."""
    while True:
        kept = frame.filter((pl.len().over("user") >= core) & (pl.len().over("item") >= core))
        if kept.height == frame.height:
            return kept
        frame = kept


def random_ratings(rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    # skewed ids, so the core peels off users and items over several rounds
    users = (rng.zipf(1.6, rows) % 400).astype(str)
    items = (rng.zipf(1.4, rows) % 300).astype(str)
    return pl.DataFrame({"user": [f"U{u}" for u in users], "item": [f"I{i}" for i in items]})


def test_the_coded_core_keeps_the_rows_the_plain_core_keeps():
    for seed in range(3):
        ratings = random_ratings(5000, seed).with_row_index("row")
        expected = string_core(ratings, 5)["row"].to_numpy()
        users, items = id_codes(ratings["user"])[0], id_codes(ratings["item"])[0]
        assert 0 < len(expected) < ratings.height
        assert np.array_equal(core_rows(users, items, 5), expected)


def test_ids_sharing_a_hash_are_numbered_from_their_strings(monkeypatch):
    ids = pl.Series(["b", "a", "b", "c", "a"])
    codes, first = id_codes(ids)
    monkeypatch.setattr(
        _kcore, "_number", lambda keys, checks: (np.zeros(len(keys), np.int64), np.zeros(1, np.int64), False)
    )
    fallback, fallback_first = id_codes(ids)
    for numbered, firsts in ((codes, first), (fallback, fallback_first)):
        same = numbered[:, None] == numbered[None, :]
        assert (same == (ids.to_numpy()[:, None] == ids.to_numpy()[None, :])).all()
        assert ids.gather(firsts).n_unique() == len(firsts) == 3


def test_histories_are_the_first_items_in_time_order_after_the_core():
    # u1 and u2 rate i1..i3 (u2 twice the same line); x has metadata for nothing, so it never counts
    rows = [("u1", "i2", 5), ("u1", "i1", 5), ("u1", "i3", 1), ("u1", "x", 0)]
    rows += [("u2", "i3", 2), ("u2", "i1", 3), ("u2", "i1", 3), ("u2", "i2", 9)]
    frame = pl.DataFrame(rows, schema=["user", "item", "timestamp"], orient="row")
    known = pl.Series(["i1", "i2", "i3"])
    found = histories(frame.lazy(), known, core=2, max_history=3)
    assert found.users.to_list() == ["u1", "u2"]
    starts = found.starts.tolist()
    lines = [found.items.gather(found.entries[a:b]).to_list() for a, b in itertools.pairwise(starts)]
    # u1: i3 at time 1, then i1 and i2 tie at time 5 and go by id; u2's repeated line counts once
    assert lines == [["i3", "i1", "i2"], ["i3", "i1", "i2"]]
    shorter = histories(frame.lazy(), known, core=2, max_history=2)
    assert shorter.lengths.tolist() == [2, 2]
    assert histories(frame.lazy(), known, core=4, max_history=3).users.is_empty()
