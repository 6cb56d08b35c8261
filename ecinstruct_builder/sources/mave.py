"""MAVE (Yang et al., WSDM 2022), the full version with paragraphs, as rebuilt by MAVE's scripts.

Layout: `mave/mave_positives.jsonl`, `mave/mave_negatives.jsonl`, or the split layout
`mave/splits/PRODUCT/{train,eval,test}/00_All/mave_{positives,negatives}.jsonl` (`eval` -> validation).
"""

from __future__ import annotations

import polars as pl

from .base import SourceAdapter


class Mave(SourceAdapter):
    name = "mave"
    tables = {
        "mave": {
            "id": pl.String,  # the product id (ASIN)
            "category": pl.String,  # MAVE's fine-grained leaf category
            "split": pl.String,  # train / validation / test when split files were given, else null
            "polarity": pl.String,  # "positive" or "negative" (which file)
            "paragraphs": pl.List(pl.Struct({"text": pl.String, "source": pl.String})),
            "attributes": pl.List(
                pl.Struct(
                    {
                        "key": pl.String,
                        "evidences": pl.List(
                            pl.Struct({"value": pl.String, "pid": pl.Int64, "begin": pl.Int64, "end": pl.Int64})
                        ),
                    }
                )
            ),
            "line": pl.Int64,
        },
    }

    # TODO(helper): title, licence, homepage, discover, read_file, finalize, remote_files
