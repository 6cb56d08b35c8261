"""Text cleaning that changes what gets rendered: HTML, whitespace, optional NFKD-to-ASCII folding.

Runs before the filters, on the task's text fields (String or List(String) columns), as Polars
expressions; Python's `html.unescape` only sees the values that contain an entity.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import polars as pl

from ..schema import option

TAG = r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>"
ENTITY = r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});"


@dataclass(frozen=True)
class CleanConfig:
    """`[clean]`: text cleaning before the filters; the cleaned text is what gets rendered."""

    html: bool = option(True, "strip HTML tags and decode entities")
    whitespace: bool = option(True, "collapse runs of whitespace and trim")
    nfkd_ascii: bool = option(False, "fold to ASCII after NFKD (ECInstruct did it for the ESCI tasks)")


def _unescape(values: pl.Series) -> pl.Series:
    """`html.unescape` of the values holding an entity; Python sees only those, the rest pass as they are."""
    holding = values.str.contains(ENTITY).fill_null(False)
    if not holding.any():
        return values
    positions = holding.arg_true()
    fixed = pl.Series([html.unescape(value) for value in values.gather(positions).to_list()], dtype=pl.String)
    return values.scatter(positions, fixed)


def clean_string(expr: pl.Expr, config: CleanConfig) -> pl.Expr:
    """The cleaning of one string expression."""
    if config.html:
        expr = expr.str.replace_all(TAG, " ").map_batches(
            _unescape, return_dtype=pl.String, is_elementwise=True
        )
    if config.nfkd_ascii:
        expr = expr.str.normalize("NFKD").str.replace_all(r"[^\x00-\x7F]", "")
    if config.whitespace:
        expr = expr.str.replace_all(r"\s+", " ").str.strip_chars()
    return expr


def clean_columns(frame: pl.DataFrame, columns: tuple[str, ...], config: CleanConfig) -> pl.DataFrame:
    """Clean each named String / List(String) column of `frame`."""
    exprs = []
    for name in columns:
        dtype = frame.schema[name]
        if dtype == pl.String:
            exprs.append(clean_string(pl.col(name), config).alias(name))
        elif dtype == pl.List(pl.String):
            exprs.append(pl.col(name).list.eval(clean_string(pl.element(), config)).alias(name))
    return frame.with_columns(exprs) if exprs else frame
