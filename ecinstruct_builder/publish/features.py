"""The `datasets` features of a published row, the Parquet writer that records them, and the
`dataset_info` of the card.

Every Parquet file carries its features in the Arrow schema metadata (key `huggingface`), as
`Dataset.to_parquet` and `push_to_hub` write them, so `load_dataset` gives `string` and
`List(string)` columns (not the `large_string` polars writes) whoever reads the file. polars cannot
put metadata into the Arrow schema it stores, so the rows stream through pyarrow's writer.

The card's `dataset_info` lists, per config, the features and each split's
examples and bytes (`num_bytes`: uncompressed data, from the Parquet footer; `download_size`: file
bytes), which the Hub shows without opening the files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from ..render import ROW_SCHEMA
from .rowview import parse_loose

if TYPE_CHECKING:
    from .layout import ConfigSpec

PARQUET_KEY = "huggingface"
COMPRESSION = "zstd"
# Published rows are typed. `labels` (ecbuild's column: QPR's per-option ESCI labels) is a list of
# strings in every config, null where a task has none. The other configs also type NingLab's columns:
# `options` a list of strings (empty when a task has none) and an absent `few_shot_example` null, like
# `labels`; NingLab's table keeps those as the text cells eCeLLM's scripts read ('' when absent).
TABLE_SCHEMA: dict[str, pl.DataType] = {**ROW_SCHEMA, "labels": pl.List(pl.String)}
TYPED_SCHEMA: dict[str, pl.DataType] = {**TABLE_SCHEMA, "options": pl.List(pl.String)}


def _blank(column: str) -> pl.Expr:
    text = pl.col(column)
    return text.is_null() | (text.str.strip_chars() == "")


def table_columns() -> list[pl.Expr]:
    """Rendered rows -> TABLE_SCHEMA: labels decoded from their JSON list text, null when absent."""
    labels = (
        pl.when(_blank("labels")).then(None).otherwise(pl.col("labels").str.json_decode(pl.List(pl.String)))
    )
    return [labels.alias("labels")]


OPTION_LIST = pl.List(pl.String)


def option_lists(cells: pl.Series) -> pl.Series:
    """Options cells as lists ('' = none): JSON in one vectorised pass, or, for a batch that holds
    Python str(list) cells (SR in the published row format), cell by cell."""
    text = cells.fill_null("").str.strip_chars().replace("", "[]")
    try:
        return text.str.json_decode(OPTION_LIST)
    except pl.exceptions.ComputeError:
        lists = [parse_loose(cell) for cell in text]
        bad = next(
            (cell for cell, value in zip(text, lists, strict=True) if not isinstance(value, list)), None
        )
        if bad is not None:
            raise ValueError(f"an options cell is neither a JSON nor a Python list: {bad[:80]!r}") from None
        return pl.Series(cells.name, [[str(o) for o in value] for value in lists], dtype=OPTION_LIST)


def typed_columns() -> list[pl.Expr]:
    """Rendered rows -> TYPED_SCHEMA: options and labels decoded from their list text, '' examples
    null."""
    return [
        *table_columns(),
        pl.col("options").map_batches(option_lists, return_dtype=OPTION_LIST).alias("options"),
        pl.when(pl.col("few_shot_example") == "")
        .then(None)
        .otherwise(pl.col("few_shot_example"))
        .alias("few_shot_example"),
    ]


def _value(dtype: pl.DataType) -> dict[str, Any]:
    if dtype == pl.String:
        return {"dtype": "string", "_type": "Value"}
    if isinstance(dtype, pl.List):
        return {"feature": _value(dtype.inner), "_type": "List"}
    if isinstance(dtype, pl.Struct):  # a struct is a plain mapping of its fields in `datasets`
        return {f.name: _value(f.dtype) for f in dtype.fields}
    raise ValueError(f"no `datasets` feature for {dtype}")  # a new column type needs a line here


def features(schema: dict[str, pl.DataType]) -> dict[str, dict[str, Any]]:
    """The features of a polars schema, in `datasets.Features.to_dict()` form."""
    return {name: _value(dtype) for name, dtype in schema.items()}


def _arrow_type(dtype: pl.DataType) -> pa.DataType:
    if isinstance(dtype, pl.List):
        return pa.list_(_arrow_type(dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pa.struct([pa.field(f.name, _arrow_type(f.dtype)) for f in dtype.fields])
    return pa.string()


def arrow_schema(schema: dict[str, pl.DataType]) -> pa.Schema:
    """A polars schema as Arrow types, with its features in the schema metadata."""
    fields = [pa.field(name, _arrow_type(dtype)) for name, dtype in schema.items()]
    return pa.schema(fields, metadata={PARQUET_KEY: json.dumps({"info": {"features": features(schema)}})})


def file_features(path: Path) -> dict[str, dict[str, Any]]:
    """The features a Parquet file written by `write_rows` declares."""
    metadata = pq.read_schema(path).metadata or {}
    return json.loads(metadata[PARQUET_KEY.encode()])["info"]["features"]


def _fixed_groups(batches: Iterable[pa.Table], size: int) -> Iterator[pa.Table]:
    """The rows re-cut into tables of exactly `size` rows (the last may be shorter): row groups then
    fall at the same rows whatever batch sizes the query engine produced, so the bytes are stable."""
    pending: list[pa.Table] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= size:
            table = pa.concat_tables(pending)
            yield table.slice(0, size)
            rest = table.slice(size)
            pending, held = [rest], rest.num_rows
    if held:
        yield pa.concat_tables(pending)


class _Shards:
    """Parquet files `target(0)`, `target(1)`, ...: a new one starts before a row group would take
    the current one past `max_bytes` of Arrow data, the measure `push_to_hub`'s max_shard_size
    uses (the files are smaller: compressed)."""

    def __init__(self, target: Callable[[int], Path], schema: pa.Schema, max_bytes: int) -> None:
        self._target, self._schema, self._max_bytes = target, schema, max_bytes
        self.count = 0
        self._writer: pq.ParquetWriter | None = None
        self._held = 0  # Arrow bytes in the current shard

    def write(self, table: pa.Table) -> None:
        if self._writer is not None and self._held + table.nbytes > self._max_bytes:
            self.close()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._target(self.count), self._schema, compression=COMPRESSION)
            self.count += 1
            self._held = 0
        self._writer.write_table(table, row_group_size=table.num_rows)
        self._held += table.nbytes

    def close(self) -> None:
        if self._writer is None and self.count == 0:  # no row at all: one empty file, so the split loads
            self._writer = pq.ParquetWriter(self._target(0), self._schema, compression=COMPRESSION)
            self.count = 1
        if self._writer is not None:
            self._writer.close()
        self._writer = None


def write_rows(
    rows: pl.LazyFrame,
    target: Callable[[int], Path],
    row_group_rows: int,
    schema: dict[str, pl.DataType],
    max_bytes: int,
) -> int:
    """Stream `rows` (of `schema`) into Parquet shards `target(i)` whose Arrow schema carries the
    features; returns how many shards were written."""
    arrow = arrow_schema(schema)
    batches = (b.to_arrow().cast(arrow) for b in rows.collect_batches(chunk_size=row_group_rows))
    shards = _Shards(target, arrow, max_bytes)
    try:
        for table in _fixed_groups(batches, row_group_rows):
            shards.write(table)
    finally:
        shards.close()
    return shards.count


def _yaml_type(value: dict[str, Any]) -> Any:
    # The card's YAML form: a dtype for a value, {list: ...} for a list, a field list for a struct.
    if value.get("_type") == "Value":
        return value["dtype"]
    if value.get("_type") == "List":
        return {"list": _yaml_type(value["feature"])}
    return [_yaml_feature(name, inner) for name, inner in value.items()]


def _yaml_feature(name: str, value: dict[str, Any]) -> dict[str, Any]:
    kind = _yaml_type(value)
    if isinstance(kind, str):
        return {"name": name, "dtype": kind}
    if isinstance(kind, list):
        return {"name": name, "struct": kind}
    return {"name": name, **kind}


def data_bytes(path: Path) -> int:
    """Uncompressed size of a Parquet file's data, from its footer (no row is read)."""
    metadata = pq.read_metadata(path)
    return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))


def dataset_info(
    configs: list[ConfigSpec], root: Path, shards: dict[tuple[str, str], list[str]]
) -> list[dict[str, Any]]:
    """One `dataset_info` entry per config, from the shards written under `root` ((config, split) ->
    their paths)."""
    entries = []
    for config in configs:
        files = {s.split: [root / p for p in shards[config.name, s.split]] for s in config.splits}
        declared = file_features(next(iter(files.values()))[0])
        splits = [
            {"name": s.split, "num_bytes": sum(map(data_bytes, files[s.split])), "num_examples": s.rows}
            for s in config.splits
        ]
        entries.append(
            {
                "config_name": config.name,
                "features": [_yaml_feature(n, v) for n, v in declared.items()],
                "splits": splits,
                "download_size": sum(p.stat().st_size for paths in files.values() for p in paths),
                "dataset_size": sum(s["num_bytes"] for s in splits),
            }
        )
    return entries
