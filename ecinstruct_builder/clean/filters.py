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

# Mojibake from UTF-8 read as Latin-1/CP1252 ("Ã©", "â€™"), the replacement character, control characters.
MOJIBAKE = r"Ã[\x80-\xBF¡-¿]|â€|Â[\x80-\xBF ]"
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
LEFTOVER_HTML = r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>|&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});"


def as_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A column as one string (list items joined by a space) for checks."""
    if frame.schema[column] == pl.List(pl.String):
        return pl.col(column).list.join(" ")
    return pl.col(column).cast(pl.String)


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
    """The gold label and every text field must be present and non-empty."""

    fields: tuple[str, ...]
    name: ClassVar[str] = "required"

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        checks = []
        for column in ("label", *self.fields):
            text = as_text(frame, column)
            checks.append((text.is_null() | (text.str.strip_chars() == ""), f"empty:{column}"))
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
    """HTML tags or entities still present after cleaning."""

    fields: tuple[str, ...]
    name: ClassVar[str] = "html"

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        return first_reason(
            frame, [(as_text(frame, c).str.contains(LEFTOVER_HTML), f"html:{c}") for c in self.fields]
        )


class ValidOptions(Filter):
    """Where a task has options, the gold answer must be one of them (or one's letter)."""

    name: ClassVar[str] = "options"

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        letters = pl.col("options").list.eval(pl.element().str.extract(r"^([A-Z]):", 1))
        has_options = pl.col("options").list.len() > 0
        valid = pl.col("options").list.contains(pl.col("label")) | letters.list.contains(pl.col("label"))
        return first_reason(frame, [(has_options & ~valid, "invalid_options")])


@dataclass
class Language(Filter):
    """Keep rows whose text fields are all in one of `languages` (per-field language id)."""

    fields: tuple[str, ...]
    languages: tuple[str, ...] = ("en",)
    engine: str = "fasttext"
    min_chars: int = 1  # texts shorter than this (in characters) are not judged
    # a row is dropped only when the engine is at least this sure of another language: short
    # titles such as "usb cable 2m black" get low-confidence guesses that must not drop them
    min_confidence: float = 0.5
    seed: int = 0
    name: ClassVar[str] = "language"
    expensive: ClassVar[bool] = True

    def reasons(self, frame: pl.DataFrame) -> pl.Series:
        detect = detector(self.engine, self.seed)
        reasons: list[str | None] = [None] * frame.height
        for column in self.fields:
            texts = frame.select(as_text(frame, column).fill_null(""))[column].to_list()
            todo = [i for i, t in enumerate(texts) if reasons[i] is None and len(t.strip()) >= self.min_chars]
            for i, (lang, prob) in zip(todo, detect([texts[i] for i in todo]), strict=True):
                if lang not in self.languages and prob >= self.min_confidence:
                    reasons[i] = f"language:{column}={lang}"
        return pl.Series(reasons, dtype=pl.String)


@dataclass(frozen=True)
class LanguageConfig:
    """`[filters].language`: per-field language identification (an expensive filter)."""

    engine: Literal["fasttext", "langdetect", "langdetect-rs"] = option(
        "fasttext", "language identification engine"
    )
    languages: tuple[str, ...] = option(("en",), "ISO 639-1 codes of the languages kept")
    fields: tuple[str, ...] | None = option(None, "fields checked; unset: the task's required fields")
    min_chars: int = option(1, "texts shorter than this many characters are not judged", minimum=0)
    min_confidence: float = option(
        0.5, "drop only when the engine is at least this sure of another language", minimum=0, maximum=1
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
    where: str = "filters",
) -> list[Filter]:
    """The filter chain of one task from its typed config (cheap ones first)."""
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
    if config.language:
        language = LanguageConfig() if config.language is True else config.language
        fields = required if language.fields is None else language.fields
        _check_fields(set(fields), columns, f"{where}.language.fields")
        chain.append(
            Language(
                fields,
                language.languages,
                language.engine,
                language.min_chars,
                language.min_confidence,
                seed=seed,
            )
        )
    return chain
