"""Product Substitute Identification: whether a product is a substitute for what a query asks for
(ESCI judgement "S"), answered yes or no."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from ._esci import TABLE, EsciParams, esci_rows, query_product_candidates, query_product_groups
from .base import AnswerFormat, GroupedCandidates, PaperResult, TaskBuilder

if TYPE_CHECKING:
    from ..config import TaskConfig

PSI_LABEL = pl.when(pl.col("esci_label") == "S").then(pl.lit("yes")).otherwise(pl.lit("no"))


class ProductSubstituteIdentification(TaskBuilder):
    abbr = "PSI"
    name = "Product_Substitute_Identification"
    title = "Product Substitute Identification"
    group = "query-product matching"
    order = 7
    definition = (
        "Say whether a product could stand in, as a functional substitute, for what a query asks for."
    )
    answer_format = AnswerFormat.YES_NO
    output_shape = "`yes` or `no`"
    metrics = ("accuracy", "precision", "recall", "f1", "specificity", "npr")
    primary_metric = "f1"
    scoring = "accuracy, precision, recall, F1, specificity, NPV"
    paper = PaperResult("f1", "F1", ind=(0.501, 0.305, 0.392, 0.195, 0.389))
    misspellings = ("Product_Substitue_Identification",)
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"query": pl.String, "product_title": pl.String}
    language_fields = ("query", "product_title")  # as ECInstruct filtered the ESCI tasks
    ood_axis = "none"
    params_model = EsciParams

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        params: EsciParams = config.params
        return query_product_candidates(self, esci_rows(tables, params.locale), PSI_LABEL, [])

    def grouped(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> GroupedCandidates:
        params: EsciParams = config.params
        return query_product_groups(self, esci_rows(tables, params.locale), PSI_LABEL, [])
