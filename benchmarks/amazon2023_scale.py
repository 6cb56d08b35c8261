"""Per-worker throughputs for the scale plan (docs/scale.md): the Amazon 2023 readers and a 5-core round.

    python benchmarks/amazon2023_scale.py --scratch /tmp/a23   # 2 x 150,000 reviews, 2 x 40,000 items
    python benchmarks/amazon2023_scale.py --scratch /tmp/a23 --reviews 20000 --meta 5000 --pairs 2000000

1. Writes two review files and two metadata files shaped like the 2023 release
   (`amazon2023/{Cat}.jsonl`, `amazon2023/meta_{Cat}.jsonl`), record by record with the synthetic
   generator's own functions (distinct texts, items and users), and prints the bytes per record.
2. Reads the four files with `Amazon2023.read_file` and writes each file's table as Parquet (the
   work dir's default compression), in a pool of 1 and then 2 fresh worker processes; prints per
   file the rows, CPU seconds, rows per CPU second, in-memory (Arrow) and Parquet bytes per row and
   the worker's peak RSS, and per pool the wall time (from when every worker has imported ecbuild).
3. Times the rounds of a 5-core over `--pairs` random integer-coded (user, item) pairs with numpy
   (each round: two counts, one mask, one compress), the shape the plan gives the whole-source
   5-core; prints pairs per second per round and the memory of the two id columns.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import polars as pl

from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.amazon2023 import Amazon2023
from ecinstruct_builder.sources.base import InputFile
from ecinstruct_builder.synthetic import amazon2023 as generator
from ecinstruct_builder.synthetic.common import dumps

CATEGORIES = generator.CATEGORIES
K = 5  # the core SR keeps: every user and item with at least K interactions


def write_inputs(folder: Path, reviews: int, meta: int, seed: int) -> list[tuple[Path, str, int]]:
    """Two review and two metadata files per the 2023 layout; returns (path, category, bytes)."""
    target = folder / "amazon2023"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for category in CATEGORIES:
        for name, count in ((f"meta_{category}.jsonl", meta), (f"{category}.jsonl", reviews)):
            rng = random.Random(f"{seed}/{name}")
            path = target / name
            with path.open("w", encoding="utf-8") as out:
                for index in range(count):
                    if name.startswith("meta_"):
                        record = generator.meta_record(rng, category, index, seed)
                    else:
                        record = generator.review_record(rng, category, seed)
                    out.write(dumps(record) + "\n")
            written.append((path, category, path.stat().st_size))
    return written


def read_one(path: Path, category: str) -> dict[str, float]:
    """One file through the adapter and into Parquet, in this (worker) process."""
    started_cpu, started = time.process_time(), time.perf_counter()
    quarantine = Quarantine()
    frames = [frame for _, frame in Amazon2023().read_file(InputFile(path, category), {}, quarantine)]
    table = pl.concat([f.collect() if isinstance(f, pl.LazyFrame) else f for f in frames])
    parquet = path.with_suffix(".parquet")
    table.write_parquet(parquet)
    read_cpu, key_cpu = time.process_time() - started_cpu, 0.0
    if "user_id" in table.columns:  # the 5-core's key pass: both ids hashed to 64 bits, and the time
        key_started = time.process_time()
        pl.scan_parquet(parquet).select(
            pl.col("user_id").hash(1), pl.col("parent_asin").hash(1), "timestamp"
        ).collect()
        key_cpu = time.process_time() - key_started
    return {
        "rows": table.height,
        "quarantined": len(quarantine),
        "cpu": read_cpu,
        "key_cpu": key_cpu,
        "wall": time.perf_counter() - started,
        "parquet_bytes": parquet.stat().st_size,
        "arrow_bytes": table.estimated_size(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _import_adapter(_: int) -> str:
    """Runs once per worker before the clock starts: the imports are not the readers' cost."""
    return Amazon2023.name


def read_with_pool(files: list[tuple[Path, str, int]], workers: int) -> None:
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_import_adapter, range(workers)))
        started = time.perf_counter()
        results = list(pool.map(read_one, [p for p, _, _ in files], [c for _, c, _ in files]))
    wall = time.perf_counter() - started
    rows = sum(r["rows"] for r in results)
    print(f"\n{workers} worker(s): {wall:.1f} s wall for {rows:,} rows ({rows / wall:,.0f} rows/s)")
    print(
        "| file | rows | quarantined | CPU s | rows per CPU s | Arrow bytes/row | Parquet bytes/row "
        "| key pass rows per CPU s | worker peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (path, _, _), r in zip(files, results, strict=True):
        rows, key_rate = r["rows"], f"{r['rows'] / r['key_cpu']:,.0f}" if r["key_cpu"] else "-"
        print(
            f"| {path.name} | {rows:,} | {r['quarantined']} | {r['cpu']:.1f} | {rows / r['cpu']:,.0f} | "
            f"{r['arrow_bytes'] / rows:.0f} | {r['parquet_bytes'] / rows:.0f} | {key_rate} | "
            f"{r['peak_rss_mb']:,.0f} |"
        )


def five_core(users: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[int, float]]]:
    """The pairs left when every user and item keeps at least K, and (pairs in, seconds) per round."""
    rounds = []
    while True:
        started = time.perf_counter()
        keep = (np.bincount(users)[users] >= K) & (np.bincount(items)[items] >= K)
        rounds.append((users.size, time.perf_counter() - started))
        if keep.all():
            return users, items, rounds
        users, items = users[keep], items[keep]


def kcore_rounds(pairs: int, seed: int) -> None:
    """Time the rounds over random Zipf-drawn integer-coded pairs."""
    rng = np.random.default_rng(seed)
    users = (rng.zipf(1.6, pairs) % (pairs // 10)).astype(np.int32)
    items = (rng.zipf(1.4, pairs) % (pairs // 12)).astype(np.int32)
    print(f"\n5-core over {pairs:,} pairs ({(users.nbytes + items.nbytes) / 1e6:,.0f} MB of int32 ids)")
    print("| round | pairs in | seconds | pairs/s |")
    print("|---|---|---|---|")
    for round_number, (pairs_in, seconds) in enumerate(five_core(users, items)[2], start=1):
        print(f"| {round_number} | {pairs_in:,} | {seconds:.2f} | {pairs_in / seconds:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, required=True, help="folder for the generated files")
    parser.add_argument("--reviews", type=int, default=150_000, help="review lines per file")
    parser.add_argument("--meta", type=int, default=40_000, help="metadata lines per file")
    parser.add_argument("--pairs", type=int, default=20_000_000, help="(user, item) pairs of the 5-core")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    files = write_inputs(args.scratch, args.reviews, args.meta, args.seed)
    print(f"written in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f}")
    print("| file | lines | bytes | bytes/record |")
    print("|---|---|---|---|")
    for path, _, size in files:
        lines = args.meta if path.name.startswith("meta_") else args.reviews
        print(f"| {path.name} | {lines:,} | {size:,} | {size / lines:,.0f} |")
    files.sort(key=lambda file: -file[2])  # the largest first, as fetch orders its pool
    for workers in (1, 2):
        print(f"\nload average before: {os.getloadavg()[0]:.1f}")
        read_with_pool(files, workers)
    kcore_rounds(args.pairs, args.seed)
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
