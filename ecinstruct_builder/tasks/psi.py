"""Product Substitute Identification: whether a product is a substitute for what a query asks for
(ESCI judgement "S"), answered yes or no."""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from ..recipe import TaskRecipe
from ._esci import DEFAULT_LOCALE, TABLE, esci_rows, query_product_candidates
from .base import TaskBuilder


class ProductSubstituteIdentification(TaskBuilder):
    abbr = "PSI"
    name = "Product_Substitute_Identification"
    title = "Product Substitute Identification"
    group = "query-product matching"
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"query": pl.String, "product_title": pl.String}
    language_fields = ("query", "product_title")  # as ECInstruct filtered the ESCI tasks
    ood_axis = "none"

    def build(self, tables: dict[str, pl.LazyFrame], recipe: TaskRecipe, seed: int) -> pl.LazyFrame:
        params = self.params(recipe, {"locale": DEFAULT_LOCALE})
        label = pl.when(pl.col("esci_label") == "S").then(pl.lit("yes")).otherwise(pl.lit("no"))
        return query_product_candidates(self, esci_rows(tables, params["locale"]), label, [])
