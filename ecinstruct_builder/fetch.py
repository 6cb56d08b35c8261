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
from contextlib import closing
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from tqdm import tqdm

from .config import Recipe
from .engine import Engine, LocalEngine
from .errors import EcbuildError
from .io import atomic_path, sha256_file, write_json
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

# Files of a source read at once: each file's reading already overlaps decompression and parsing in
# two threads, but Python's share of it (odd lines, part writes) leaves a second core idle.
FETCH_WORKERS = min(2, os.cpu_count() or 1)


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
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(frame, pl.LazyFrame):
        frame.sink_parquet(target)
        return pl.scan_parquet(target).select(pl.len()).collect().item()
    frame.write_parquet(target)
    return frame.height


def _read_file(
    adapter: SourceAdapter, options: dict[str, Any], staging: Path, unit: tuple[int, InputFile]
) -> tuple[Counter[str], Quarantine]:
    """One file (and its index) into parts named by the index, so the parts of all files sort in
    file order; its rows per table and its own quarantine. The unit of work an engine runs."""
    index, file = unit
    rows: Counter[str] = Counter()
    quarantine = Quarantine()
    for part, (table, frame) in enumerate(adapter.read_file(file, options, quarantine)):
        schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
        if dict(schema) != adapter.tables[table]:
            raise EcbuildError(f"internal: adapter {adapter.name} produced {table} with schema {schema}")
        rows[table] += _write_part(frame, staging / table / f"part-{index:05d}-{part:06d}.parquet")
    return rows, quarantine


def _read_source(
    adapter: SourceAdapter,
    files: list[InputFile],
    options: dict[str, Any],
    staging: Path,
    root: Path,
    quarantine: Quarantine,
    progress: bool,
    engine: Engine,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every file of a source, on the engine (locally FETCH_WORKERS at a time); parts, quarantine
    and records come out in file order, as one file after the other would give them. Also where
    each file was read."""
    records, placements = [], []
    read = partial(_read_file, adapter, options, staging)
    # closed on the way out: on an error the files not started yet are not read
    with closing(engine.map(read, list(enumerate(files)), FETCH_WORKERS)) as results:
        bar = {"desc": f"read {adapter.name}", "unit": "file", "disable": not progress, "leave": False}
        done = tqdm(results, total=len(files), **bar)
        for file, ((rows, own), where) in zip(files, done, strict=True):
            logger().info("read %s on %s", file.path, where)
            placements.append(asdict(where))
            quarantine.merge(own)
            if not sum(rows.values()) and own.per_file[str(file.path)]:
                raise all_quarantined_error(file.path, own)
            # encodings as noted so far: a file may note another's (ESCI reads its sources file)
            records.append(_file_record(adapter, file, root, rows, own.per_file, quarantine))
    return records, placements


def _file_record(
    adapter: SourceAdapter,
    file: InputFile,
    root: Path,
    rows: Counter[str],
    quarantined: Counter[str],
    quarantine: Quarantine,
) -> dict[str, Any]:
    """What the manifest says about one file read."""
    return {
        "source": adapter.name,
        "path": str(file.path.relative_to(root)) if file.path.is_relative_to(root) else str(file.path),
        "category": file.category,
        "split": file.split,
        "bytes": file.path.stat().st_size,
        "sha256": sha256_file(file.path),
        "rows": dict(sorted(rows.items())),
        "quarantined": quarantined[str(file.path)],
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


def _discover_all(
    recipe: Recipe, root: Path
) -> list[tuple[SourceAdapter, dict[str, Any], Path, list[InputFile]]]:
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


def run_fetch(
    recipe: Recipe,
    workdir: Path,
    source_dir: Path | None = None,
    progress: bool = True,
    engine: Engine | None = None,
) -> FetchResult:
    """Fetch (or locate) the recipe's sources and write the normalised tables and the manifest;
    the files are read on `engine` (default: this process).

    The tables are built in a staging folder that replaces `WORKDIR/sources/` only on success.
    """
    engine = engine or LocalEngine()
    work = WorkDir(workdir)
    work.ensure_writable()
    root = resolve_source_root(recipe, workdir, source_dir, progress)
    discovered = _discover_all(recipe, root)  # before anything is read: a missing file fails at once
    result = FetchResult(source_root=root)
    quarantine = Quarantine()
    table_info: dict[str, dict[str, Any]] = {}
    with work.replacing_sources() as out_dir:
        staging = out_dir / ".parts"
        for adapter, options, folder, files in discovered:
            if not files:
                result.skipped.append(no_input_note(adapter.name, folder, options))
                continue
            result.notices += [file.note for file in files if file.note]
            started = time.perf_counter()
            records, placements = _read_source(
                adapter, files, options, staging / adapter.name, root, quarantine, progress, engine
            )
            tables = _finalize_tables(adapter, staging / adapter.name, out_dir)
            timing = source_timing(records, tables, time.perf_counter() - started)
            result.timings[adapter.name] = {**timing, "ran_on": placements}  # per file, in file order
            result.files += records
            # what a table was made from: the stamp later stages compare to decide on reuse
            digest = stamp("fetch", adapter.name, options, [(r["path"], r["sha256"]) for r in records])
            for table, rows in tables.items():
                result.tables[table] = rows
                table_info[table] = {
                    "path": f"{table}.parquet",
                    "rows": rows,
                    "source": adapter.name,
                    "stamp": digest,
                    # once here, so that render checks a recipe's categories without a scan
                    "categories": table_categories(out_dir / f"{table}.parquet"),
                }
        if staging.exists():
            shutil.rmtree(staging)
        quarantine.write(out_dir / QUARANTINE)
        result.quarantined = len(quarantine)
        write_json(
            out_dir / MANIFEST,
            {
                "recipe": {"name": recipe.name, "hash": recipe.hash},
                "source_root": str(root),
                "synthetic": synthetic_origin(root),  # None: files not written by `ecbuild synth`
                "tables": dict(sorted(table_info.items())),
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


def source_timing(records: list[dict[str, Any]], tables: dict[str, int], seconds: float) -> dict[str, Any]:
    """One source's wall time and rows: records read (good + quarantined) and table rows written."""
    rows_in = sum(sum(r["rows"].values()) + r["quarantined"] for r in records)
    return {
        "seconds": round(seconds, 3),
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
