"""Source adapters, one module per upstream dataset; found automatically by `adapters()`."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .base import SourceAdapter


@cache
def adapters() -> dict[str, SourceAdapter]:
    """Every adapter in this package, keyed by its name. Adding a source = adding one module."""
    found: dict[str, SourceAdapter] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base" or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, SourceAdapter)
                and value is not SourceAdapter
                and value.__module__ == module.__name__
            ):
                found[value.name] = value()
    return dict(sorted(found.items()))


def table_schema(table: str) -> dict:
    """The explicit schema of a source table, whichever adapter writes it."""
    for adapter in adapters().values():
        if table in adapter.tables:
            return adapter.tables[table]
    raise KeyError(table)
