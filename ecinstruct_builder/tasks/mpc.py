"""Multi-class Product Classification: how relevant a product title is to a query, as one of the
four ESCI judgements (Exact, Substitute, Complement, Irrelevant) shown as options A-D."""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from ..recipe import TaskRecipe
from ._esci import DEFAULT_LOCALE, LABELS, TABLE, esci_rows, query_product_candidates
from .base import TaskBuilder

# One option per ESCI judgement, in the order of `LABELS` (E -> A ... I -> D), as ECInstruct.
MPC_OPTIONS = [
    "A: Exact: the product is what the query is looking for and meets every detail the query asks for.",
    "B: Substitute: the product misses some detail of the query but could still be used in place of "
    "what was asked for.",
    "C: Complement: the product does not answer the query itself but goes together with what was asked for.",
    "D: Irrelevant: the product has nothing to do with the query or fails a central part of it.",
]


class MulticlassProductClassification(TaskBuilder):
    abbr = "MPC"
    name = "Multiclass_Product_Classification"
    title = "Multi-class Product Classification"
    group = "query-product matching"
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"query": pl.String, "product_title": pl.String}
    language_fields = ("query", "product_title")  # as ECInstruct filtered the ESCI tasks
    ood_axis = "none"

    def build(self, tables: dict[str, pl.LazyFrame], recipe: TaskRecipe, seed: int) -> pl.LazyFrame:
        params = self.params(recipe, {"locale": DEFAULT_LOCALE})
        label = pl.col("esci_label").replace_strict(dict(zip(LABELS, MPC_OPTIONS, strict=True)))
        return query_product_candidates(self, esci_rows(tables, params["locale"]), label, MPC_OPTIONS)
