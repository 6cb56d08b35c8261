"""Amazon Reviews 2023 (Hou et al. 2024): reviews JSONL and item metadata (JSONL or HF Parquet).

Layout: `amazon2023/{Cat}.jsonl[.gz]`, `amazon2023/meta_{Cat}.jsonl[.gz]` or
`amazon2023/raw_meta_{Cat}/*.parquet`. Category = the file (config) domain.
Not used by the `ecinstruct` recipe; offered because it is the living successor.
"""

from __future__ import annotations

import polars as pl

from .base import SourceAdapter


class Amazon2023(SourceAdapter):
    name = "amazon2023"
    tables = {
        "amazon2023_reviews": {
            "category": pl.String,
            "rating": pl.Float64,
            "title": pl.String,
            "text": pl.String,
            "asin": pl.String,
            "parent_asin": pl.String,
            "user_id": pl.String,
            "timestamp": pl.Int64,  # milliseconds
            "helpful_vote": pl.Int64,
            "verified_purchase": pl.Boolean,
            "line": pl.Int64,
        },
        "amazon2023_meta": {
            "category": pl.String,
            "parent_asin": pl.String,
            "main_category": pl.String,
            "title": pl.String,
            "average_rating": pl.Float64,
            "rating_number": pl.Int64,
            "features": pl.List(pl.String),
            "description": pl.List(pl.String),
            "price": pl.Float64,
            "store": pl.String,
            "categories": pl.List(pl.String),
            "details": pl.String,  # JSON-encoded dict
        },
    }

    # TODO(helper): title, licence, homepage, discover, read_file, finalize, remote_files
