"""Quality filters. Each looks at a frame of candidates and gives, per row, null (keep) or the reason
it drops the row ("too_short:review", "language:query=de", ...). Filters know nothing about where
rows go; the clean stage moves dropped rows to the rejects and counts the reasons.

Cheap filters are Polars expressions over whole frames; `expensive` ones (language id) run only on
the rows the quotas can still use.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

import polars as pl

from ..errors import RecipeError
from ..schema import nearest, option
from .langid import detector
from .text import ENTITY, MARKUP, markup_only

# Mojibake from UTF-8 read as Latin-1/CP1252 ("Ã©", "â€™"), the replacement character, control characters.
MOJIBAKE = r"Ã[\x80-\xBF¡-¿]|â€|Â[\x80-\xBF ]"
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
LEFTOVER_HTML = f"{MARKUP}|{ENTITY}"


def as_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A column as one string (list items joined by a space) for checks."""
    if frame.schema[column] == pl.List(pl.String):
        return pl.col(column).list.join(" ")
    return pl.col(column).cast(pl.String)


def is_markup_only(frame: pl.DataFrame, column: str) -> pl.Expr:
    """True where the field (any item of a list field) is markup with nothing meaningful in it."""
    if frame.schema[column] == pl.List(pl.String):
        return pl.col(column).list.eval(markup_only(pl.element())).list.any()
    return markup_only(pl.col(column).cast(pl.String))


def first_reason(frame: pl.DataFrame, checks: list[tuple[pl.Expr, str]]) -> pl.Series:
    """The reason of the first failing (condition, reason) pair per row, null when all pass."""
    if not checks:
        return pl.Series([None] * frame.height, dtype=pl.String)
    expr = pl.when(checks[0][0]).then(pl.lit(checks[0][1]))
    for condition, reason in checks[1:]:
        expr = expr.when(condition).then(pl.lit(reason))
    return frame.select(expr.otherwise(pl.lit(None, dtype=pl.String)).alias("reason"))["reason"]


class Filter(ABC):
    name: ClassVar[str]
    expensive: ClassVar[bool] = False

    @abstractmethod
    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        """Per row: null to keep, else the drop reason."""


@dataclass
class Required(Filter):
    """The gold label and every text field must be present, non-empty and more than markup (scraping
    debris such as `<span class="a-size-medium"` is `markup_only:<field>`, not `empty:<field>`)."""

    fields: tuple[str, ...]
    name: ClassVar[str] = "required"

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        checks = []
        for column in ("label", *self.fields):
            text = as_text(frame, column)
            checks.append((text.is_null() | (text.str.strip_chars() == ""), f"empty:{column}"))
            if column in self.fields:
                checks.append((is_markup_only(frame, column), f"markup_only:{column}"))
        return first_reason(frame, checks)


@dataclass
class WordCount(Filter):
    """Minimum and maximum length in whitespace-separated words, per field."""

    minimum: dict[str, int]
    maximum: dict[str, int]
    name: ClassVar[str] = "length"

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        checks = []
        for column, limit in self.minimum.items():
            checks.append((~has_words(as_text(frame, column), limit), f"too_short:{column}"))
        for column, limit in self.maximum.items():
            checks.append((has_words(as_text(frame, column), limit + 1), f"too_long:{column}"))
        return first_reason(frame, checks)


MAX_ANCHORED_WORDS = 1000


def has_words(text: pl.Expr, count: int) -> pl.Expr:
    """True where the text has at least `count` whitespace-separated words. The anchored pattern stops
    reading after the `count`-th word, so long texts cost no more than short ones (unlike counting)."""
    if count <= 0:
        return text.str.len_bytes() >= 0  # true, and null stays null, as counting gave
    if count > MAX_ANCHORED_WORDS:  # the regex engine caps compiled pattern size
        return text.str.count_matches(r"\S+") >= count
    return text.str.contains(rf"^\s*(?:\S+\s+){{{count - 1}}}\S")


@dataclass
class Garbled(Filter):
    """Replacement characters, mojibake or control characters in a text field."""

    fields: tuple[str, ...]
    name: ClassVar[str] = "garbled"

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        checks = []
        for column in self.fields:
            text = as_text(frame, column)
            checks += [
                (text.str.contains("\ufffd", literal=True), f"garbled:{column}:replacement_char"),
                (text.str.contains(MOJIBAKE), f"garbled:{column}:mojibake"),
                (text.str.contains(CONTROL), f"garbled:{column}:control_char"),
            ]
        return first_reason(frame, checks)


@dataclass
class LeftoverHtml(Filter):
    """HTML tags, tag fragments or entities still present after cleaning; a field that is nothing
    but markup (cleaning leaves those as they are) is `markup_only:<field>`."""

    fields: tuple[str, ...]
    name: ClassVar[str] = "html"

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        checks = []
        for column in self.fields:
            checks += [
                (is_markup_only(frame, column), f"markup_only:{column}"),
                (as_text(frame, column).str.contains(LEFTOVER_HTML), f"html:{column}"),
            ]
        return first_reason(frame, checks)


class ValidOptions(Filter):
    """Where a task has options, the gold answer must be one of them (or one's letter)."""

    name: ClassVar[str] = "options"

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        letters = pl.col("options").list.eval(pl.element().str.extract(r"^([A-Z]):", 1))
        has_options = pl.col("options").list.len() > 0
        valid = pl.col("options").list.contains(pl.col("label")) | letters.list.contains(pl.col("label"))
        return first_reason(frame, [(has_options & ~valid, "invalid_options")])


def raw_column(field: str) -> str:
    """The column holding a field's text as the source gave it (kept for a filter that judges it)."""
    return f"_raw_{field}"


def judged(text: str, min_chars: int, min_words: int) -> bool:
    """Whether the language filter judges a text: too short a text gets guesses, not answers."""
    return len(text.strip()) >= min_chars and len(text.split()) >= min_words


def foreign(lang: str, prob: float, languages: tuple[str, ...], min_confidence: float) -> bool:
    """Whether a judged text is dropped: the engine names another language and is sure enough."""
    return lang not in languages and prob >= min_confidence


@dataclass
class Language(Filter):
    """Keep rows whose text fields are all in one of `languages` (per-field language id)."""

    fields: tuple[str, ...]
    languages: tuple[str, ...] = ("en",)
    engine: str = "fasttext"
    min_chars: int = 1  # texts shorter than this (in characters) are not judged
    # Texts of fewer words are not judged, and a text is dropped only when the engine is this sure
    # of another language: brand-heavy English titles ("Starbucks Gift Card Petco Gift Card") get
    # confident wrong guesses. 7 words at 0.9 drops 0.35% of such titles and removes 98.75% of
    # non-English reviews with fastText (docs/benchmarks.md, "Language filter: scope and defaults").
    min_words: int = 7
    min_confidence: float = 0.9
    seed: int = 0
    raw: bool = False  # judge the text before [clean] (its copies in `raw_column` columns)
    name: ClassVar[str] = "language"
    expensive: ClassVar[bool] = True

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        detect = detector(self.engine, self.seed)
        reasons: list[str | None] = [None] * frame.height
        for column in self.fields:
            read = raw_column(column) if self.raw else column
            texts = frame.select(as_text(frame, read).fill_null(""))[read].to_list()
            todo = [
                i
                for i, t in enumerate(texts)
                if reasons[i] is None and judged(t, self.min_chars, self.min_words)
            ]
            for i, (lang, prob) in zip(todo, detect([texts[i] for i in todo]), strict=True):
                if foreign(lang, prob, self.languages, self.min_confidence):
                    reasons[i] = f"language:{column}={lang}"
        return pl.Series(reasons, dtype=pl.String)


@dataclass(frozen=True)
class LanguageConfig:
    """`[filters].language`: per-field language identification (an expensive filter)."""

    engine: Literal["fasttext", "langdetect", "langdetect-rs"] = option(
        "fasttext", "language identification engine"
    )
    languages: tuple[str, ...] = option(("en",), "ISO 639-1 codes of the languages kept")
    fields: tuple[str, ...] | None = option(
        None,
        "fields judged; unset: the task's own scope (ESCI query and title, reviews, answers; never "
        "short catalogue titles); [] for none",
    )
    min_chars: int = option(1, "texts shorter than this many characters are not judged", minimum=0)
    min_words: int = option(
        7, "texts of fewer words are not judged (short titles mislead every engine)", minimum=0
    )
    min_confidence: float = option(
        0.9, "drop only when the engine is at least this sure of another language", minimum=0, maximum=1
    )
    text: Literal["cleaned", "raw"] = option(
        "cleaned",
        "the text judged: after [clean], or as the source gave it (ECInstruct judged the ESCI query "
        "and title before folding them to ASCII)",
    )

    def check(self, where: str) -> None:
        for code in self.languages:
            if not (code.isascii() and code.isalpha() and code.islower() and 2 <= len(code) <= 3):
                raise RecipeError(f"{where}.languages: {code!r} is not an ISO 639 language code such as 'en'")
        if not self.languages:
            raise RecipeError(f"{where}.languages is empty: every row would be dropped")


@dataclass(frozen=True)
class FiltersConfig:
    """`[filters]`: quality filters; each dropped row lands in WORKDIR/rejects/ with its reason."""

    required: bool = option(True, "the label and the text fields must be present and non-empty")
    garbled: bool = option(True, "drop replacement characters, mojibake and control characters")
    html: bool = option(True, "drop HTML left after cleaning")
    options: bool = option(True, "the gold answer must be one of the options")
    min_words: dict[str, int] = option({}, "field -> minimum words, e.g. {review = 10}", minimum=0)
    max_words: dict[str, int] = option({}, "field -> maximum words", minimum=0)
    language: LanguageConfig | bool = option(
        False, "language filter: a table of its options, true for the defaults, false for none"
    )


def language_passes(
    frame: pl.DataFrame, fields: tuple[str, ...], config: LanguageConfig, seed: int
) -> pl.Series:
    """Per row of a source frame, whether every field passes the language filter of `config`
    (each distinct text judged once). For a builder that filters its rows before it combines them,
    as ECInstruct's ESCI notebook filtered the rows it drew QPR's lists from."""
    detect = detector(config.engine, seed)
    passes = pl.Series([True] * frame.height)
    for field in fields:
        texts = frame[field].fill_null("").unique().to_list()
        todo = [t for t in texts if judged(t, config.min_chars, config.min_words)]
        kept = {
            text: not foreign(lang, prob, config.languages, config.min_confidence)
            for text, (lang, prob) in zip(todo, detect(todo), strict=True)
        }
        passes &= frame[field].fill_null("").replace_strict(kept, default=True, return_dtype=pl.Boolean)
    return passes


def _check_fields(fields: set[str], columns: set[str], where: str) -> None:
    missing = sorted(fields - columns)
    if missing:
        raise RecipeError(
            f"{where} names field {missing[0]!r}, which this task does not have{nearest(missing[0], columns)}"
        )


def build_filters(
    config: FiltersConfig,
    text_fields: tuple[str, ...],
    required: tuple[str, ...],
    columns: set[str],
    seed: int,
    language_fields: tuple[str, ...] = (),
    where: str = "filters",
) -> list[Filter]:
    """The filter chain of one task from its typed config (cheap ones first).

    The language filter judges `language_fields` (the task's default scope) unless the recipe's
    `language` table names `fields`; with no field to judge there is no language filter.
    """
    _check_fields({*config.min_words, *config.max_words}, columns, where)
    chain: list[Filter] = []
    if config.required:
        chain.append(Required(required))
    if config.min_words or config.max_words:
        chain.append(WordCount(dict(config.min_words), dict(config.max_words)))
    if config.garbled:
        chain.append(Garbled(text_fields))
    if config.html:
        chain.append(LeftoverHtml(text_fields))
    if config.options:
        chain.append(ValidOptions())
    if config.language is not False:
        language = LanguageConfig() if config.language is True else config.language
        fields = language_fields if language.fields is None else language.fields
        _check_fields(set(fields), columns, f"{where}.language.fields")
        if fields:  # the options are checked even where this task has nothing to judge
            chain.append(
                Language(
                    fields,
                    language.languages,
                    language.engine,
                    language.min_chars,
                    language.min_words,
                    language.min_confidence,
                    seed=seed,
                    raw=language.text == "raw",
                )
            )
    return chain
