"""A task's candidates on disk while its quotas are filled, so memory holds only what selection needs.

The splitter orders, assigns and counts rows by a few key columns; a candidate's text, options and
lineage matter only for the rows the quotas reach (the expensive clean steps, rejects, rendering).
So a task's candidates stream from its builder in batches: each batch is cleaned and cheap-filtered
(by the caller), its split bucket and selection order are computed (once: `split.assign_buckets`),
its full rows go to a Parquet part sorted by order, and memory keeps only the key columns, bucket and
order, the others as nulls so that every frame still has the candidate schema, plus each part's
sorted orders. `attach` brings back the full rows of the rows offered: selection offers rows in
order, so in each part they lie in one short run of rows, which is all that is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from .errors import EcbuildError
from .split import assign_buckets

KEY_COLUMNS = ("candidate_id", "group_key", "domain", "official_split")  # what the splitter reads
ROW = "_row"  # a candidate's position in the store: the key that brings its full row back
ROW_GROUP_ROWS = 16_384  # a read of a run of rows decodes at most a row group more than it needs


@dataclass
class CandidateStore:
    folder: Path
    seed: int
    task: str  # salts the selection order
    row_level: bool = False  # random split mode: rows placed one by one (split.by_row)
    columns: list[str] = field(default_factory=list)  # the candidate columns, in order
    parts: list[Path] = field(default_factory=list)
    orders: list[np.ndarray] = field(default_factory=list)  # per part, its rows' orders (sorted)
    rows: int = 0

    def add(self, batch: pl.DataFrame) -> pl.DataFrame:
        """Store a batch of candidates; return its key columns, `bucket`, `halve`, `order` and `_row`
        (the other candidate columns null)."""
        self.columns = batch.columns
        numbered = assign_buckets(
            batch.with_columns(pl.int_range(self.rows, self.rows + batch.height, dtype=pl.Int64).alias(ROW)),
            self.seed,
            self.task,
            self.row_level,
        )
        self.rows += batch.height
        stored = numbered.sort("order", ROW)
        part = self.folder / f"part-{len(self.parts):05d}.parquet"
        part.parent.mkdir(parents=True, exist_ok=True)
        stored.drop("bucket", "halve", "order").write_parquet(part, row_group_size=ROW_GROUP_ROWS)
        self.parts.append(part)
        self.orders.append(stored["order"].to_numpy())
        keys = [
            pl.col(name) if name in KEY_COLUMNS else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in batch.schema.items()
        ]
        return numbered.select(*keys, "bucket", "halve", "order", ROW)

    def attach(self, rows: pl.DataFrame) -> pl.DataFrame:
        """`rows` (from `add`, plus the splitter's columns) with their stored columns filled in."""
        stored = [name for name in self.columns if name not in KEY_COLUMNS]
        if rows.is_empty() or not stored:
            return rows
        wanted = pl.col(ROW).is_in(rows[ROW].implode())
        low, high = rows["order"].min(), rows["order"].max()
        runs = []
        for part, orders in zip(self.parts, self.orders, strict=True):
            start = np.searchsorted(orders, low, side="left")
            stop = np.searchsorted(orders, high, side="right")
            if stop > start:
                runs.append(pl.scan_parquet(part).slice(int(start), int(stop - start)))
        found = pl.concat(runs).filter(wanted).select(ROW, *stored).collect() if runs else None
        if found is None or found.height != rows.height:
            # rows carry the orders `add` gave them, so their full rows lie in these runs
            raise EcbuildError("internal: candidate rows offered with orders the store did not give them")
        full = rows.drop(stored).join(found, on=ROW, how="left", maintain_order="left")
        return full.select(rows.columns)
