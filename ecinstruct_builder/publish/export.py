"""`ecbuild export`: the files `ecbuild push` uploads, written to a local folder.

The folder holds `data/<config>/<split>-00000-of-00001.parquet`, the card (`README.md`), the recipe
(`recipe.toml`) and `manifest.json` (recipe hash, input file hashes, counts and the SHA-256 of every
other file). With `--format`, training/ holds ECInstruct proper per split in each training layout,
each format's card, and LLaMA-Factory's `dataset_info.json` (publish/formats.py), and the same rows
go to a Parquet config per format (publish/layout.py), which push uploads. It is built in a
sibling temporary folder and moved into place at the end, so an interrupted export never leaves a
half-written dataset behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .. import __version__
from ..errors import EcbuildError
from ..io import atomic_path, sha256_file, write_json
from .card import RECIPE_FILE, build_card
from .features import dataset_info
from .formats import (
    FORMAT_CARD,
    LLAMA_FACTORY_INFO,
    format_card,
    llama_factory_info,
    training_file_name,
    write_training_file,
)
from .layout import (
    MAX_SHARD_BYTES,
    ConfigSpec,
    SplitSpec,
    plan_layout,
    row_counts,
    scan_split,
    training_splits,
    write_split,
)
from .workdir import Build

MANIFEST_FILE = "manifest.json"
CARD_FILE = "README.md"
TRAINING_DIR = "training"
LLAMA_FACTORY_PREFIX = "ecinstruct"


@dataclass(frozen=True)
class ExportedFile:
    path: str  # POSIX path inside the export
    bytes: int
    sha256: str


@dataclass
class ExportResult:
    out: Path
    files: list[ExportedFile]  # what push uploads, manifest.json included, sorted by path
    configs: list[ConfigSpec]
    training: list[str] = field(default_factory=list)  # the files of --format, not uploaded


def _describe(root: Path, paths: Iterable[Path]) -> list[ExportedFile]:
    return sorted(
        (ExportedFile(p.relative_to(root).as_posix(), p.stat().st_size, sha256_file(p)) for p in paths),
        key=lambda f: f.path,
    )


def is_export(folder: Path) -> bool:
    """True when `folder` holds an earlier ecbuild export (its manifest says so)."""
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator", {}).get("name") == "ecbuild"


def _check_target(out: Path) -> None:
    # An earlier export is replaced; anything else the user keeps there is never deleted.
    if out.exists() and not out.is_dir():
        raise EcbuildError(f"--out {out} is a file; choose a folder")
    if out.is_dir() and any(out.iterdir()) and not is_export(out):
        raise EcbuildError(
            f"--out {out} is not empty and holds no ecbuild export; choose a new or empty folder"
        )


def _manifest(
    build: Build,
    configs: list[ConfigSpec],
    files: list[ExportedFile],
    shards: dict[tuple[str, str], list[str]],
) -> dict[str, object]:
    recipe = build.recipe
    inputs = [
        {k: f.get(k) for k in ("source", "path", "category", "split", "bytes", "sha256")}
        for f in build.sources.get("files", [])
    ]
    return {
        "generator": {"name": "ecbuild", "version": __version__},
        "recipe": {"name": recipe.name, "hash": recipe.hash, "seed": recipe.seed, "file": RECIPE_FILE},
        "inputs": inputs,
        "quarantined": build.sources.get("quarantine", {}).get("rows", 0),
        "configs": {
            c.name: {s.split: {"files": shards[c.name, s.split], "rows": s.rows} for s in c.splits}
            for c in configs
        },
        "files": [{"path": f.path, "bytes": f.bytes, "sha256": f.sha256} for f in files],
    }


def _write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _write_training(
    build: Build, splits: Sequence[SplitSpec], staging: Path, formats: Sequence[str]
) -> list[str]:
    """Each format's split files and card under training/, then LLaMA-Factory's dataset_info.json."""
    root = staging / TRAINING_DIR
    names = [s.split for s in splits]
    written = []
    for fmt in formats:
        for spec in splits:
            write_training_file(scan_split(build, spec), fmt, root / training_file_name(fmt, spec.split))
        _write_text(root / fmt / FORMAT_CARD, format_card(fmt, names))
        written += [*(training_file_name(fmt, s) for s in names), f"{fmt}/{FORMAT_CARD}"]
    info = llama_factory_info(formats, names, LLAMA_FACTORY_PREFIX)
    if info:
        write_json(root / LLAMA_FACTORY_INFO, info)
        written.append(LLAMA_FACTORY_INFO)
    return [f"{TRAINING_DIR}/{path}" for path in written]


def write_export(
    build: Build,
    staging: Path,
    *,
    repo_id: str | None = None,
    formats: Iterable[str] = (),
    progress: bool = True,
    carried: Sequence[dict[str, Any]] = (),
    max_shard_bytes: int = MAX_SHARD_BYTES,
) -> ExportResult:
    """Write every file into `staging` (an empty folder); `carried` goes to the card (see build_card)."""
    counts = row_counts(build)
    formats = list(formats)
    configs = plan_layout(build, counts, formats)
    splits = [s for c in configs for s in c.splits]
    shards = {
        (s.config, s.split): write_split(build, s, staging, max_shard_bytes)
        for s in tqdm(splits, desc="export", unit="split", disable=not progress)
    }
    written = [p for paths in shards.values() for p in paths]
    names = {key: [p.relative_to(staging).as_posix() for p in paths] for key, paths in shards.items()}
    info = dataset_info(configs, staging, names)
    recipe_copy = staging / RECIPE_FILE
    shutil.copyfile(build.recipe.path, recipe_copy)
    card_path = staging / CARD_FILE
    _write_text(card_path, str(build_card(build, configs, counts, info, repo_id, carried)))
    files = _describe(staging, [*written, recipe_copy, card_path])
    write_json(staging / MANIFEST_FILE, _manifest(build, configs, files, names))
    files = sorted([*files, *_describe(staging, [staging / MANIFEST_FILE])], key=lambda f: f.path)
    training = _write_training(build, training_splits(build, counts), staging, formats)
    return ExportResult(out=staging, files=files, configs=configs, training=training)


def export_dataset(
    build: Build,
    out: Path,
    *,
    repo_id: str | None = None,
    formats: Iterable[str] = (),
    progress: bool = True,
    carried: Sequence[dict[str, Any]] = (),
    max_shard_bytes: int = MAX_SHARD_BYTES,
) -> ExportResult:
    """Write the export to `out`, replacing an earlier export there; nothing changes in `out` on failure."""
    _check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        result = write_export(
            build,
            staging,
            repo_id=repo_id,
            formats=formats,
            progress=progress,
            carried=carried,
            max_shard_bytes=max_shard_bytes,
        )
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    result.out = out
    return result
