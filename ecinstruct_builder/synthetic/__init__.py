"""Deterministic synthetic copies of every upstream source, in the upstream formats and file names.

The repo cannot ship real upstream text, so the bundled `raw_sources/` is written by `generate()`
(the demo profile), and benchmarks use the same code with a scale factor. Every record is made up
from a small English vocabulary; files stream to disk record by record, so memory stays flat.

    >>> from ecinstruct_builder.synthetic import generate
    >>> rows = generate(Path("raw_sources"))                 # the bundled demo
    >>> rows = generate(Path("/tmp/bench"), scale=0.01)      # 1% of the real row counts
"""

from __future__ import annotations

from pathlib import Path

from . import amazon2014, amazon2018, amazon2023, amazon_google, amazonqa, esci, mave
from .common import Profile

# One writer module per upstream source, in the order files are written.
WRITERS = (amazon2018, amazon2014, amazon2023, mave, esci, amazonqa, amazon_google)

#: Malformed lines planted on purpose, per relative file path (same at every scale). Each counts
#: as one row in `generate()`'s result; the adapters must send exactly these to the quarantine.
PLANTED_BAD_LINES: dict[str, int] = {
    path: count for writer in WRITERS for path, count in writer.PLANTED_BAD_LINES.items()
}

__all__ = ["PLANTED_BAD_LINES", "generate"]


def generate(
    out_dir: Path, scale: float | None = None, seed: int = 0, progress: bool = False
) -> dict[str, int]:
    """Write every synthetic source file under `out_dir`; return rows written per relative path.

    `scale=None` writes the small bundled demo profile; `scale=s` writes the real row counts times
    `s` (1.0 = real size), never less than the demo size per file, so tiny scales still feed every
    task. Rows are records: CSV headers are not counted, planted malformed lines are. The same
    `seed` always gives byte-identical files.
    """
    if scale is not None and scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    profile = Profile(scale=scale)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for writer in WRITERS:
        written |= writer.write(out_dir, profile, seed, progress)
    return dict(sorted(written.items()))
