"""Personal data in published rows: people's ids pseudonymised, contact details and order numbers
in text replaced by placeholders.

Reviews and answers can carry e-mail addresses, phone numbers, links and order numbers; SR's lineage
names the reviewer. A pseudonym is a keyed hash (the key comes from the recipe), so nobody can find
a known reviewer's rows by hashing their id without the key.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..hashing import hex_expr
from ..schema import option

# (kind, pattern, placeholder), applied in this order: an order number is not read as a phone number
PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "[email]"),
    ("url", r"(?i)\b(?:https?://|www\.)[^\s<>\"']+", "[url]"),
    ("order_number", r"\b\d{3}-\d{7}-\d{7}\b", "[order number]"),
    ("phone", r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{3}\)\s?|\b\d{3}[\s.-])\d{3}[\s.-]\d{4}\b", "[phone]"),
)


@dataclass(frozen=True)
class PrivacyConfig:
    """`[privacy]`: personal data in the published rows."""

    scrub_text: bool = option(
        True, "replace e-mail addresses, links, phone and order numbers in text fields by placeholders"
    )
    pseudonymise_ids: bool = option(True, "publish people's ids (SR's reviewers) as keyed hashes")
    key: str = option(
        "ecbuild", "the key of the pseudonyms; set your own secret so they cannot be reversed by hashing"
    )


def pseudonym(key: str, *parts: str | pl.Expr) -> pl.Expr:
    """A keyed, stable pseudonym of the given values (16 hex digits)."""
    return hex_expr(pl.lit(f"pseudonym:{key}"), *parts)


def _scrub_string(expr: pl.Expr) -> pl.Expr:
    for _, pattern, placeholder in PATTERNS:
        expr = expr.str.replace_all(pattern, placeholder)
    return expr


def _counts(expr: pl.Expr) -> list[pl.Expr]:
    """How often each kind occurs in one string expression (counted before any replacement)."""
    counted, out = expr, []
    for kind, pattern, placeholder in PATTERNS:
        out.append(counted.str.count_matches(pattern).fill_null(0).sum().alias(kind))
        counted = counted.str.replace_all(pattern, placeholder)
    return out


def scrub_columns(frame: pl.DataFrame, columns: tuple[str, ...]) -> tuple[pl.DataFrame, dict[str, int]]:
    """`frame` with personal data in the String / List(String) `columns` replaced, and the count of
    replacements per kind."""
    totals = dict.fromkeys((kind for kind, _, _ in PATTERNS), 0)
    exprs = []
    for name in columns:
        dtype = frame.schema[name]
        if dtype == pl.String:
            values = pl.col(name)
            exprs.append(_scrub_string(values).alias(name))
        elif dtype == pl.List(pl.String):
            values = pl.col(name).list.join("\n")
            exprs.append(pl.col(name).list.eval(_scrub_string(pl.element())).alias(name))
        else:
            continue
        for kind, count in frame.select(_counts(values)).row(0, named=True).items():
            totals[kind] += int(count or 0)
    return (frame.with_columns(exprs) if exprs else frame), totals
