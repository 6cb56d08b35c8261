"""AmazonQA (Gupta et al., IJCAI 2019): `{train,val,test}-qar.jsonl`, uncompressed strict JSONL.

Layout: `amazonqa/{train,val,test}-qar.jsonl` (`test-qar_all.jsonl`, the Google Drive name, accepted).
Category = the `category` field; the file gives the official split (`val` -> validation).
"""

from __future__ import annotations

import polars as pl

from .base import SourceAdapter


class AmazonQA(SourceAdapter):
    name = "amazonqa"
    tables = {
        "amazonqa": {
            "split": pl.String,  # train / validation / test
            "qid": pl.Int64,
            "asin": pl.String,
            "category": pl.String,
            "question_text": pl.String,
            "question_type": pl.String,  # yesno / descriptive
            "review_snippets": pl.List(pl.String),
            "answers": pl.List(
                pl.Struct({"answer_text": pl.String, "answer_type": pl.String, "helpful": pl.List(pl.Int64)})
            ),
            "is_answerable": pl.Int64,
            "line": pl.Int64,
        },
    }

    # TODO(helper): title, licence, homepage, discover, read_file, finalize, remote_files
