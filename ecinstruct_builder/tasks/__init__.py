"""Task builders, one module per ECInstruct task; found automatically by `builders()`."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ..errors import EcbuildError
from .base import TaskBuilder

# The order ECInstruct lists the tasks in (product understanding, user understanding,
# query-product matching, product QA); reports and the card follow it.
TASK_ORDER = ("AVE", "PRP", "PM", "SA", "SR", "MPC", "PSI", "QPR", "AP", "AG")


@cache
def builders() -> dict[str, TaskBuilder]:
    """Every task builder in this package keyed by abbreviation, in ECInstruct order."""
    found: dict[str, TaskBuilder] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name == "base" or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, TaskBuilder)
                and value is not TaskBuilder
                and value.__module__ == module.__name__
            ):
                found[value.abbr] = value()
    order = {abbr: i for i, abbr in enumerate(TASK_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def resolve_tasks(spec: str) -> list[TaskBuilder]:
    """Parse `--task`: "all", or comma-separated abbreviations / full names / titles (any case)."""
    known = builders()
    if spec.strip().lower() == "all":
        return list(known.values())
    lookup: dict[str, TaskBuilder] = {}
    for builder in known.values():
        for alias in (builder.abbr, builder.name, builder.title, builder.title.replace(" ", "_")):
            lookup[alias.lower()] = builder
    chosen: list[TaskBuilder] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        builder = lookup.get(part.lower())
        if builder is None:
            raise EcbuildError(f"unknown task {part!r}; use all or some of: {', '.join(known)}")
        if builder not in chosen:
            chosen.append(builder)
    if not chosen:
        raise EcbuildError(f"--task is empty; use all or some of: {', '.join(known)}")
    return chosen
