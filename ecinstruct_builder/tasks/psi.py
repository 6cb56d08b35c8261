"""Product Substitute Identification: whether a product is a substitute for what a query asks for
(ESCI judgement "S"), answered yes or no."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from ._esci import TABLE, EsciParams, esci_rows, query_product_candidates
from .base import TaskBuilder

if TYPE_CHECKING:
    from ..config import TaskConfig


class ProductSubstituteIdentification(TaskBuilder):
    abbr = "PSI"
    name = "Product_Substitute_Identification"
    title = "Product Substitute Identification"
    group = "query-product matching"
    tables = (TABLE,)
    fields: ClassVar[dict[str, pl.DataType]] = {"query": pl.String, "product_title": pl.String}
    ood_axis = "none"
    params_model = EsciParams

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        params: EsciParams = config.params
        label = pl.when(pl.col("esci_label") == "S").then(pl.lit("yes")).otherwise(pl.lit("no"))
        return query_product_candidates(self, esci_rows(tables, params.locale), label, [])
