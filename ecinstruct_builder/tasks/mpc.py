"""Multi-class Product Classification: how relevant a product title is to a query, as one of the
four ESCI judgements (Exact, Substitute, Complement, Irrelevant) shown as options A-D."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from ._esci import LABELS, TABLE, EsciParams, esci_rows, query_product_candidates, query_product_groups
from .base import AnswerFormat, GroupedCandidates, PaperResult, TaskBuilder

if TYPE_CHECKING:
    from ..config import TaskConfig

# One option per ESCI judgement, in the order of `LABELS` (E -> A ... I -> D), as ECInstruct.
MPC_OPTIONS = [
    "A: Exact: the product is what the query is looking for and meets every detail the query asks for.",
    "B: Substitute: the product misses some detail of the query but could still be used in place of "
    "what was asked for.",
    "C: Complement: the product does not answer the query itself but goes together with what was asked for.",
    "D: Irrelevant: the product has nothing to do with the query or fails a central part of it.",
]

MPC_LABEL = pl.col("esci_label").replace_strict(dict(zip(LABELS, MPC_OPTIONS, strict=True)))


class MulticlassProductClassification(TaskBuilder):
    abbr = "MPC"
    name = "Multiclass_Product_Classification"
    title = "Multi-class Product Classification"
    group = "query-product matching"
    order = 6
    definition = (
        "Classify how a product relates to a search query: exact match, substitute, complement or irrelevant."
    )
    answer_format = AnswerFormat.OPTION_LETTER
    output_shape = "the full option, e.g. `A: ...` (scored on its letter)"
    metrics = ("accuracy", "macro_precision", "macro_recall", "macro_f1")
    primary_metric = "accuracy"
    scoring = "accuracy, macro precision / recall / F1"
    paper = PaperResult("accuracy", "Accuracy", ind=(0.684, 0.696, 0.65, 0.611, 0.703))
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"query": pl.String, "product_title": pl.String}
    language_fields = ("query", "product_title")  # as ECInstruct filtered the ESCI tasks
    ood_axis = "none"
    params_model = EsciParams

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        params: EsciParams = config.params
        return query_product_candidates(self, esci_rows(tables, params.locale), MPC_LABEL, MPC_OPTIONS)

    def grouped(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> GroupedCandidates:
        params: EsciParams = config.params
        return query_product_groups(self, esci_rows(tables, params.locale), MPC_LABEL, MPC_OPTIONS)
