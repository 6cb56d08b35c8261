"""Where the bundled data folders live, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = PACKAGE_DIR / "_bundled"
_REPO_ROOT = PACKAGE_DIR.parent


def _data_dir(name: str) -> Path:
    # A wheel carries the folders under _bundled/; a checkout (or editable install) has them at the top.
    bundled = _BUNDLED / name
    return bundled if bundled.is_dir() else _REPO_ROOT / name


def templates_dir() -> Path:
    return _data_dir("templates")


def raw_sources_dir() -> Path:
    return _data_dir("raw_sources")


def recipes_dir() -> Path:
    return PACKAGE_DIR / "recipes"
