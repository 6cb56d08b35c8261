"""Where the gold rows come from: a WORKDIR, a folder of Parquet files, or a Hub repo id.

Row order is the dataset's order: Parquet files sorted by path, rows in file order (the same for
a folder and for the Hub, which is read as the files `ecbuild push` uploads). `--aligned`
prediction files follow this order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl

from ..errors import SourceFileError
from ..publish.layout import DEFAULT_CONFIG, EVALUATION_CONFIGS, TABLE_CONFIG
from ..verbosity import logger

REQUIRED_COLUMNS = ("task", "setting", "split", "options", "output")
# Column names of the selected frame; `labels` (QPR's per-option ESCI labels) may be absent upstream.
GOLD_COLUMNS = ("id", "task", "setting", "options", "output", "labels")
_REPO_ID = re.compile(r"[\w.-]+/[\w.-]+")
# NingLab/ECInstruct's `split` column says "val"; ecbuild says "validation" everywhere.
_SPLIT_ALIASES = {"val": "validation"}
# `--dataset`'s default; when it is missing the user has not built here (not a Hub repo id).
DEFAULT_WORKDIR = "./ecbuild-work"
HUB_TIMEOUT_SECONDS = 10.0
JSON_TABLES = (".json", ".jsonl")


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
    if spec == DEFAULT_WORKDIR:
        raise SourceFileError(
            f"no work dir here ({spec}); pass --dataset WORKDIR|DIR|org/repo, "
            "or run `ecbuild fetch && ecbuild render` first"
        )
    if _REPO_ID.fullmatch(spec) and not spec.startswith((".", "/", "~")):
        return GoldSet(_scan_files(_hub_files(spec), spec), f"hf://{spec}")
    raise SourceFileError(
        f"{spec}: no such folder; run `ecbuild render` first or pass --dataset WORKDIR|DIR|org/repo"
    )


def one_view(paths: Iterable[str]) -> list[str]:
    """The data files holding each row once, sorted.

    An export (or a Hub repo) holds the same rows in several configs (`data/<config>/...`): the
    NingLab table when there is one, else ECInstruct proper plus the evaluation-setting configs,
    which do not overlap. Any other folder (a WORKDIR's dataset/) is read whole; a repo without
    Parquet files is read from its top-level JSON tables (NingLab/ECInstruct's `dataset.json`).
    """
    listed = list(paths)
    files = sorted(p for p in listed if p.endswith(".parquet"))
    if not files:
        return sorted(p for p in listed if "/" not in p and p.endswith(JSON_TABLES))
    by_config: dict[str, list[str]] = {}
    for file in files:
        parts = PurePosixPath(file).parts
        if len(parts) >= 3 and parts[-3] == "data":
            by_config.setdefault(parts[-2], []).append(file)
    if TABLE_CONFIG in by_config:
        return by_config[TABLE_CONFIG]
    disjoint = [f for c in (DEFAULT_CONFIG, *EVALUATION_CONFIGS) for f in by_config.get(c, [])]
    return sorted(disjoint) if disjoint else files


def _scan_folder(path: Path) -> pl.LazyFrame:
    # A WORKDIR keeps the rendered rows under dataset/; any other folder is searched recursively.
    root = path / "dataset" if (path / "dataset").is_dir() else path
    chosen = one_view(file.relative_to(root).as_posix() for file in root.rglob("*.parquet"))
    return _scan_files([root / file for file in chosen], str(root))


def _scan_files(files: Sequence[Path], where: str) -> pl.LazyFrame:
    logger().info("gold rows from %d file(s) of %s", len(files), where)
    scans = []
    for file in files:
        try:
            scan = _open(file)
            columns = scan.collect_schema()
        except Exception as exc:  # polars raises several error types for a broken file
            raise SourceFileError(
                f"{file}: not a readable Parquet or JSON file ({exc}); rebuild or remove it"
            ) from exc
        if all(column in columns for column in REQUIRED_COLUMNS):
            scans.append(_lists_as_text(scan, columns))
    if not scans:
        raise SourceFileError(
            f"{where}: no Parquet or JSON file with the columns {', '.join(REQUIRED_COLUMNS)}; "
            "pass a WORKDIR after `ecbuild render`, an `ecbuild export` folder or a Hub repo id"
        )
    # diagonal_relaxed: files without `labels` (every task but QPR) get nulls there.
    return _with_standard_columns(pl.concat(scans, how="diagonal_relaxed"))


def _open(file: Path) -> pl.LazyFrame:
    if file.suffix == ".jsonl":
        return pl.scan_ndjson(file)
    if file.suffix == ".json":
        return pl.read_json(file).lazy()  # one JSON array of rows, as NingLab/ECInstruct's file
    return pl.scan_parquet(file)


def _lists_as_text(scan: pl.LazyFrame, columns: pl.Schema) -> pl.LazyFrame:
    # Published configs type `options` and `labels` as lists of strings; rendered rows hold their
    # JSON text, which the scorer parses (an empty list is no value, as an empty cell).
    def as_text(name: str) -> pl.Expr:
        return pl.col(name).map_elements(
            lambda values: json.dumps(list(values), ensure_ascii=False) if len(values) else "",
            return_dtype=pl.String,
        )

    typed = [name for name in ("options", "labels") if isinstance(columns.get(name), pl.List)]
    return scan.with_columns(as_text(name).alias(name) for name in typed)


def _with_standard_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    names = frame.collect_schema().names()
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in ("id", "labels") if c not in names]
    as_text = [pl.col(c).cast(pl.String) for c in ("id", "task", "setting", "split", "output", "labels")]
    split = pl.col("split").replace(_SPLIT_ALIASES)
    return frame.with_columns(missing).with_columns(as_text).with_columns(split)


def _hub_files(repo: str) -> list[Path]:
    """Download (or reuse from the cache) one view of the repo's Parquet files.

    The listing is one request with a timeout and no retries, so an offline or unreachable Hub fails
    in seconds; the files are then fetched at the listed commit.
    """
    from huggingface_hub import HfApi

    from ..publish.push import hub_endpoint

    endpoint = hub_endpoint()
    api = HfApi(endpoint=endpoint)
    try:
        info = api.dataset_info(repo, timeout=HUB_TIMEOUT_SECONDS)
        chosen = one_view(sibling.rfilename for sibling in info.siblings or [])
        return [
            Path(api.hf_hub_download(repo, file, repo_type="dataset", revision=info.sha)) for file in chosen
        ]
    except Exception as exc:  # offline, unknown repo, private...: one line, not a traceback
        raise SourceFileError(f"{repo}: cannot load it from {endpoint} ({_hub_reason(exc)})") from None


def _hub_reason(exc: BaseException) -> str:
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled, RepositoryNotFoundError

    local = "or pass a local WORKDIR or export folder"
    if isinstance(exc, RepositoryNotFoundError):
        return f"no such dataset repo, or a private one: check the repo id and your login, {local}"
    if isinstance(exc, OfflineModeIsEnabled):
        return f"HF_HUB_OFFLINE is set; unset it, {local}"
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else None
        return f"the Hub answered HTTP {status}; check the repo id, {local}"
    return f"unreachable: {type(exc).__name__}; check the network and HF_ENDPOINT, {local}"
