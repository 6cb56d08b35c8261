"""Text cleaning that changes what gets rendered: HTML, whitespace, optional NFKD-to-ASCII folding.

Runs before the filters, on the task's text fields (String or List(String) columns), as Polars
expressions; Python's `html.unescape` only sees the values that contain an entity.

Scraped catalogue text holds markup fragments that never close: `<span class="a-size-medium"` (the
tag was cut before its `>`), `" Magazines" />` (the tail of a tag whose start was cut), stray
`class="..."` attributes. They are stripped like whole tags. Fragments are recognised by an HTML
element name or an attribute `name="value"`, so comparisons such as `3 < 5 inch`, `size <10mm`,
`a->b` or `I <3 it` are text, not markup. A value that is nothing but markup is left as it is, so
the filters can drop its row as `markup_only:<field>` instead of rendering an empty field.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import polars as pl

from ..schema import option

# A whole tag or comment: `<` directly followed by a name (a space after `<` is not a tag in HTML).
TAG = r"(?s)<!--.*?-->|</?[a-zA-Z][^<>]{0,200}>"
ENTITY = r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});"
# The elements that turn up in scraped product pages; an unclosed `<name` counts as markup only
# for these, so `<a few` in prose needs an attribute or the end of the text to count.
ELEMENTS = (
    "abbr|address|article|aside|blockquote|body|br|button|caption|center|cite|code|col|colgroup|dd|"
    "del|div|dl|dt|em|embed|figure|font|footer|form|h[1-6]|head|header|hr|html|iframe|img|input|ins|"
    "label|li|link|main|meta|nav|noscript|object|ol|optgroup|option|param|pre|script|section|select|"
    "small|source|span|strike|strong|style|sub|sup|svg|table|tbody|td|textarea|tfoot|th|thead|"
    "title|tr|tt|ul|video|wbr|a|b|i|p|q|s|u"
)
_QUOTED = r"""(?:"[^"<>]*"?|'[^'<>]*'?)"""  # the closing quote may have been cut off too
_VALUE = rf"""(?:{_QUOTED}|[^\s"'<>]+)"""
_ATTRIBUTE = rf"\s+[a-zA-Z_:][\w:.-]*\s*=\s*{_VALUE}"
_OPEN = rf"</?(?i:{ELEMENTS})\b"
UNCLOSED_TAG = rf"{_OPEN}(?:{_ATTRIBUTE})+(?:\s+[a-zA-Z_:][\w:.-]*)*\s*/?>?|{_OPEN}\s*/?>|{_OPEN}\s*$"
# attributes left without their tag; names that do not occur as words in product text
_DEBRIS_NAMES = r"class|id|style|href|src|alt|rel|target|width|height|data-[\w-]+"
STRAY_ATTRIBUTE = rf"(?i)\b(?:{_DEBRIS_NAMES})\s*=\s*{_QUOTED}"
# the end of a tag whose start was cut off: text up to a quote that closes it, at the start
TAG_TAIL = r"""^[^<>]*?["'](?:\s*/>|>)"""
SELF_CLOSE = r"\s*/>"
NBSP = r"&nbsp;?"  # also without its semicolon, as scraped pages often write it
MARKUP = "|".join(f"(?:{p})" for p in (TAG, UNCLOSED_TAG, STRAY_ATTRIBUTE, TAG_TAIL, SELF_CLOSE, NBSP))
MEANINGFUL = r"[\p{L}\p{N}]"


@dataclass(frozen=True)
class CleanConfig:
    """`[clean]`: text cleaning before the filters; the cleaned text is what gets rendered."""

    html: bool = option(True, "strip HTML tags and tag fragments, decode entities")
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


def strip_markup(expr: pl.Expr) -> pl.Expr:
    """Tags, tag fragments and no-break space entities replaced by a space (other entities stay)."""
    # the tail is anchored at the start, so it goes first, before the other patterns shorten the text
    for pattern in (TAG_TAIL, TAG, UNCLOSED_TAG, STRAY_ATTRIBUTE, SELF_CLOSE, NBSP):
        expr = expr.str.replace_all(pattern, " ")
    return expr


def markup_only(expr: pl.Expr) -> pl.Expr:
    """True where the text holds markup and no letter or digit outside it (entities included)."""
    rest = strip_markup(expr).str.replace_all(ENTITY, " ")
    return expr.str.contains(MARKUP) & ~rest.str.contains(MEANINGFUL)


def clean_string(expr: pl.Expr, config: CleanConfig) -> pl.Expr:
    """The cleaning of one string expression."""
    if config.html:
        stripped = strip_markup(expr).map_batches(_unescape, return_dtype=pl.String, is_elementwise=True)
        expr = pl.when(markup_only(expr)).then(expr).otherwise(stripped)
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
