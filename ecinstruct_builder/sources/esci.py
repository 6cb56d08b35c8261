"""Shopping Queries Dataset / ESCI (Reddy et al. 2022): examples + products Parquet, sources CSV.

Layout: `esci/shopping_queries_dataset_{examples,products}.parquet`,
`esci/shopping_queries_dataset_sources.csv`. Joined on (product_locale, product_id).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import polars as pl

from ..errors import SourceFileError
from ..io import open_binary, require_readable
from ..quarantine import Quarantine
from ..schema import option
from ._common import csv_rows, string_list_option
from ._fastjson import decode_entities_lazy
from .base import Frame, InputFile, RemoteFile, SourceAdapter, present

EXAMPLES = "shopping_queries_dataset_examples.parquet"
PRODUCTS = "shopping_queries_dataset_products.parquet"
SOURCES = "shopping_queries_dataset_sources.csv"
_NAMES = (EXAMPLES, PRODUCTS, SOURCES)
_RAW_URL = "https://github.com/amazon-science/esci-data/raw/main/shopping_queries_dataset"
_JOIN_KEY = ["product_locale", "product_id"]
_SOURCES_HEADER = ("query_id", "source")
# Upstream's query sources are lower-case identifiers ("parse_pattern"); anything else is debris.
_LABEL = re.compile(r"[a-z_]*")


@dataclass(frozen=True)
class EsciOptions:
    locales: tuple[Literal["us", "es", "jp"], ...] = option(("us",), "product locales kept")


class Esci(SourceAdapter):
    options_model = EsciOptions
    name = "esci"
    tables: ClassVar[dict[str, dict[str, pl.DataType]]] = {
        "esci": {
            "example_id": pl.Int64,
            "query": pl.String,
            "query_id": pl.Int64,
            "product_id": pl.String,
            "product_locale": pl.String,
            "esci_label": pl.String,  # E / S / C / I
            "small_version": pl.Int64,
            "large_version": pl.Int64,
            "split": pl.String,  # train / test (upstream)
            "product_title": pl.String,
            "product_description": pl.String,
            "product_bullet_point": pl.String,
            "product_brand": pl.String,
            "product_color": pl.String,
            "query_source": pl.String,  # from sources.csv, null when absent
        },
    }

    title = "Shopping Queries Dataset (ESCI)"
    licence = "Apache-2.0"
    homepage = "https://github.com/amazon-science/esci-data"
    citation = r"""@article{reddy2022shopping,
  title   = {Shopping Queries Dataset: A Large-Scale {ESCI} Benchmark for Improving Product Search},
  author  = {Reddy, Chandan K. and M{\`a}rquez, Llu{\'i}s and Valero, Fran and
             Rao, Nikhil and Zaragoza, Hugo and Bandyopadhyay, Sambaran and Biswas, Arnab and Xing, Anlu and
             Subbian, Karthik},
  journal = {arXiv preprint arXiv:2206.06588},
  year    = {2022},
  doi     = {10.48550/arXiv.2206.06588}
}"""

    def discover(self, folder: Path, options: dict[str, Any]) -> list[InputFile]:
        """The three upstream files that are present (all are listed so their changes are noticed)."""
        return [InputFile(path=folder / name) for name in sorted(_NAMES) if present(folder / name)]

    def missing_files(self, folder: Path, options: dict[str, Any], found: list[InputFile]) -> list[str]:
        return [name for name in _NAMES if not present(folder / name)]

    def read_file(
        self, file: InputFile, options: dict[str, Any], quarantine: Quarantine
    ) -> Iterator[tuple[str, Frame]]:
        """One lazy join when given the examples file; the other two files are read as part of it.

        Option `locales` (default ["us"], empty = all) is applied to both Parquet scans before the join.
        """
        folder = file.path.parent
        if file.path.name != EXAMPLES:
            require_readable(folder / EXAMPLES)  # the join below is driven by the examples file
            return
        locales = string_list_option(options, "locales", self.name, default=("us",))
        examples = _scan(file.path, _EXAMPLE_COLUMNS)
        products = _scan(folder / PRODUCTS, _PRODUCT_COLUMNS)
        if locales:
            examples = examples.filter(pl.col("product_locale").is_in(locales))
            products = products.filter(pl.col("product_locale").is_in(locales))
        query_sources = _read_sources(folder / SOURCES, self.name, quarantine)
        joined = examples.join(products, on=_JOIN_KEY, how="left", maintain_order="left").join(
            query_sources.lazy(), on="query_id", how="left", maintain_order="left"
        )
        yield self.name, decode_entities_lazy(joined.select(list(_TABLE)), _TEXT)

    def remote_files(self, options: dict[str, Any]) -> list[RemoteFile]:
        """The three files from the GitHub repository (the Parquets are served through Git LFS)."""
        return [
            RemoteFile(urls=(f"{_RAW_URL}/{name}",), relative_path=f"{self.name}/{name}")
            for name in (EXAMPLES, PRODUCTS, SOURCES)
        ]


_TABLE = Esci.tables["esci"]
_EXAMPLE_COLUMNS = {
    name: _TABLE[name]
    for name in (
        "example_id",
        "query",
        "query_id",
        "product_id",
        "product_locale",
        "esci_label",
        "small_version",
        "large_version",
        "split",
    )
}
_PRODUCT_COLUMNS = {
    name: _TABLE[name]
    for name in (
        "product_id",
        "product_locale",
        "product_title",
        "product_description",
        "product_bullet_point",
        "product_brand",
        "product_color",
    )
}

# Text columns whose HTML entities are decoded.
_TEXT = (
    "query",
    "product_title",
    "product_description",
    "product_bullet_point",
    "product_brand",
    "product_color",
)


def _compatible(found: pl.DataType, wanted: pl.DataType) -> bool:
    # Any integer width casts losslessly to Int64; strings must already be strings.
    return found == wanted or (wanted == pl.Int64 and found.is_integer())


def _scan(path: Path, columns: dict[str, pl.DataType]) -> pl.LazyFrame:
    """A lazy scan of the needed columns, cast to the table dtypes; SourceFileError if any is missing."""
    require_readable(path)
    try:
        schema = pl.scan_parquet(path).collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise SourceFileError(f"{path}: not a readable Parquet file ({exc}); re-download it") from exc
    missing = [name for name in columns if name not in schema]
    if missing:
        raise SourceFileError(
            f"{path}: missing column(s) {', '.join(missing)}; re-download the original file"
        )
    wrong = [
        f"{name} is {schema[name]}" for name, dtype in columns.items() if not _compatible(schema[name], dtype)
    ]
    if wrong:
        raise SourceFileError(
            f"{path}: unexpected column type(s): {', '.join(wrong)}; re-download the original file"
        )
    _check_fits(path, [name for name in columns if schema[name] == pl.UInt64])
    return pl.scan_parquet(path).select(pl.col(name).cast(dtype) for name, dtype in columns.items())


_INT64_MAX = 2**63 - 1


def _check_fits(path: Path, unsigned: list[str]) -> None:
    """SourceFileError when a UInt64 column holds a value Int64 cannot (an id of 2**63 or more)."""
    if not unsigned:
        return
    largest = pl.scan_parquet(path).select(pl.col(unsigned).max()).collect().row(0)
    too_big = [
        (name, value) for name, value in zip(unsigned, largest, strict=True) if (value or 0) > _INT64_MAX
    ]
    if too_big:
        name, value = too_big[0]
        raise SourceFileError(
            f"{path}: column {name} holds {value}, larger than a 64-bit signed integer can hold "
            "(upstream ids are smaller); re-download the original file"
        )


def _read_sources(path: Path, source: str, quarantine: Quarantine) -> pl.DataFrame:
    """sources.csv as (query_id, query_source); a small file (1.7 MB), so it is read whole."""
    kept: dict[int, tuple[int, str | None]] = {}  # query_id -> (line, source), in file order
    with open_binary(path) as handle:
        # a query id and a label never hold a line break: a record spanning lines is a stray quote's
        records = csv_rows(handle, str(path), _SOURCES_HEADER, source, quarantine, multiline=False)
        for line, raw, (query_id, label) in records:
            reason = _sources_row_problem(query_id, label, kept)
            if reason is not None:
                quarantine.add(source=source, file=str(path), line=line, raw=raw, reason=reason)
                continue
            kept[int(query_id)] = (line, label or None)
    return pl.DataFrame(
        {"query_id": list(kept), "query_source": [label for _, label in kept.values()]},
        schema={"query_id": pl.Int64, "query_source": pl.String},
    )


def _sources_row_problem(query_id: str, label: str, kept: dict[int, tuple[int, str | None]]) -> str | None:
    """Why a sources.csv row cannot be used, or None. A repeated query keeps its first row."""
    if not (query_id.isascii() and query_id.isdigit()):
        return f"query_id is not an integer: {query_id!r}"
    if int(query_id) in kept:
        return f"duplicate query_id {query_id} (first on line {kept[int(query_id)][0]})"
    if not _LABEL.fullmatch(label):
        return f"source is not a label: {label!r}"
    return None
