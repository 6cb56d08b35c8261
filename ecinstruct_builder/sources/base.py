"""The contract every source adapter follows.

An adapter knows one upstream dataset: which files it expects under its folder of the source-dir
layout (upstream file names), where to download them, and how to turn them into Polars frames with
an explicit schema. It never decides what a task does with the rows.

Reading is streaming: `read_file` yields `(table, frame)` pieces (a DataFrame batch, or a LazyFrame
for columnar inputs that Polars can scan natively); the fetch runner appends them to
`WORKDIR/sources/<table>/part-*.parquet`. Bad records go to the quarantine with a reason.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from ..quarantine import Quarantine
from ..schema import NoOptions, option

Frame = pl.DataFrame | pl.LazyFrame

# Rows per DataFrame batch for line-oriented inputs: large enough for Polars to be efficient,
# small enough that memory stays flat on multi-GB files.
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class CategoryOptions:
    """Options of a source whose files are per category."""

    categories: tuple[str, ...] = option((), "categories read (upstream file names); empty: every one found")


@dataclass(frozen=True)
class InputFile:
    """One upstream file found on disk; `category` comes from the file name where the source has it."""

    path: Path
    category: str | None = None
    split: str | None = None  # the source's official split, when the file name says it
    note: str | None = None  # a notice for the user about this file (e.g. a fallback was taken)


@dataclass(frozen=True)
class RemoteFile:
    """One upstream file to download: where from (mirrors in order) and where it goes in the layout."""

    urls: tuple[str, ...]
    relative_path: str  # path under the source dir, e.g. "amazon2018/meta_Electronics.json.gz"
    size: int | None = None
    sha256: str | None = None
    manual: str | None = None  # set when the file cannot be fetched automatically: the manual step


class SourceAdapter(ABC):
    """One upstream dataset. Subclasses set the class attributes and implement the methods."""

    #: folder name under the source dir and key under `[sources.*]` in recipes
    name: ClassVar[str]
    #: human name, licence and link, shown in reports and the dataset card
    title: ClassVar[str]
    licence: ClassVar[str]
    homepage: ClassVar[str]
    #: BibTeX entries to cite when using the source (the card lists them)
    citation: ClassVar[str]
    #: table name -> explicit Polars schema of what this adapter writes
    tables: ClassVar[dict[str, dict[str, pl.DataType]]]
    #: the dataclass of its `[sources.NAME]` options, validated when the recipe is loaded
    options_model: ClassVar[type] = NoOptions

    @abstractmethod
    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        """The input files present in `folder` (this source's folder of the layout), sorted."""

    @abstractmethod
    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        """Yield `(table name, frame)` pieces read from one file, each frame in that table's schema."""

    def missing_files(self, folder: Path, options: dict[str, Any], found: list[InputFile]) -> list[str]:
        """Names (relative to `folder`) of the files these options need that `found` lacks. Default: none."""
        return []

    def finalize(self, table: str, frame: pl.LazyFrame) -> pl.LazyFrame:
        """A whole-table step after all files are read (e.g. drop duplicate ASIN rows). Default: none."""
        return frame

    def remote_files(self, options: dict[str, Any]) -> list[RemoteFile]:
        """The files a download of this source fetches for the given recipe options."""
        return []


def present(path: Path) -> bool:
    """Whether anything is at `path`, even a dangling link, a folder or a FIFO: discovery lists it so
    that reading it fails with an error naming it, instead of the file being passed over."""
    return path.exists() or path.is_symlink()


def empty_frame(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def batch_frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Build a DataFrame from row dicts with an explicit schema (never inferred)."""
    return pl.DataFrame(rows, schema=schema, orient="row")
