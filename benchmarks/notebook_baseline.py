"""Two eCeLLM notebook steps, done their way and ours on the same files, to time one against the other.

The notebook way is written from the description of eCeLLM's `SA.ipynb` and `SR.ipynb` (not copied):

- SA: the first 200,000 lines of each review file through `json.loads` one line at a time, a pandas
  DataFrame, reviews with text, a whole-star rating and at least 10 words, then `train_test_split`
  80/10/10 (random_state 1) per category;
- SR: each ratings CSV read with pandas, then users and items with fewer than 5 interactions dropped
  again and again until none is left.

Ours runs the same steps through ecbuild: the review adapter's native reader (files read two at a
time, as `ecbuild fetch` reads them), the SA builder, the clean stage's word-count filter and the
hashed 80/10/10 split; the ratings adapter's checked Polars scan and the SR builder's k-core.
Imports happen before the clock starts, for both. Each step prints one JSON line (seconds, rows in,
rows out); the benchmark runs each in its own process so peak memory is per step.

    python benchmarks/notebook_baseline.py sa-notebook --source-dir /tmp/ecbuild-bench/inputs-0.1
    python benchmarks/notebook_baseline.py sa-ours --source-dir /tmp/ecbuild-bench/inputs-0.1
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow.compute  # noqa: F401  (Polars imports it on its first Arrow conversion: 70 ms)

from ecinstruct_builder.clean.filters import WordCount
from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.fetch import FETCH_WORKERS
from ecinstruct_builder.hashing import hash_strings
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.sources.base import InputFile
from ecinstruct_builder.split import assign_buckets, assign_sides, assign_splits
from ecinstruct_builder.tasks._kcore import core_rows, id_codes
from ecinstruct_builder.tasks.sa import SentimentAnalysis

SEED = 1  # every eCeLLM notebook uses random_state 1
REVIEW_LINES = 200_000  # SA read only the first 200,000 lines of each review file
MIN_WORDS = 10
CORE = 5
RATING_COLUMNS = ["item", "user", "rating", "timestamp"]
REVIEW_FILE = re.compile(r"(?!meta_)\w+(?<!_5)\.json\.gz")  # not the 5-core subsets: SA read the full files


def train_test_split(
    frame: pd.DataFrame, test_size: float, random_state: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """scikit-learn's `train_test_split` for a DataFrame (same permutation and sizes), so the baseline
    runs without scikit-learn installed."""
    try:
        from sklearn.model_selection import train_test_split as sklearn_split
    except ImportError:
        rows = len(frame)
        n_test = math.ceil(test_size * rows)
        order = np.random.RandomState(random_state).permutation(rows)
        return frame.iloc[order[n_test:]], frame.iloc[order[:n_test]]
    return sklearn_split(frame, test_size=test_size, random_state=random_state)


def review_files(source_dir: Path) -> list[Path]:
    folder = source_dir / "amazon2018"
    return sorted(p for p in folder.iterdir() if REVIEW_FILE.fullmatch(p.name))


def rating_files(source_dir: Path) -> list[Path]:
    return sorted((source_dir / "amazon2018").glob("*.csv"))


# --- the notebook way -----------------------------------------------------------------------------


def sa_notebook(source_dir: Path) -> dict[str, Any]:
    """Reviews -> DataFrame -> filters -> 80/10/10 per category, as SA.ipynb does it."""
    rows_in, splits = 0, {"train": 0, "validation": 0, "test": 0}
    for path in review_files(source_dir):
        records = []
        with gzip.open(path, "rb") as handle:
            for number, line in enumerate(handle):
                if number >= REVIEW_LINES:
                    break
                rows_in += 1
                try:
                    records.append(json.loads(line))
                except ValueError:  # the notebook had no guard; skipping keeps planted junk from stopping it
                    continue
        reviews = pd.DataFrame(records)
        reviews = reviews[reviews["reviewText"].notna() & reviews["overall"].notna()]
        reviews = reviews[reviews["overall"] == reviews["overall"].round()]
        reviews = reviews[reviews["reviewText"].str.split().str.len() >= MIN_WORDS]
        train, rest = train_test_split(reviews, test_size=0.2, random_state=SEED)
        validation, test = train_test_split(rest, test_size=0.5, random_state=SEED)
        for name, part in (("train", train), ("validation", validation), ("test", test)):
            splits[name] += len(part)
    return {"rows_in": rows_in, "rows_out": sum(splits.values()), "splits": splits}


def sr_notebook(source_dir: Path) -> dict[str, Any]:
    """Each ratings CSV into pandas, then iterative 5-core on users and items, as SR.ipynb does it."""
    rows_in = rows_out = 0
    for path in rating_files(source_dir):
        ratings = pd.read_csv(path, names=RATING_COLUMNS, on_bad_lines="skip", encoding_errors="replace")
        rows_in += len(ratings)
        while True:
            users = ratings["user"].map(ratings["user"].value_counts())
            items = ratings["item"].map(ratings["item"].value_counts())
            keep = (users >= CORE) & (items >= CORE)
            if keep.all():
                break
            ratings = ratings[keep]
        rows_out += len(ratings)
    return {"rows_in": rows_in, "rows_out": rows_out}


# --- ours -----------------------------------------------------------------------------------------


def sa_ours(source_dir: Path) -> dict[str, Any]:
    """The review adapter, the SA builder, the clean stage's word-count filter and the hashed split."""
    recipe = load_recipe("ecinstruct")
    adapter, builder, task = Amazon2018(), SentimentAnalysis(), recipe.tasks["SA"]
    options, quarantine = {"review_max_lines": REVIEW_LINES}, Quarantine()

    def read(path: Path) -> tuple[list[pl.DataFrame], Quarantine]:
        own = Quarantine()  # one per file, merged in file order, as `ecbuild fetch` does
        frames = adapter.read_file(InputFile(path, path.name.split(".")[0]), options, own)
        return [frame for _, frame in frames], own

    # the files FETCH_WORKERS at a time, as `ecbuild fetch` reads them
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        per_file = list(pool.map(read, review_files(source_dir)))
    for _, own in per_file:
        quarantine.merge(own)
    reviews = pl.concat(frame for frames, _ in per_file for frame in frames)
    candidates = builder.build({"amazon2018_reviews": reviews.lazy()}, task, recipe.seed).collect()
    kept = candidates.filter(WordCount({"review": MIN_WORDS}, {}).reasons(candidates).is_null())
    sided, _, _ = assign_sides(
        assign_buckets(kept, recipe.seed, builder.abbr), builder, task, recipe.seed, recipe.split
    )
    split = assign_splits(sided, recipe.split.fractions)
    counts = dict(sorted(split.group_by("split").len().iter_rows()))
    return {"rows_in": reviews.height + len(quarantine), "rows_out": split.height, "splits": counts}


def sr_ours(source_dir: Path) -> dict[str, Any]:
    """The ratings adapter's checked Polars scan, then the SR key pass's k-core (ids numbered,
    bincount rounds), per category file."""
    adapter, quarantine = Amazon2018(), Quarantine()
    rows_in = rows_out = 0
    for path in rating_files(source_dir):
        ((_, scan),) = adapter.read_file(InputFile(path, category=path.stem), {}, quarantine)
        ratings = scan.select("user", "item").collect(engine="streaming")
        rows_in += ratings.height
        users, items = id_codes(ratings["user"])[0], id_codes(ratings["item"])[0]
        rows_out += len(core_rows(users, items, CORE))
    return {"rows_in": rows_in + len(quarantine), "rows_out": rows_out}


STEPS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "sa-notebook": sa_notebook,
    "sa-ours": sa_ours,
    "sr-notebook": sr_notebook,
    "sr-ours": sr_ours,
}


def run_step(step: str, source_dir: Path) -> dict[str, Any]:
    """One step, timed from its first read to its last row (imports and start-up excluded)."""
    # numba loads its compiled hash kernels on first use (about 2 s, once per process): start-up
    hash_strings(pl.Series(["warm-up"]))
    started = time.perf_counter()
    result = STEPS[step](source_dir)
    return {"step": step, "seconds": round(time.perf_counter() - started, 3), **result}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument(
        "--source-dir", type=Path, required=True, help="upstream files, as for `ecbuild fetch`"
    )
    args = parser.parse_args()
    print(json.dumps(run_step(args.step, args.source_dir)))


if __name__ == "__main__":
    main()
