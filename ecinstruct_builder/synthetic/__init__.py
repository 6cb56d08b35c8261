"""Deterministic synthetic copies of every upstream source, in the upstream formats and file names.

The repo cannot ship real upstream text, so the bundled `raw_sources/` is written by `generate()`
(the demo profile), and benchmarks use the same code with a scale factor. Every record is made up
from a small English vocabulary; files stream to disk record by record, so memory stays flat.

    >>> from ecinstruct_builder.synthetic import generate
    >>> rows = generate(Path("raw_sources"))                 # the bundled demo
    >>> rows = generate(Path("/tmp/bench"), scale=0.01)      # 1% of the real row counts
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from types import ModuleType

from ..io import write_json
from ..registry import plugin_modules
from ..sources.layout import SYNTHETIC_MARKER, synthetic_marker, synthetic_origin
from .common import Profile

__all__ = ["PLANTED_BAD_LINES", "generate", "writers"]


def _is_writer(module: ModuleType) -> bool:
    # A writer module defines `write(out_dir, profile, seed, progress)` itself; the others are helpers.
    write = getattr(module, "write", None)
    return callable(write) and getattr(write, "__module__", None) == module.__name__


@cache
def writers() -> dict[str, ModuleType]:
    """Every writer module of this package, keyed by its name (= the adapter name of its source).

    Adding a source's synthetic data is adding one module with `write()` and `PLANTED_BAD_LINES`.
    """
    return {m.__name__.rsplit(".", 1)[-1]: m for m in plugin_modules(sys.modules[__name__]) if _is_writer(m)}


#: Malformed lines planted on purpose, per relative file path (same at every scale). Each counts
#: as one row in `generate()`'s result; the adapters must send exactly these to the quarantine.
PLANTED_BAD_LINES: dict[str, int] = {
    path: count for writer in writers().values() for path, count in writer.PLANTED_BAD_LINES.items()
}


def generate(
    out_dir: Path,
    scale: float | None = None,
    seed: int = 0,
    progress: bool = False,
    sources: tuple[str, ...] = (),
) -> dict[str, int]:
    """Write every synthetic source file under `out_dir`; return rows written per relative path.

    `scale=None` writes the small bundled demo profile; `scale=s` writes the real row counts times
    `s` (1.0 = real size), never less than the demo size per file, so tiny scales still feed every
    task. Rows are records: CSV headers are not counted, planted malformed lines are. The same
    `seed` always gives byte-identical files. `sources` (writer names) writes only those; a source's
    files do not depend on which others are written. `SYNTHETIC.json` beside them says how each
    source was made (kept for the sources an earlier call wrote), so a build from them is marked
    synthetic.
    """
    if scale is not None and scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    unknown = sorted(set(sources) - set(writers()))
    if unknown:
        raise ValueError(f"unknown synthetic source {unknown[0]!r}; known: {', '.join(writers())}")
    profile = Profile(scale=scale)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name, writer in writers().items():
        if not sources or name in sources:
            written |= writer.write(out_dir, profile, seed, progress)
    made = (synthetic_origin(out_dir) or {}).get("sources", {}) if sources else {}
    made |= {name: {"scale": scale, "seed": seed} for name in writers() if not sources or name in sources}
    write_json(out_dir / SYNTHETIC_MARKER, synthetic_marker(made))
    return dict(sorted(written.items()))
