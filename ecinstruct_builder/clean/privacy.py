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


# one scan tells which values hold anything at all; only those are counted and replaced (real text
# rarely holds personal data, so most batches cost this one scan per field)
ANY = "|".join(f"(?:{pattern})" for _, pattern, _ in PATTERNS)


def _scrub_string(expr: pl.Expr) -> pl.Expr:
    for _, pattern, placeholder in PATTERNS:
        expr = expr.str.replace_all(pattern, placeholder)
    return expr


def _scrub_values(values: pl.Series, totals: dict[str, int]) -> pl.Series:
    """A String or List(String) series with personal data replaced; adds the counts to `totals`."""
    text = values.list.join("\n") if values.dtype == pl.List(pl.String) else values
    holding = text.str.contains(ANY).fill_null(False)
    if not holding.any():
        return values
    positions = holding.arg_true()
    counted = text.gather(positions)
    for kind, pattern, placeholder in PATTERNS:  # in order, as they are replaced
        totals[kind] += int(counted.str.count_matches(pattern).sum())
        counted = counted.str.replace_all(pattern, placeholder)
    if values.dtype != pl.List(pl.String):
        return values.scatter(positions, counted)
    # lists cannot be scattered: the fixed rows are joined back by position
    fixed = pl.DataFrame({"at": positions, "fixed": values.gather(positions)}).with_columns(
        pl.col("fixed").list.eval(_scrub_string(pl.element()))
    )
    rows = values.to_frame("v").with_row_index("at").join(fixed, on="at", how="left", maintain_order="left")
    return rows.select(pl.coalesce("fixed", "v").alias(values.name)).to_series()


def scrub_columns(frame: pl.DataFrame, columns: tuple[str, ...]) -> tuple[pl.DataFrame, dict[str, int]]:
    """`frame` with personal data in the String / List(String) `columns` replaced, and the count of
    replacements per kind."""
    totals = dict.fromkeys((kind for kind, _, _ in PATTERNS), 0)
    scrubbed = [
        _scrub_values(frame[name], totals)
        for name in columns
        if frame.schema[name] in (pl.String, pl.List(pl.String))
    ]
    return (frame.with_columns(scrubbed) if scrubbed else frame), totals
