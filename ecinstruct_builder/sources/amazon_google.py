"""Leipzig Amazon-GoogleProducts entity-resolution benchmark (Koepcke, Thor, Rahm).

Layout: `amazon_google/Amazon.csv`, `GoogleProducts.csv`, `Amzon_GoogleProducts_perfectMapping.csv`
(misspelled upstream), or `amazon_google/Amazon-GoogleProducts.zip` holding them. Not clean UTF-8.
"""

from __future__ import annotations

import polars as pl

from .base import SourceAdapter


class AmazonGoogle(SourceAdapter):
    name = "amazon_google"
    tables = {
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

    # TODO(helper): title, licence, homepage, discover, read_file, finalize, remote_files
