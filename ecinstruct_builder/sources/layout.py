"""Checks on a source dir as a whole, so that a wrong path or a missing file fails with a message
saying what was expected and what was found, instead of every source being skipped in silence."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..errors import SourceFileError
from ..quarantine import Quarantine

# How many found names an error or notice lists before it says "...".
_SHOWN = 8
# Written by `ecbuild synth` at the top of the folder it fills; fetch records it in the manifest, so
# whatever is built from those files knows it holds no upstream text.
SYNTHETIC_MARKER = "SYNTHETIC.json"


def synthetic_origin(root: Path) -> dict[str, Any] | None:
    """How `ecbuild synth` made the files under `root` (its seed and scale), or None when it did not."""
    try:
        marker = json.loads((root / SYNTHETIC_MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def synthetic_marker(made: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The marker of a folder `ecbuild synth` filled: each source's scale and seed (sources can be
    written one at a time, at different scales), and the scale and seed of all where they agree."""
    marker: dict[str, Any] = {"generator": "ecbuild synth", "sources": dict(sorted(made.items()))}
    settings = {(entry["scale"], entry["seed"]) for entry in made.values()}
    if len(settings) == 1:
        ((marker["scale"], marker["seed"]),) = settings
    return marker


def check_source_dir(root: Path, sources: Collection[str]) -> None:
    """SourceFileError unless `root` holds a folder of at least one of `sources`; when the folders
    are one level off (`root` is one of them, or holds a folder that holds them) it says where."""
    if any((root / name).is_dir() for name in sources):
        return
    expected = ", ".join(sorted(sources))
    if root.name in sources:
        raise SourceFileError(f"--source-dir {root} is the {root.name} folder itself; pass {root.parent}")
    for child in sorted(path for path in root.iterdir() if path.is_dir()):
        if any((child / name).is_dir() for name in sources):
            raise SourceFileError(f"--source-dir {root} holds the source folders a level down; pass {child}")
    found = _names(root)
    raise SourceFileError(
        f"--source-dir {root} holds none of the recipe's source folders ({expected}); "
        f"found {found or 'nothing'}; lay it out as `ecbuild fetch --help` shows"
    )


def missing_files_error(folder: Path, missing: list[str]) -> SourceFileError:
    """The files the recipe needs that are absent, and what the folder holds instead."""
    return SourceFileError(
        f"{folder}: the recipe needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
        f"not there (found: {_names(folder) or 'nothing'}); add the upstream file(s) or remove the "
        "category from the recipe"
    )


def no_input_note(source: str, folder: Path, options: dict[str, Any]) -> str:
    """Why a present folder gave no input files: which categories the recipe expects, what is there."""
    categories = options.get("categories") or []
    wanted = f" for categories {', '.join(categories)}" if categories else ""
    found = _names(folder) if folder.is_dir() else ""
    return f"{source}: no input files under {folder}{wanted}" + (f" (found: {found})" if found else "")


def _names(folder: Path) -> str:
    names = sorted(path.name for path in folder.iterdir())
    return ", ".join(names[:_SHOWN]) + (", ..." if len(names) > _SHOWN else "")


def all_quarantined_error(path: Path, quarantine: Quarantine) -> SourceFileError:
    """A file none of whose records could be read: it is not what its name says (UTF-16, junk...)."""
    reasons = [row["reason"] for row in quarantine.rows if row["file"] == str(path)]
    return SourceFileError(
        f"{path}: every record ({len(reasons)}) is unreadable, first: {reasons[0]}; "
        "is this the original upstream file?"
    )
