"""Amazon Review Data 2018 (Ni, Li, McAuley, EMNLP 2019): reviews, metadata and ratings-only CSVs.

Layout: `amazon2018/{Cat}.json.gz` (full reviews), `meta_{Cat}.json.gz`, `{Cat}.csv` (no header,
`item,user,rating,timestamp`). Category = the file name.
"""

from __future__ import annotations

import polars as pl

from .base import SourceAdapter


class Amazon2018(SourceAdapter):
    name = "amazon2018"
    tables = {
        "amazon2018_reviews": {
            "category": pl.String,
            "asin": pl.String,
            "reviewer_id": pl.String,
            "overall": pl.Float64,
            "verified": pl.Boolean,
            "unix_time": pl.Int64,
            "review_text": pl.String,
            "summary": pl.String,
            "vote": pl.Int64,  # "1,234" -> 1234
            "style": pl.String,  # JSON-encoded dict, or null
            "line": pl.Int64,  # 1-based line in the source file (lineage)
        },
        "amazon2018_meta": {
            "category": pl.String,
            "asin": pl.String,
            "title": pl.String,  # HTML entities unescaped
            "brand": pl.String,
            "main_cat": pl.String,  # `alt` of an <img> tag when upstream stored one
            "categories": pl.List(pl.String),  # upstream `category` breadcrumb
            "description": pl.List(pl.String),
            "feature": pl.List(pl.String),
            "also_buy": pl.List(pl.String),
            "also_view": pl.List(pl.String),
            "similar_item": pl.List(pl.String),  # ASINs parsed from the HTML comparison table
            "rank": pl.List(pl.String),  # str-or-list upstream, always a list here
            "price": pl.String,  # raw upstream string
            "price_value": pl.Float64,  # parsed number, null when absent or unparseable
            "date": pl.String,
            "details": pl.String,  # JSON-encoded dict, or null
            "line": pl.Int64,
        },
        "amazon2018_ratings": {
            "category": pl.String,
            "item": pl.String,
            "user": pl.String,
            "rating": pl.Float64,
            "timestamp": pl.Int64,
        },
    }

    # TODO(helper): title, licence, homepage, discover, read_file, finalize, remote_files
