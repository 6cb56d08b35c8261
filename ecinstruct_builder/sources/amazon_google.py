"""Leipzig Amazon-GoogleProducts entity-resolution benchmark (Koepcke, Thor, Rahm).

Layout: `amazon_google/Amazon.csv`, `GoogleProducts.csv`, `Amzon_GoogleProducts_perfectMapping.csv`
(misspelled upstream), or `amazon_google/Amazon-GoogleProducts.zip` holding them. Not clean UTF-8.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, ClassVar

import polars as pl

from ..errors import SourceFileError
from ..io import open_binary, require_readable
from ..quarantine import Quarantine
from ._common import batched, csv_rows
from ._fastjson import decode_entities
from .base import Frame, InputFile, RemoteFile, SourceAdapter, present

ARCHIVE = "Amazon-GoogleProducts.zip"
_URLS = (
    "https://dbs.uni-leipzig.de/files/datasets/Amazon-GoogleProducts.zip",
    "https://dbs.uni-leipzig.de/file/Amazon-GoogleProducts.zip",
)
# A price such as "12.99", "$1,299.00" or "12.99 gbp" (Google prices may carry a currency suffix).
_PRICE = r"^\s*\$?\s*(\d[\d,]*(?:\.\d+)?)\s*(?:[A-Za-z]{3})?\s*$"


@dataclass(frozen=True)
class _Layout:
    """One upstream CSV: its exact header, the table column per header field, and the fields that
    must not be empty."""

    header: tuple[str, ...]
    columns: tuple[str, ...]
    required: tuple[str, ...]
    table: str
    side: str | None = None  # products only: which catalogue the file is


_PRODUCTS = "amazon_google_products"
_MAPPING = "amazon_google_mapping"
_PRODUCT_COLUMNS = ("id", "title", "description", "manufacturer", "price")
# The mapping's upstream name is misspelled ("Amzon"); the corrected spelling is accepted too.
_MAPPING_NAMES = ("Amzon_GoogleProducts_perfectMapping.csv", "Amazon_GoogleProducts_perfectMapping.csv")
_FILES = {
    "Amazon.csv": _Layout(_PRODUCT_COLUMNS, _PRODUCT_COLUMNS, ("id",), _PRODUCTS, "amazon"),
    # Google calls the title `name`.
    "GoogleProducts.csv": _Layout(
        ("id", "name", "description", "manufacturer", "price"), _PRODUCT_COLUMNS, ("id",), _PRODUCTS, "google"
    ),
    **{
        name: _Layout(
            ("idAmazon", "idGoogleBase"), ("id_amazon", "id_google"), ("idAmazon", "idGoogleBase"), _MAPPING
        )
        for name in _MAPPING_NAMES
    },
}
# The three files the benchmark needs; within a group, the first name present is read.
_WANTED = (("Amazon.csv",), ("GoogleProducts.csv",), _MAPPING_NAMES)


class AmazonGoogle(SourceAdapter):
    name = "amazon_google"
    tables: ClassVar[dict[str, dict[str, pl.DataType]]] = {
        "amazon_google_products": {
            "side": pl.String,  # "amazon" or "google"
            "id": pl.String,
            "title": pl.String,  # Google's `name` is mapped to `title`
            "description": pl.String,
            "manufacturer": pl.String,
            "price": pl.String,  # raw upstream string (Google prices may carry a currency suffix)
            "price_value": pl.Float64,
            "line": pl.Int64,
        },
        "amazon_google_mapping": {
            "id_amazon": pl.String,
            "id_google": pl.String,
            "line": pl.Int64,
        },
    }

    title = "Amazon-GoogleProducts entity-resolution benchmark (Leipzig)"
    licence = "CC BY 4.0"
    homepage = "https://dbs.uni-leipzig.de/research/projects/benchmark-datasets-for-entity-resolution"
    citation = r"""@article{kopcke2010evaluation,
  title   = {Evaluation of Entity Resolution Approaches on Real-World Match Problems},
  author  = {K{\"o}pcke, Hanna and Thor, Andreas and Rahm, Erhard},
  journal = {Proceedings of the VLDB Endowment},
  volume  = {3},
  number  = {1-2},
  pages   = {484--493},
  year    = {2010},
  doi     = {10.14778/1920841.1920904}
}"""

    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        """The zip when present (the original download), else the extracted CSVs that are present."""
        if present(folder / ARCHIVE):
            return [InputFile(path=folder / ARCHIVE)]
        names, _ = _choose(lambda name: present(folder / name))
        return [InputFile(path=folder / name) for name in sorted(names)]

    def missing_files(self, folder: Path, options: dict[str, Any], found: list[InputFile]) -> list[str]:
        """Without the zip, the CSVs that are absent (any one of the mapping's two spellings will do)."""
        return [] if present(folder / ARCHIVE) else _choose(lambda name: present(folder / name))[1]

    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        """A CSV yields its own table; the zip yields all three, read without extracting to disk."""
        if file.path.name == ARCHIVE:
            yield from self._read_archive(file.path, quarantine)
            return
        with open_binary(file.path) as handle:
            yield from self._read_csv(handle, file.path.name, str(file.path), quarantine)

    def remote_files(self, options: dict[str, Any]) -> list[RemoteFile]:
        return [RemoteFile(urls=_URLS, relative_path=f"{self.name}/{ARCHIVE}")]

    def _read_archive(self, path: Path, quarantine: Quarantine) -> Iterator[tuple[str, Frame]]:
        require_readable(path)
        try:
            with zipfile.ZipFile(path) as archive:
                # Members are matched by base name, whatever folder the archive puts them in.
                members = {PurePosixPath(info.filename).name: info.filename for info in archive.infolist()}
                names, missing = _choose(members.__contains__)
                if missing:
                    raise SourceFileError(f"{path}: the archive has no {', '.join(missing)}; re-download it")
                for name in names:
                    with archive.open(members[name]) as handle:
                        yield from self._read_csv(handle, name, f"{path}/{members[name]}", quarantine)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise SourceFileError(f"{path}: not a readable zip archive ({exc}); re-download it") from exc

    def _read_csv(
        self, handle: IO[bytes], name: str, file: str, quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        layout = _FILES[name]
        rows = _rows(
            csv_rows(handle, file, layout.header, self.name, quarantine), layout, file, self.name, quarantine
        )
        schema = {column: pl.String for column in layout.columns} | {"line": pl.Int64}
        for table, frame in batched(layout.table, rows, schema):
            if layout.side is not None:
                frame = decode_entities(frame, ("title", "description", "manufacturer")).with_columns(
                    side=pl.lit(layout.side), price_value=_price_value(pl.col("price"))
                )
            yield table, frame.select(list(self.tables[table]))


def _choose(present: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """(the file names to read, the needed files that are absent) given which names are present."""
    chosen: list[str] = []
    missing: list[str] = []
    for group in _WANTED:
        found = next((name for name in group if present(name)), None)
        if found is None:
            missing.append(group[0])
        else:
            chosen.append(found)
    return chosen, missing


def _rows(
    records: Iterator[tuple[int, str, list[str]]],
    layout: _Layout,
    file: str,
    source: str,
    quarantine: Quarantine,
) -> Iterator[dict[str, Any]]:
    """Row dicts keyed by table column (empty fields -> null); rows missing a required field -> quarantine."""
    for line, raw, fields in records:
        values = dict(zip(layout.header, (field or None for field in fields), strict=True))
        missing = [name for name in layout.required if values[name] is None]
        if missing:
            quarantine.add(
                source=source, file=file, line=line, raw=raw, reason=f"missing required field {missing[0]}"
            )
            continue
        row = {column: values[name] for name, column in zip(layout.header, layout.columns, strict=True)}
        row["line"] = line
        yield row


def _price_value(price: pl.Expr) -> pl.Expr:
    """The number in a price string, null when there is none."""
    return price.str.extract(_PRICE, 1).str.replace_all(",", "").cast(pl.Float64)
