"""How many (query, product) rows MPC and PSI share in a build, against two independent draws.

The ECInstruct notebook drew MPC's and PSI's samples from one pool of English ESCI rows with two
different random states. Two independent draws of n1 and n2 rows from a pool of M share
n1 x n2 / M rows on average (hypergeometric), with the standard deviation below. The pool of a split
is the rows available to it times the share of offered rows that passed the language filter (both
tasks judge the same rows the same way, so their English pool is the same set).

    python benchmarks/faithful_overlap.py WORKDIR     # a workdir rendered with ecinstruct-faithful
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import polars as pl

TASKS = {"MPC": "Multiclass_Product_Classification", "PSI": "Product_Substitute_Identification"}
SPLITS = ("train", "validation", "test")


def hypergeometric_sd(pool: float, drawn: int, marked: int) -> float:
    """Standard deviation of the overlap of a draw of `drawn` with a fixed set of `marked`."""
    if pool <= 1:
        return 0.0
    p = marked / pool
    return math.sqrt(drawn * p * (1 - p) * (pool - drawn) / (pool - 1))


def main(workdir: Path) -> None:
    report = json.loads((workdir / "reports" / "build.json").read_text())
    ids, available, kept, offered = {}, {}, {}, {}
    for abbr, name in TASKS.items():
        rows = pl.read_parquet(workdir / "dataset" / f"{name}.parquet").filter(
            pl.col("setting") == "IND_Diverse_Instruction"
        )
        rejects = pl.read_parquet(workdir / "rejects" / f"{name}.parquet").filter(
            pl.col("reason").str.starts_with("language:")
        )
        for quota in report["tasks"][abbr]["split"]["quotas"]:
            split = quota["split"]
            ids[abbr, split] = set(
                rows.filter(pl.col("split") == split)["source_ids"].list.join(",").to_list()
            )
            available[split] = quota["available"]
            dropped = rejects.filter(pl.col("split") == split).height
            kept[split] = kept.get(split, 0) + quota["selected"]
            offered[split] = offered.get(split, 0) + quota["selected"] + dropped
    print("| split | MPC rows | PSI rows | English pool (est.) | shared | expected | sd | z |")
    print("|---|---|---|---|---|---|---|---|")
    for split in SPLITS:
        first, second = ids["MPC", split], ids["PSI", split]
        pool = available[split] * kept[split] / offered[split]
        expected = len(first) * len(second) / pool
        sd = hypergeometric_sd(pool, len(first), len(second))
        shared = len(first & second)
        z = (shared - expected) / sd if sd else float("nan")
        print(
            f"| {split} | {len(first):,} | {len(second):,} | {pool:,.0f} | {shared:,} | "
            f"{expected:,.1f} | {sd:.1f} | {z:+.2f} |"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
