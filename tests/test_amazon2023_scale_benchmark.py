"""The scale-plan benchmark's pieces: 2023-shaped files the adapter reads whole, and the 5-core."""

import random
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
from benchmark_modules import load

scale = load("amazon2023_scale")


def test_every_written_line_is_read_as_a_row(tmp_path: Path) -> None:
    files = scale.write_inputs(tmp_path, reviews=37, meta=11, seed=3)
    for path, category, size in files:
        lines = path.read_bytes().splitlines()
        assert size == path.stat().st_size
        result = scale.read_one(path, category)
        assert result["quarantined"] == 0
        assert result["rows"] == len(lines) == (11 if path.name.startswith("meta_") else 37)
        table = pl.read_parquet(path.with_suffix(".parquet"))
        assert table.height == len(lines)
        assert set(table["category"]) == {category}


def _five_core_by_sets(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The same rule the slow way: drop pairs of any user or item under K until none is."""
    while True:
        users, items = Counter(u for u, _ in pairs), Counter(i for _, i in pairs)
        kept = [(u, i) for u, i in pairs if users[u] >= scale.K and items[i] >= scale.K]
        if len(kept) == len(pairs):
            return kept
        pairs = kept


def test_five_core_matches_the_rule_applied_pair_by_pair() -> None:
    rng = random.Random(5)
    dense = [(rng.randrange(30), rng.randrange(20)) for _ in range(600)]
    sparse = [(rng.randrange(30, 230), rng.randrange(160)) for _ in range(300)]  # mostly under K
    pairs = dense + sparse
    rng.shuffle(pairs)
    users, items, rounds = scale.five_core(
        np.array([u for u, _ in pairs], dtype=np.int32), np.array([i for _, i in pairs], dtype=np.int32)
    )
    expected = _five_core_by_sets(pairs)
    assert list(zip(users.tolist(), items.tolist(), strict=True)) == expected
    assert 0 < len(expected) < len(pairs)  # the input needs pruning, and something survives
    assert rounds[0][0] == len(pairs)
    assert rounds[-1][0] == len(expected)
