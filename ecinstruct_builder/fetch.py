"""`ecbuild fetch`: read every source of a recipe into normalised Parquet tables.

Files come from the bundled samples (`demo`), from `--source-dir` (the user's own copies, upstream
file names), or from a download of the original locations into `WORKDIR/downloads/`. Each adapter
streams its files as frames; they are written as parts and then finalised (whole-table steps such as
duplicate-ASIN removal) into one `WORKDIR/sources/<table>.parquet` each, next to the quarantine and a
manifest with row counts, input hashes and what was skipped.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from tqdm import tqdm

from .config import Recipe
from .engine import Engine, LocalEngine, Placement
from .errors import EcbuildError
from .io import atomic_path, require_readable, sha256_file, write_json
from .paths import raw_sources_dir
from .quarantine import Quarantine
from .sources import adapters
from .sources.base import InputFile, RemoteFile, SourceAdapter
from .sources.layout import (
    all_quarantined_error,
    check_source_dir,
    missing_files_error,
    no_input_note,
    synthetic_origin,
)
from .verbosity import logger
from .workdir import MANIFEST, QUARANTINE, WorkDir, stamp

# Files read at once, over all sources: each file's reading already overlaps decompression and
# parsing in threads, but Python's share of it (odd lines, part writes) leaves a second core idle.
FETCH_WORKERS = min(2, os.cpu_count() or 1)
# Gzipped files cost about ten times as much per byte on disk as plain ones (decompression, and the
# JSON they hold is denser): the weight that orders the files, largest cost first.
GZIP_COST = 10
PART_WRITE: dict[str, Any] = {"compression": "uncompressed", "statistics": False}


#: a source of the recipe: its adapter, options, folder and the files found there
Discovered = tuple[SourceAdapter, dict[str, Any], Path, list[InputFile]]


@dataclass
class FetchResult:
    source_root: Path
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows
    files: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what the user should know (e.g. a fallback file)
    quarantined: int = 0
    timings: dict[str, dict[str, Any]] = field(default_factory=dict)  # source -> seconds and rows


def recipe_adapters(recipe: Recipe) -> list[tuple[SourceAdapter, dict[str, Any]]]:
    """The recipe's sources (names checked when the recipe was loaded) with their options."""
    known = adapters()
    return [(known[name], recipe.source_options(name)) for name in recipe.sources]


def remote_files(recipe: Recipe) -> list[RemoteFile]:
    return [f for adapter, options in recipe_adapters(recipe) for f in adapter.remote_files(options)]


def manual_downloads(recipe: Recipe, workdir: Path) -> list[str]:
    """The files of a download recipe that need a manual step and are not in place yet."""
    from .download import manual_steps

    return manual_steps(remote_files(recipe), WorkDir(workdir).downloads)


def resolve_source_root(recipe: Recipe, workdir: Path, source_dir: Path | None, progress: bool) -> Path:
    """Where the upstream files are: --source-dir, the bundled samples, or a fresh download."""
    if source_dir is not None:
        if not source_dir.is_dir():
            raise EcbuildError(
                f"--source-dir {source_dir} is not a folder; point it at your copy of the sources"
            )
        check_source_dir(source_dir, [adapter.name for adapter, _ in recipe_adapters(recipe)])
        return source_dir
    if recipe.origin == "bundled":
        return raw_sources_dir()
    from .download import download_all  # imported lazily: only the download path needs it

    root = WorkDir(workdir).downloads
    download_all(remote_files(recipe), root, progress=progress)
    return root


def _write_part(frame: pl.DataFrame | pl.LazyFrame, target: Path) -> int:
    """One part as uncompressed Parquet without statistics: parts are read once, by
    `_finalize_tables`, so compressing them would be paid twice. Not Arrow IPC, though it is cheaper
    still: the final table's pages follow how its columns sit in memory, which a Parquet part read
    back gives the same whatever the adapter's frames looked like, an IPC part does not."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, pl.LazyFrame):
        frame.sink_parquet(target, **PART_WRITE)
        return pl.scan_parquet(target).select(pl.len()).collect().item()
    frame.write_parquet(target, **PART_WRITE)
    return frame.height


@dataclass
class FileRead:
    """What reading one file gave: its rows per table, its own quarantine, its hash, when it ran."""

    rows: Counter[str]
    quarantine: Quarantine
    sha256: str
    started: float  # time.time(): a worker's clock, comparable with the caller's on one machine
    seconds: float


def read_file_parts(
    adapter: SourceAdapter, index: int, file: InputFile, options: dict[str, Any], staging: Path
) -> FileRead:
    """One file into parts under `staging/<table>/`, named by its index so that the parts of all
    files sort in file order; its rows per table and its own quarantine. It touches nothing shared,
    so files can be read in any order and on any worker."""
    started, clock = time.time(), time.perf_counter()
    rows: Counter[str] = Counter()
    quarantine = Quarantine()
    for part, (table, frame) in enumerate(adapter.read_file(file, options, quarantine)):
        schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
        if dict(schema) != adapter.tables[table]:
            raise EcbuildError(f"internal: adapter {adapter.name} produced {table} with schema {schema}")
        rows[table] += _write_part(frame, staging / table / f"part-{index:05d}-{part:06d}.parquet")
    require_readable(file.path)  # a file another one's reader reads may be a FIFO: never hash that
    digest = sha256_file(file.path)
    return FileRead(rows, quarantine, digest, started, time.perf_counter() - clock)


#: one file to read: its adapter, its index among the source's files, the file, options, parts folder
ReadJob = tuple[SourceAdapter, int, InputFile, dict[str, Any], Path]


def _read_job(job: ReadJob) -> FileRead:
    """The unit of work an engine runs for fetch."""
    return read_file_parts(*job)


def _read_cost(file: InputFile) -> int:
    """How long a file takes to read, roughly, for ordering: its size, gzipped files weighed up."""
    size = file.path.stat().st_size if file.path.is_file() else 0
    return size * GZIP_COST if file.path.name.endswith(".gz") else size


def _read_all(
    engine: Engine, discovered: list[Discovered], staging: Path, progress: bool
) -> Iterator[list[tuple[FileRead, Placement]]]:
    """Every file of every source on `engine`, the costliest first (so that no large file starts last
    and runs alone at the end); each source's reads in file order, source after source in recipe
    order, as soon as all of a source's files are read (the engine reads on meanwhile)."""
    jobs: list[ReadJob] = [
        (adapter, index, file, options, staging / adapter.name)
        for adapter, options, _, files in discovered
        for index, file in enumerate(files)
    ]
    order = sorted(range(len(jobs)), key=lambda j: -_read_cost(jobs[j][2]))
    spans, start = [], 0  # each source's jobs
    for *_, files in discovered:
        spans.append(range(start, start + len(files)))
        start += len(files)
    done: dict[int, tuple[FileRead, Placement]] = {}
    source = 0
    bar = tqdm(total=len(jobs), desc="read files", unit="file", disable=not progress, leave=False)
    # closed on the way out: on an error the files not started yet are not read
    with bar, closing(engine.map(_read_job, [jobs[j] for j in order], FETCH_WORKERS)) as results:
        for job, outcome in zip(order, results, strict=True):
            done[job] = outcome
            bar.update()
            while source < len(spans) and all(j in done for j in spans[source]):
                yield [done.pop(j) for j in spans[source]]
                source += 1
    for _ in spans[source:]:  # what is left has no files
        yield []


def _file_record(
    adapter: SourceAdapter, file: InputFile, root: Path, read: FileRead, quarantine: Quarantine
) -> dict[str, Any]:
    """What the manifest says about one file read."""
    return {
        "source": adapter.name,
        "path": str(file.path.relative_to(root)) if file.path.is_relative_to(root) else str(file.path),
        "category": file.category,
        "split": file.split,
        "bytes": file.path.stat().st_size,
        "sha256": read.sha256,
        "rows": dict(sorted(read.rows.items())),
        "quarantined": read.quarantine.per_file[str(file.path)],
        "encodings": quarantine.encodings_of(str(file.path)),  # text files decoded by evidence
    }


def _finalize_tables(adapter: SourceAdapter, staging: Path, out_dir: Path) -> dict[str, int]:
    counts = {}
    for table, schema in adapter.tables.items():
        parts = sorted((staging / table).glob("part-*.parquet"))
        frame = pl.scan_parquet(parts) if parts else pl.LazyFrame(schema=schema)
        target = out_dir / f"{table}.parquet"
        with atomic_path(target) as tmp:
            adapter.finalize(table, frame).sink_parquet(tmp)
        counts[table] = pl.scan_parquet(target).select(pl.len()).collect().item()
    return counts


def _discover_all(recipe: Recipe, root: Path) -> list[Discovered]:
    """Every source's files, found before anything is read, so that a missing file fails at once."""
    found = []
    for adapter, options in recipe_adapters(recipe):
        folder = root / adapter.name
        files = adapter.discover(folder, options) if folder.is_dir() else []
        missing = adapter.missing_files(folder, options, files) if folder.is_dir() else []
        if missing:
            raise missing_files_error(folder, missing)
        found.append((adapter, options, folder, files))
    return found


@dataclass
class _SourceTables:
    """Writes the tables of one source after another into the staging `sources/` folder, while a
    pool reads the files of every source."""

    root: Path
    out_dir: Path
    quarantine: Quarantine
    result: FetchResult
    progress: bool
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # the manifest's `tables`

    @property
    def staging(self) -> Path:
        return self.out_dir / ".parts"

    def finish(
        self,
        adapter: SourceAdapter,
        options: dict[str, Any],
        files: list[InputFile],
        reads: list[tuple[FileRead, Placement]],
    ) -> None:
        """Take a source's reads in file order, merging their quarantines in that order (as one file
        after the other would give them), then write its tables from their parts."""
        records = []
        for file, (read, where) in zip(files, reads, strict=True):
            logger().info("read %s on %s", file.path, where)
            self.quarantine.merge(read.quarantine)
            if not sum(read.rows.values()) and read.quarantine.per_file[str(file.path)]:
                raise all_quarantined_error(file.path, read.quarantine)
            # encodings as noted so far: a file may note another's (ESCI reads its sources file)
            records.append(_file_record(adapter, file, self.root, read, self.quarantine))
        tables = _finalize_tables(adapter, self.staging / adapter.name, self.out_dir)
        if (self.staging / adapter.name).exists():  # its parts are in the tables now
            shutil.rmtree(self.staging / adapter.name)
        timing = source_timing(records, tables, [read for read, _ in reads])
        # where each file was read, in file order (a multi-node run shows the spread here)
        self.result.timings[adapter.name] = {**timing, "ran_on": [asdict(where) for _, where in reads]}
        self.result.files += records
        # what a table was made from: the stamp later stages compare to decide on reuse
        digest = stamp("fetch", adapter.name, options, [(r["path"], r["sha256"]) for r in records])
        for table, rows in tables.items():
            self.result.tables[table] = rows
            self.tables[table] = {
                "path": f"{table}.parquet",
                "rows": rows,
                "source": adapter.name,
                "stamp": digest,
                # once here, so that render checks a recipe's categories without a scan
                "categories": table_categories(self.out_dir / f"{table}.parquet"),
            }


def run_fetch(
    recipe: Recipe,
    workdir: Path,
    source_dir: Path | None = None,
    progress: bool = True,
    engine: Engine | None = None,
) -> FetchResult:
    """Fetch (or locate) the recipe's sources and write the normalised tables and the manifest;
    the files are read on `engine` (default: this process, FETCH_WORKERS at a time).

    The tables are built in a staging folder that replaces `WORKDIR/sources/` only on success.
    """
    work = WorkDir(workdir)
    work.ensure_writable()
    root = resolve_source_root(recipe, workdir, source_dir, progress)
    discovered = _discover_all(recipe, root)  # before anything is read: a missing file fails at once
    result = FetchResult(source_root=root)
    quarantine = Quarantine()
    with work.replacing_sources() as out_dir:
        writer = _SourceTables(root, out_dir, quarantine, result, progress)
        for adapter, options, folder, files in discovered:
            if not files:
                result.skipped.append(no_input_note(adapter.name, folder, options))
            result.notices += [file.note for file in files if file.note]
        reading = _read_all(engine or LocalEngine(), discovered, writer.staging, progress)
        with closing(reading):
            # a source's tables are written here while the engine reads the next sources' files
            for (adapter, options, _, files), reads in zip(discovered, reading, strict=True):
                if files:
                    writer.finish(adapter, options, files, reads)
        if writer.staging.exists():
            shutil.rmtree(writer.staging)
        quarantine.write(out_dir / QUARANTINE)
        result.quarantined = len(quarantine)
        write_json(
            out_dir / MANIFEST,
            {
                "recipe": {"name": recipe.name, "hash": recipe.hash},
                "source_root": str(root),
                "synthetic": synthetic_origin(root),  # None: files not written by `ecbuild synth`
                "tables": dict(sorted(writer.tables.items())),
                "files": result.files,
                "quarantine": {"path": QUARANTINE, "rows": result.quarantined},
                "skipped": result.skipped,
                "notices": result.notices,
                "timings": result.timings,
            },
        )
    return result


def table_categories(path: Path) -> list[str] | None:
    """The distinct categories of a fetched table, or None when it has no category column."""
    scan = pl.scan_parquet(path)
    if "category" not in scan.collect_schema():
        return None
    return sorted(scan.select(pl.col("category").unique()).collect()["category"].drop_nulls().to_list())


def source_timing(
    records: list[dict[str, Any]], tables: dict[str, int], reads: list[FileRead]
) -> dict[str, Any]:
    """One source's time and rows: `seconds` from its first file's start to its tables written (files
    of other sources are read meanwhile), `read_seconds` the sum of its files' reading times; records
    read (good + quarantined) and table rows written."""
    rows_in = sum(sum(r["rows"].values()) + r["quarantined"] for r in records)
    return {
        "seconds": round(time.time() - min(read.started for read in reads), 3),
        "read_seconds": round(sum(read.seconds for read in reads), 3),
        "files": len(records),
        "bytes": sum(r["bytes"] for r in records),
        "rows_in": rows_in,
        "rows_out": sum(tables.values()),
    }


def load_source_tables(workdir: Path, recipe: str = "demo") -> tuple[dict[str, pl.LazyFrame], dict[str, Any]]:
    """The fetched tables as lazy scans, and the manifest; a one-line error when fetch has not run."""
    work = WorkDir(workdir)
    manifest = work.read_manifest(recipe)
    scans = {
        table: pl.scan_parquet(work.sources / info["path"]) for table, info in manifest["tables"].items()
    }
    return scans, manifest
