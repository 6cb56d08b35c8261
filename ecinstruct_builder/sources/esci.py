"""Shopping Queries Dataset / ESCI (Reddy et al. 2022): examples + products Parquet, sources CSV.

Layout: `esci/shopping_queries_dataset_{examples,products}.parquet`,
`esci/shopping_queries_dataset_sources.csv`. Joined on (product_locale, product_id).
"""

from __future__ import annotations

import polars as pl

from .base import SourceAdapter


class Esci(SourceAdapter):
    name = "esci"
    tables = {
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

    # TODO(helper): title, licence, homepage, discover, read_file, finalize, remote_files
