"""Amazon product data 2014 metadata (McAuley et al.): Python-literal "loose JSON".

Layout: `amazon2014/meta_{Cat}.json.gz`. Read with `ast.literal_eval` (never `eval`).
Category = the file name.
"""

from __future__ import annotations

import polars as pl

from .base import SourceAdapter


class Amazon2014(SourceAdapter):
    name = "amazon2014"
    tables = {
        "amazon2014_meta": {
            "category": pl.String,
            "asin": pl.String,
            "title": pl.String,
            "brand": pl.String,
            "price": pl.Float64,
            "categories": pl.List(pl.List(pl.String)),
            "description": pl.String,
            "also_bought": pl.List(pl.String),
            "also_viewed": pl.List(pl.String),
            "bought_together": pl.List(pl.String),
            "sales_rank": pl.String,  # JSON-encoded dict
            "line": pl.Int64,
        },
    }

    # TODO(helper): title, licence, homepage, discover, read_file, finalize, remote_files
