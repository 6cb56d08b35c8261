"""The contract every task builder follows.

A task builder turns source tables into *candidates*: one row per possible example, with the
task's own fields (what the templates render), the gold label in ECInstruct's output format,
the options where the task has them, and the keys the later stages need (split group, content for
dedup, category for IND/OOD) plus lineage. It knows nothing about files, Jinja or the Hub.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

import polars as pl

from ..hashing import fraction, hex_expr, stable_hex
from ..schema import NoOptions

if TYPE_CHECKING:
    from ..config import TaskConfig

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


# ECInstruct's task groups, in its order.
TASK_GROUPS = ("product understanding", "user understanding", "query-product matching", "product QA")


class AnswerFormat(StrEnum):
    """How a task's gold output is written (a closed list): evaluation reads and scores by it."""

    OPTION_LETTER = "option letter"  # one of the listed options, by letter ("A" or "A: ...")
    CANDIDATE_LETTER = "candidate letter"  # the letter of the one right item among candidates
    YES_NO = "yes/no"
    JSON_TRIPLES = "JSON triples"  # a JSON list of {attribute, value, source} objects
    LETTER_RANKING = "letter ranking"  # option letters best first, comma-separated
    FREE_TEXT = "free text"


#: The model rows of the eCeLLM paper's headline tables, in the order `PaperResult` lists values.
PAPER_MODELS = ("eCeLLM-L", "eCeLLM-M", "eCeLLM-S", "GPT-4-Turbo", "SoTA")


@dataclass(frozen=True)
class PaperResult:
    """The eCeLLM paper's reported numbers for one task, for comparison only (never computed here).

    Source: Peng et al., "eCeLLM", ICML 2024, headline tables as published on the project site
    (ninglab.github.io/eCeLLM, `tables/overall_performance_indomain.html` and `..._OOD.html`): the
    task's primary metric on ECInstruct's diverse-instruction test sets, one value per model of
    PAPER_MODELS, in that order; `ood` is empty when the paper has no OOD test set for the task.
    The paper's evaluate.py left invalid outputs out, except for AVE (scored as an empty list) and
    QPR (NDCG 0); `ecbuild eval --protocol ecellm` follows it.
    """

    metric: str  # our name of the paper's metric, e.g. "f1"
    label: str  # what the paper calls it, e.g. "F1*"
    ind: tuple[float, ...]
    ood: tuple[float, ...] = ()

    def value(self, model: str, domain: str) -> float | None:
        """The reported value for a model of PAPER_MODELS on "IND" or "OOD"; None when none is."""
        values = {"IND": self.ind, "OOD": self.ood}.get(domain, ())
        index = PAPER_MODELS.index(model)
        return values[index] if index < len(values) else None


@dataclass(frozen=True)
class GroupedCandidates:
    """A task's candidates made group by group, so selection builds only the groups its quotas reach.

    `keys` comes from a cheap pass over the whole source (every whole-source rule applied: SR's
    k-core, PRP's multi-relation drop): `group_key`, `domain` and `official_split` (what placing a
    candidate in a split reads), one row per candidate the groups may give
    (a superset: the full build may still drop some). `build(groups)` equals `build()` restricted to
    the candidates whose group key is in `groups`.
    """

    keys: pl.DataFrame
    build: Callable[[pl.Series], pl.LazyFrame]


def grouped_rows(
    rows: pl.LazyFrame,
    group: str,
    domain: pl.Expr,
    official_split: pl.Expr,
    make: Callable[[pl.LazyFrame], pl.LazyFrame],
) -> GroupedCandidates:
    """Candidates made one per source row, grouped by the row's `group` column: the keys read
    only the key columns of every row, `build` makes the candidates of the rows of some groups."""
    keys = rows.select(group_key=pl.col(group), domain=domain, official_split=official_split).collect()
    return GroupedCandidates(keys, lambda groups: make(rows.filter(pl.col(group).is_in(groups.implode()))))


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
    """One ECInstruct task: everything known about it, and build(). Subclasses set the class
    attributes (evaluation, the card and reports read them from here) and implement build()."""

    abbr: ClassVar[str]  # "SA"
    name: ClassVar[str]  # the ECInstruct `task` value, e.g. "Sentiment_Analysis"
    title: ClassVar[str]  # "Sentiment Analysis"
    group: ClassVar[str]  # one of TASK_GROUPS
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
    #: a field naming one underlying example when the source lists it under several products (SA:
    #: a review shared by a product family's variants); such copies are collapsed before the split
    copy_key: ClassVar[str | None] = None
    #: how ECInstruct mixed several IND categories: "equal" shares (SA, SR) or a "pooled" draw from
    #: their union (PRP, AP, AG); a recipe's `category_mix` overrides it
    category_mix: ClassVar[str] = "pooled"
    #: the dataclass of the builder's own recipe parameters (keys of its [tasks.X] table)
    params_model: ClassVar[type] = NoOptions
    #: the task's rank in ECInstruct's listing; reports follow it (None: after the ranked, by abbr)
    order: ClassVar[int | None] = None
    #: what the model is asked to do, in one sentence of our own
    definition: ClassVar[str]
    #: how the gold output is written; evaluation picks its reader and scorer by it
    answer_format: ClassVar[AnswerFormat]
    #: what an output looks like, for people (Markdown, shown in the card)
    output_shape: ClassVar[str]
    #: the metric names evaluation reports for the task, and which of them is the headline one
    metrics: ClassVar[tuple[str, ...]]
    primary_metric: ClassVar[str]
    #: the headline metric when the primary one cannot be computed (AG without BERTScore)
    fallback_metric: ClassVar[str | None] = None
    #: how the task is scored, in words (shown in the card)
    scoring: ClassVar[str]
    #: the eCeLLM paper's numbers for the task; None when the paper reports none
    paper: ClassVar[PaperResult | None] = None
    #: names eCeLLM's evaluate.py used for the task by mistake, accepted wherever a name is read
    misspellings: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        """Return the candidates as a LazyFrame in CANDIDATE_SCHEMA + `fields`, deterministically."""

    def copy_column(self, config: TaskConfig) -> str | None:
        """The field naming copies of one example that are collapsed before the split, if any."""
        return self.copy_key if config.dedup.variant_copies else None

    def grouped(
        self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int
    ) -> GroupedCandidates | None:
        """The candidates group by group, for builders whose cost lies per group; None (the
        default): selection builds every candidate with `build`."""
        return None

    def schema(self) -> dict[str, pl.DataType]:
        return {**CANDIDATE_SCHEMA, **self.fields}

    def text_columns(self) -> tuple[str, ...]:
        if self.text_fields is not None:
            return self.text_fields
        return tuple(name for name, dtype in self.fields.items() if dtype in (pl.String, pl.List(pl.String)))

    def required_columns(self) -> tuple[str, ...]:
        return self.text_columns() if self.required_fields is None else self.required_fields
