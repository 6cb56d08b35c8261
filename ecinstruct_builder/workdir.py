"""The work dir: its layout, its manifests and the stamps that let a stage reuse its own output.

```
WORKDIR/
  downloads/                 files `fetch` downloaded (upstream layout)
  sources/                   `fetch`: one Parquet per table, quarantine.parquet, manifest.json
  selection/<ABBR>.parquet   `render`: a task's selected rows; .rejects.parquet; .json (stamp, reports)
  dataset/<Task_Name>.parquet, rejects/<Task_Name>.parquet
  reports/tasks/<ABBR>.json  one task's report; reports/build.{json,md}: every task present
```

Contract: a re-fetch builds into a staging folder and swaps it in only when it succeeded, so a
failed fetch leaves the previous tables; every file is written atomically (temp file + rename);
each stage output carries a stamp, the hash of its inputs, its settings and the code, and a stage
whose stamp has not changed is not recomputed. Nothing here deletes a file it did not write.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .errors import EcbuildError
from .io import atomic_path
from .paths import PACKAGE_DIR
from .report import TIMINGS_HEADING, from_dict, to_json

T = TypeVar("T")

MANIFEST = "manifest.json"
# keys of the manifest and reports that say how a run went (times, which process did what), not
# what it made: two runs on other engines or machines differ there only
RUN_SPECIFIC_KEYS = frozenset({"timings", "seconds", "ran_on"})
QUARANTINE = "quarantine.parquet"


class WorkdirError(EcbuildError):
    """The work dir cannot be used: not a folder, not writable, full, or holding a damaged file."""

    exit_code = 1


@cache
def code_version() -> str:
    """The package version plus a hash of its code: a changed module invalidates every stamp."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.suffix in (".py", ".toml", ".md") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:12]}"


def stamp(*parts: Any) -> str:
    """The stamp of a stage output: a hash of what it was made from and of the code."""
    canonical = json.dumps([code_version(), *parts], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def environment_error(exc: OSError, path: Path | str | None = None) -> WorkdirError:
    """One line for an operating-system error while writing or reading the work dir."""
    where = path or exc.filename or "the work dir"
    advice = {
        errno.ENOSPC: "the disk is full; free space or choose another --workdir",
        errno.EDQUOT: "the disk quota is exhausted; free space or choose another --workdir",
        errno.EROFS: "the file system is read-only; choose another --workdir",
        errno.EACCES: "permission denied; fix the permissions or choose another --workdir",
        errno.EPERM: "permission denied; fix the permissions or choose another --workdir",
        errno.ENOTDIR: "a part of the path is a file, not a folder; choose another --workdir",
    }.get(exc.errno or 0, f"{exc.strerror or exc}; check the path")
    return WorkdirError(f"{where}: {advice}")


def readable_parquet(path: Path) -> bool:
    """Whether a Parquet file is there with an intact footer (a damaged output is rebuilt, not read)."""
    try:
        pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        return False
    return True


@dataclass(frozen=True)
class WorkDir:
    root: Path

    # --- layout ----------------------------------------------------------------------------------
    @property
    def sources(self) -> Path:
        return self.root / "sources"

    @property
    def manifest_path(self) -> Path:
        return self.sources / MANIFEST

    @property
    def quarantine_path(self) -> Path:
        return self.sources / QUARANTINE

    @property
    def downloads(self) -> Path:
        return self.root / "downloads"

    @property
    def dataset(self) -> Path:
        return self.root / "dataset"

    @property
    def rejects(self) -> Path:
        return self.root / "rejects"

    @property
    def selection(self) -> Path:
        return self.root / "selection"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def build_json(self) -> Path:
        return self.reports / "build.json"

    @property
    def build_md(self) -> Path:
        return self.reports / "build.md"

    @property
    def scratch(self) -> Path:
        """Temporary files of a running stage (each stage removes its own)."""
        return self.root / ".scratch"

    def dataset_file(self, name: str) -> Path:
        return self.dataset / f"{name}.parquet"

    def rejects_file(self, name: str) -> Path:
        return self.rejects / f"{name}.parquet"

    def selected_rows(self, abbr: str) -> Path:
        return self.selection / f"{abbr}.parquet"

    def selection_rejects(self, abbr: str) -> Path:
        return self.selection / f"{abbr}.rejects.parquet"

    def selection_record(self, abbr: str) -> Path:
        return self.selection / f"{abbr}.json"

    def task_report(self, abbr: str) -> Path:
        return self.reports / "tasks" / f"{abbr}.json"

    def intact(self, abbr: str) -> bool:
        """Whether a task's stored selection can be read back."""
        return readable_parquet(self.selected_rows(abbr)) and readable_parquet(self.selection_rejects(abbr))

    # --- checks ----------------------------------------------------------------------------------
    def ensure_writable(self) -> None:
        """Create the work dir if needed; a one-line error when it cannot be written."""
        for parent in (self.root, *self.root.parents):
            if parent.exists():
                if not parent.is_dir():
                    raise WorkdirError(
                        f"--workdir {self.root}: {parent} is a file, not a folder; choose another --workdir"
                    )
                break
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise environment_error(exc, self.root) from exc
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise WorkdirError(f"--workdir {self.root}: not writable; fix its permissions or choose another")

    def fetch_command(self, recipe: str) -> str:
        return f"ecbuild fetch --recipe {recipe} --workdir {self.root}"

    def read_manifest(self, recipe: str) -> dict[str, Any]:
        """The fetch manifest; a one-line error when fetch has not run or the file is damaged."""
        path = self.manifest_path
        if not path.is_file():
            raise WorkdirError(f"no fetched sources in {self.root}; run `{self.fetch_command(recipe)}` first")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            tables = manifest["tables"]
            for info in tables.values():
                lacking = {"path", "stamp", "categories"} - set(info)  # an older ecbuild's manifest
                if lacking:
                    raise KeyError(", ".join(sorted(lacking)))
                if not (self.sources / info["path"]).is_file():
                    raise FileNotFoundError(info["path"])
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise WorkdirError(
                f"{path}: damaged or incomplete ({type(exc).__name__}: {exc}); "
                f"run `{self.fetch_command(recipe)}` again"
            ) from exc
        for info in tables.values():  # a table's footer is a few bytes: checked before any work
            table = self.sources / info["path"]
            if not readable_parquet(table):
                raise WorkdirError(
                    f"{table}: damaged Parquet table; run `{self.fetch_command(recipe)}` again"
                )
        return manifest

    def read_record(self, cls: type[T], path: Path, what_to_run: str) -> T:
        """A typed JSON record this package wrote; a one-line error when it is damaged."""
        try:
            return from_dict(cls, json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            raise WorkdirError(f"{path} not found; run `{what_to_run}` first") from exc
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise WorkdirError(f"{path}: damaged ({type(exc).__name__}); run `{what_to_run}` again") from exc

    def try_record(self, cls: type[T], path: Path) -> T | None:
        """A typed record, or None when it is missing or unreadable (the stage is then redone)."""
        try:
            return from_dict(cls, json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
            return None

    # --- writing ---------------------------------------------------------------------------------
    def write_record(self, path: Path, record: Any) -> None:
        with atomic_path(path) as tmp:
            tmp.write_text(to_json(record), encoding="utf-8")

    @contextlib.contextmanager
    def replacing_sources(self) -> Iterator[Path]:
        """A staging folder for a new `sources/`; swapped in only if the block succeeds.

        On failure the staging folder is removed and the previous tables stay as they were.
        """
        staging = self.root / ".sources-staging"
        retired = self.root / ".sources-retired"
        for leftover in (staging, retired):  # from a run that was killed: ours to remove
            if leftover.exists():
                shutil.rmtree(leftover)
        staging.mkdir(parents=True)
        try:
            yield staging
            if self.sources.exists():
                os.replace(self.sources, retired)
            os.replace(staging, self.sources)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        if retired.exists():
            shutil.rmtree(retired)


def _without_run_specific(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_run_specific(v) for k, v in value.items() if k not in RUN_SPECIFIC_KEYS}
    if isinstance(value, list):
        return [_without_run_specific(v) for v in value]
    return value


def differing_outputs(one: Path, other: Path) -> list[str]:
    """The files of two work dirs that differ, or are in one only, run-specific parts aside: JSON
    without `RUN_SPECIFIC_KEYS`, Markdown reports up to their timings; every other file byte for byte."""
    names = {path.relative_to(root) for root in (one, other) for path in root.rglob("*") if path.is_file()}
    differ = []
    for name in sorted(names):
        a, b = one / name, other / name
        if not (a.is_file() and b.is_file()):
            same = False
        elif name.suffix == ".json":
            same = _without_run_specific(json.loads(a.read_bytes())) == _without_run_specific(
                json.loads(b.read_bytes())
            )
        elif name.suffix == ".md":
            same = a.read_text().split(TIMINGS_HEADING)[0] == b.read_text().split(TIMINGS_HEADING)[0]
        else:
            same = a.read_bytes() == b.read_bytes()
        if not same:
            differ.append(str(name))
    return differ
