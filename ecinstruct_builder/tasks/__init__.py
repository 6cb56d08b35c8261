"""Task builders, one module per ECInstruct task; found automatically by `builders()`."""

from __future__ import annotations

import sys
from functools import cache

from ..errors import UsageError
from ..registry import discover
from .base import TaskBuilder

# The order ECInstruct lists the tasks in (product understanding, user understanding,
# query-product matching, product QA); reports and the card follow it.
TASK_ORDER = ("AVE", "PRP", "PM", "SA", "SR", "MPC", "PSI", "QPR", "AP", "AG")


@cache
def builders() -> dict[str, TaskBuilder]:
    """Every task builder in this package keyed by abbreviation, in ECInstruct order."""
    order = {abbr: i for i, abbr in enumerate(TASK_ORDER)}
    found = sorted(
        discover(sys.modules[__name__], TaskBuilder), key=lambda b: (order.get(b.abbr, len(order)), b.abbr)
    )
    return {builder.abbr: builder for builder in found}


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
            raise UsageError(f"unknown task {part!r}; use all or some of: {', '.join(known)}")
        if builder not in chosen:
            chosen.append(builder)
    if not chosen:
        raise UsageError(f"--task is empty; use all or some of: {', '.join(known)}")
    return chosen
