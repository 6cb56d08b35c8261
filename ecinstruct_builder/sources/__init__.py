"""Source adapters, one module per upstream dataset; found automatically by `adapters()`."""

from __future__ import annotations

import sys
from functools import cache

from ..registry import discover
from .base import SourceAdapter


@cache
def adapters() -> dict[str, SourceAdapter]:
    """Every adapter in this package, keyed by its name. Adding a source = adding one module."""
    found = discover(sys.modules[__name__], SourceAdapter)
    return dict(sorted((adapter.name, adapter) for adapter in found))
