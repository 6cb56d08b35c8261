"""Where the gold rows come from: a WORKDIR, a folder of Parquet files, or a Hub repo id.

Row order is the dataset's order: Parquet files sorted by path, rows in file order (for the Hub,
its splits in the order the repo lists them). `--aligned` prediction files follow this order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import SourceFileError

REQUIRED_COLUMNS = ("task", "setting", "split", "options", "output")
# Column names of the selected frame; `labels` (QPR's per-option ESCI labels) may be absent upstream.
GOLD_COLUMNS = ("id", "task", "setting", "options", "output", "labels")
_REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")
# NingLab/ECInstruct's `split` column says "val"; ecbuild says "validation" everywhere.
_SPLIT_ALIASES = {"val": "validation"}
# The config holding every setting with its `split` column (publish/layout.py TABLE_CONFIG).
HUB_TABLE_CONFIG = "ninglab_table"


@dataclass(frozen=True)
class GoldSet:
    """The whole dataset as a lazy scan, and where it came from."""

    scan: pl.LazyFrame
    origin: str

    def select(self, split: str, settings: Sequence[str] = ()) -> pl.DataFrame:
        """The rows of one split (and of the given settings, if any) in dataset order."""
        condition = pl.col("split") == split
        if settings:
            condition &= pl.col("setting").is_in(list(settings))
        return self.scan.filter(condition).select(GOLD_COLUMNS).collect()

    def ids_among(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` exist anywhere in the dataset (any split or setting)."""
        found = self.scan.filter(pl.col("id").is_in(list(ids))).select("id").collect()
        return set(found["id"].to_list())


def load_gold(spec: str) -> GoldSet:
    """Open the dataset named by `--dataset`; raise SourceFileError with what to do if impossible."""
    path = Path(spec)
    if path.is_dir():
        return GoldSet(_scan_folder(path), str(path))
    if path.exists():
        raise SourceFileError(
            f"{spec}: is a file; --dataset takes a WORKDIR, a folder of Parquet files or a repo id"
        )
    if _REPO_ID.fullmatch(spec):
        return GoldSet(_with_standard_columns(_hub_frame(spec).lazy()), f"hf://{spec}")
    raise SourceFileError(
        f"{spec}: no such folder; run `ecbuild render` first or pass --dataset WORKDIR|DIR|org/repo"
    )


def _scan_folder(path: Path) -> pl.LazyFrame:
    # A WORKDIR keeps the rendered rows under dataset/; any other folder is searched recursively.
    root = path / "dataset" if (path / "dataset").is_dir() else path
    scans = []
    for file in sorted(root.rglob("*.parquet")):
        try:
            columns = pl.read_parquet_schema(file)
        except Exception as exc:  # polars raises several error types for a broken file
            raise SourceFileError(
                f"{file}: not a readable Parquet file ({exc}); rebuild or remove it"
            ) from exc
        if all(column in columns for column in REQUIRED_COLUMNS):
            scans.append(_options_as_text(pl.scan_parquet(file), columns["options"]))
    if not scans:
        raise SourceFileError(
            f"{root}: no Parquet file with the columns {', '.join(REQUIRED_COLUMNS)}; "
            "pass a WORKDIR after `ecbuild render`, an `ecbuild export` folder or a Hub repo id"
        )
    # diagonal_relaxed: files without `labels` (every task but QPR) get nulls there.
    return _with_standard_columns(pl.concat(scans, how="diagonal_relaxed"))


def _options_as_text(scan: pl.LazyFrame, dtype: pl.DataType) -> pl.LazyFrame:
    # Published configs type `options` as a list of strings; rendered rows hold its JSON text.
    if not isinstance(dtype, pl.List):
        return scan
    text = pl.col("options").map_elements(
        lambda options: json.dumps(list(options), ensure_ascii=False) if len(options) else "",
        return_dtype=pl.String,
    )
    return scan.with_columns(text.alias("options"))


def _with_standard_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    names = frame.collect_schema().names()
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in ("id", "labels") if c not in names]
    as_text = [pl.col(c).cast(pl.String) for c in ("id", "task", "setting", "split", "output", "labels")]
    split = pl.col("split").replace(_SPLIT_ALIASES)
    return frame.with_columns(missing).with_columns(as_text).with_columns(split)


def _hub_frame(repo: str) -> pl.DataFrame:
    """All splits of the repo's table config as one frame (needs network or a warm cache)."""
    try:
        import datasets

        splits = datasets.load_dataset(repo, HUB_TABLE_CONFIG)
    except Exception as exc:  # offline, unknown repo, no table config...: one line, not a traceback
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceFileError(
            f"{repo}: cannot load it from the Hugging Face Hub ({reason}); "
            "check the repo id and the network, or pass a local WORKDIR or folder"
        ) from exc
    frames = []
    for name, split in splits.items():
        frame = pl.from_arrow(split.data.table)
        if "split" not in frame.columns:
            frame = frame.with_columns(pl.lit(name).alias("split"))
        frames.append(frame)
    return pl.concat(frames, how="diagonal_relaxed")
