"""Time the 2018 reviews and metadata readers on the bundled samples repeated to a realistic size.

    python benchmarks/source_reading.py                 # 210,000 review and 60,900 metadata lines
    python benchmarks/source_reading.py --repeat 100    # a quick look

The bundled `raw_sources/amazon2018/*Electronics.json.gz` lines (planted bad lines left out) are
repeated `--repeat` times (metadata: 3/7 of that) into a scratch folder; each file is read `--runs`
times with `Amazon2018.read_file` and the best wall time is printed with the rows and quarantined.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

from ecinstruct_builder.paths import raw_sources_dir
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.sources.base import InputFile

FILES = ("Electronics.json.gz", "meta_Electronics.json.gz")


def _good_lines(path: Path) -> list[bytes]:
    lines = gzip.decompress(path.read_bytes()).splitlines()
    return [line for line in lines if line.startswith(b"{") and line.endswith(b"}")]


def _best_read(path: Path, runs: int) -> tuple[float, int, int]:
    best, rows, bad = float("inf"), 0, 0
    for _ in range(runs):
        quarantine, rows = Quarantine(), 0
        started = time.perf_counter()
        for _, frame in Amazon2018().read_file(InputFile(path, "Electronics"), {}, quarantine):
            rows += frame.height
        best, bad = min(best, time.perf_counter() - started), len(quarantine)
    return best, rows, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=700)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        for name in FILES:
            repeat = args.repeat if not name.startswith("meta_") else args.repeat * 3 // 7
            target = Path(scratch) / name
            lines = _good_lines(raw_sources_dir() / "amazon2018" / name) * repeat
            target.write_bytes(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1))
            seconds, rows, bad = _best_read(target, args.runs)
            print(f"{name:<28} {rows:>9,} rows  {bad} quarantined  {seconds:.2f} s (best of {args.runs})")


if __name__ == "__main__":
    main()
