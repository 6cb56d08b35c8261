"""The contract every task builder follows.

A task builder turns source tables into *candidates*: one row per possible example, with the
task's own fields (what the templates render), the gold label in ECInstruct's output format,
the options where the task has them, and the keys the later stages need (split group, content for
dedup, category for IND/OOD) plus lineage. It knows nothing about files, Jinja or the Hub.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import polars as pl

from ..hashing import fraction, hex_expr, stable_hex
from ..recipe import TaskRecipe

# Columns every candidate frame has, in this order, followed by the builder's `fields`.
CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "candidate_id": pl.String,  # stable id: stable_id(task abbr, *source_ids)
    "source": pl.String,  # adapter name, e.g. "amazon2018" ("+"-joined when several)
    "source_ids": pl.List(pl.String),  # upstream ids that make this example (asin, example_id, file:line...)
    "product_id": pl.String,  # the main product (first one for pairs and lists); null if none
    "category": pl.String,  # product category from the source; null when the source has none
    "domain": pl.String,  # the IND/OOD key: the category for most tasks, the attribute key for AVE
    "group_key": pl.String,  # rows sharing it never straddle train and test (product; user for SR)
    "content_key": pl.String,  # the example's content for dedup (never the instruction)
    "official_split": pl.String,  # train / validation / test when the source or protocol fixes it
    "label": pl.String,  # the gold output, exactly as ECInstruct writes it
    "options": pl.List(pl.String),  # option strings as shown ("A: ..."), empty list when none
}


def stable_id(*parts: object) -> str:
    """A short deterministic id (16 hex digits) from its parts, the same on every platform."""
    return stable_hex(*parts)


def stable_id_expr(prefix: str, *columns: str | pl.Expr) -> pl.Expr:
    """Row by row, `stable_id(prefix, *values)` of the columns (vectorised)."""
    return hex_expr(pl.lit(prefix), *columns)


def seeded_fraction(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) from a seed and key: used for every random choice."""
    return fraction(seed, *parts)


class TaskBuilder(ABC):
    """One of the ten ECInstruct tasks. Subclasses set the class attributes and implement build()."""

    abbr: ClassVar[str]  # "SA"
    name: ClassVar[str]  # the ECInstruct `task` value, e.g. "Sentiment_Analysis"
    title: ClassVar[str]  # "Sentiment Analysis"
    group: ClassVar[
        str
    ]  # "product understanding" | "user understanding" | "query-product matching" | "product QA"
    tables: ClassVar[tuple[str, ...]]  # source tables read, e.g. ("amazon2018_reviews",)
    fields: ClassVar[dict[str, pl.DataType]]  # task columns after CANDIDATE_SCHEMA; templates use them
    #: the fields holding natural-language text (cleaned, filtered); default: every String or
    #: List(String) field
    text_fields: ClassVar[tuple[str, ...] | None] = None
    #: the fields an example cannot do without (checked non-empty; language-checked by default);
    #: default: the text fields
    required_fields: ClassVar[tuple[str, ...] | None] = None
    #: the fields the language filter judges when the recipe names none: long free text (reviews,
    #: answers) and, as ECInstruct did, the ESCI tasks' query and product title; never short
    #: catalogue titles, whose brand names and model numbers language identifiers misread
    language_fields: ClassVar[tuple[str, ...]] = ()
    #: a column within whose values duplicates are looked for (None: the whole task)
    dedup_partition: ClassVar[str | None] = None
    #: "grouped": hash split by group_key; "leave_one_out": SR's protocol (rows carry official_split
    #: per target position and the same user may appear in train and test)
    split_protocol: ClassVar[str] = "grouped"
    #: "category" (recipe lists OOD categories) or "holdout" (AVE: whole domain values are held out
    #: from the test split until the OOD quota is met) or "none"
    ood_axis: ClassVar[str] = "category"

    @abstractmethod
    def build(self, tables: dict[str, pl.LazyFrame], recipe: TaskRecipe, seed: int) -> pl.LazyFrame:
        """Return the candidates as a LazyFrame in CANDIDATE_SCHEMA + `fields`, deterministically."""

    def schema(self) -> dict[str, pl.DataType]:
        return {**CANDIDATE_SCHEMA, **self.fields}

    def text_columns(self) -> tuple[str, ...]:
        if self.text_fields is not None:
            return self.text_fields
        return tuple(name for name, dtype in self.fields.items() if dtype in (pl.String, pl.List(pl.String)))

    def required_columns(self) -> tuple[str, ...]:
        return self.text_columns() if self.required_fields is None else self.required_fields

    def params(self, recipe: TaskRecipe, defaults: dict[str, Any]) -> dict[str, Any]:
        """Builder parameters from the recipe over the builder's defaults; unknown keys are errors."""
        from ..errors import RecipeError

        unknown = set(recipe.params) - set(defaults)
        if unknown:
            raise RecipeError(
                f"recipe: tasks.{self.abbr} has unknown parameter(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(defaults)) or 'none'}"
            )
        return {**defaults, **recipe.params}
