"""Engine benchmark: `fetch` and `render` on the local engine and on Ray, same inputs, same run.

For each engine it runs `ecbuild fetch --source-dir DIR` and `ecbuild render --task all` (each in a
fresh process, with `-v` so each unit's placement is logged) into a work dir of its own, and reports
per command the wall time and the peak resident memory of the whole process tree: a Ray run's
work happens in worker processes (children of the raylet the command starts), so the command's
own peak would leave it out. The tree is sampled every 0.2 s, summing each process's RSS (memory
shared between processes, such as Ray's object store, is counted once per process that maps it).
Every output of the first engine's work dir is then compared with every other's
(`workdir.differing_outputs`: Parquet byte for byte, JSON without the run-specific keys, the
Markdown report up to its stage timings). Finally it lists, per command of each Ray run, the units
per Ray node, read from the fetch manifest and the `-v` lines.

    python benchmarks/engines.py --source-dir /work/scale-src-0.1 --scratch /tmp/engines
    python benchmarks/engines.py --source-dir SRC --scratch /tmp/engines --engines ray \\
        --ray-address 127.0.0.1:6380     # a cluster started with `ray start`
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pipeline import machine

from ecinstruct_builder.workdir import differing_outputs

PLACED = re.compile(r"INFO: (?:read|selected) (\S+) on (\S+) node (\S+) pid (\d+)")
SAMPLE_S = 0.2


def tree_rss_kb(root: int) -> int:
    """Resident memory (KiB) of `root` and every process descending from it."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:  # the process ended while being read
            continue
        pid = int(status.parent.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


def run_sampled(command: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run `command` (output to `log`); its wall time and the peak RSS of its process tree."""
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss_kb(process.pid))
            time.sleep(SAMPLE_S)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}); see {log}")
    return {"seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak / 1024)}


def units_per_node(log: Path) -> Counter[str]:
    """Units (files read, tasks selected) per Ray node, from the `-v` lines of a command's log."""
    return Counter(match.group(3) for match in PLACED.finditer(log.read_text(errors="replace")))


def signature_batches(rows: int, address: str | None) -> dict[str, Any]:
    """MinHash signatures of `rows` review-length texts in this process and through Ray Data
    `map_batches` (every batch of them, whatever its size); seconds of each and whether they agree."""
    import numpy as np
    import polars as pl
    import ray

    from ecinstruct_builder.clean.dedup import DedupConfig, sketches
    from ecinstruct_builder.engine import RayEngine, running_on

    rng = np.random.default_rng(0)
    vocabulary = np.array([f"word{i}" for i in range(5000)])
    texts = pl.Series([" ".join(rng.choice(vocabulary, size=60)) for _ in range(rows)])
    config = DedupConfig(unit="word")
    sketches(texts.head(100), config)  # compile the kernels first
    started = time.perf_counter()
    local = sketches(texts, config)
    local_s = time.perf_counter() - started
    ray.init(address=address, logging_level="ERROR")
    try:
        with running_on(RayEngine(cwd=os.getcwd(), min_rows=1)):
            started = time.perf_counter()
            distributed = sketches(texts, config)
            ray_s = time.perf_counter() - started
    finally:
        ray.shutdown()
    same = all(np.array_equal(a, b) for a, b in zip(local, distributed, strict=True))
    return {"rows": rows, "local_s": round(local_s, 2), "ray_data_s": round(ray_s, 2), "identical": same}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source-dir", type=Path, required=True)
    parser.add_argument("--scratch", type=Path, required=True, help="work dirs and logs go here")
    parser.add_argument("--recipe", default="ecinstruct")
    parser.add_argument("--engines", nargs="+", default=["local", "ray"], choices=["local", "ray"])
    parser.add_argument("--ray-address", default=None, help="join this cluster instead of a local one")
    parser.add_argument(
        "--worker-niceness",
        type=int,
        default=None,
        help="niceness of the Ray workers of the local cluster (RAY_worker_niceness; Ray's default is "
        "15, which on a machine shared with other jobs leaves them a small share of the CPU)",
    )
    parser.add_argument(
        "--signatures",
        type=int,
        default=None,
        metavar="ROWS",
        help="instead: time the MinHash signatures of ROWS texts locally and through Ray Data",
    )
    args = parser.parse_args()
    if args.signatures:
        print(json.dumps({**signature_batches(args.signatures, args.ray_address), "load": loadavg()}))
        return
    ecbuild = [shutil.which("ecbuild") or "ecbuild"]
    args.scratch.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    for engine in args.engines:
        work = args.scratch / f"work-{engine}"
        shutil.rmtree(work, ignore_errors=True)
        options = ["--recipe", args.recipe, "--workdir", str(work), "--engine", engine, "-v"]
        if engine == "ray" and args.ray_address:
            options += ["--ray-address", args.ray_address]
        env = dict(os.environ)
        if engine == "ray" and args.worker_niceness is not None:
            env["RAY_worker_niceness"] = str(args.worker_niceness)
        side: dict[str, Any] = {"load_before": loadavg()}
        for command, extra in (("fetch", ["--source-dir", str(args.source_dir)]), ("render", [])):
            log = args.scratch / f"{engine}-{command}.log"
            side[command] = run_sampled([*ecbuild, command, *options, *extra], log, env)
            side[command]["units_per_node"] = dict(units_per_node(log))
        side["load_after"] = loadavg()
        results[engine] = side
        print(engine, json.dumps(side), flush=True)
    first, *others = args.engines
    for engine in others:
        differ = differing_outputs(args.scratch / f"work-{first}", args.scratch / f"work-{engine}")
        results[engine]["differs_from_" + first] = differ
        print(f"{engine} vs {first}: {len(differ)} file(s) differ", *differ[:20], sep="\n  ")
    results["machine"] = machine()
    results["worker_niceness"] = args.worker_niceness
    (args.scratch / "engines.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
