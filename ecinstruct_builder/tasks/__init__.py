"""Task builders, one module per ECInstruct task; found automatically by `builders()`."""

from __future__ import annotations

import sys
from functools import cache

from ..errors import UsageError
from ..registry import discover
from .base import TaskBuilder


def task_rank(builder: TaskBuilder) -> tuple[bool, int, str]:
    """Sort key: ECInstruct's order (each task's `order`), then tasks without one; ties by abbr."""
    return (builder.order is None, builder.order or 0, builder.abbr)


@cache
def builders() -> dict[str, TaskBuilder]:
    """Every task builder in this package keyed by abbreviation, in ECInstruct order."""
    found = sorted(discover(sys.modules[__name__], TaskBuilder), key=task_rank)
    return {builder.abbr: builder for builder in found}


def resolve_tasks(spec: str) -> list[TaskBuilder]:
    """Parse `--task`: "all", or comma-separated abbreviations / full names / titles (any case)."""
    known = builders()
    if spec.strip().lower() == "all":
        return list(known.values())
    lookup: dict[str, TaskBuilder] = {}
    for builder in known.values():
        for alias in (builder.abbr, builder.name, builder.title, builder.title.replace(" ", "_")):
            lookup.setdefault(alias.lower(), builder)  # a clash goes to the first task in order
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
