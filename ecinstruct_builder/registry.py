"""Plug-in discovery: every module of a package is imported and its subclasses of a base collected.

Adding a source or a task is adding one module; nothing else has to list it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")


def plugin_modules(package: ModuleType) -> Iterator[ModuleType]:
    """The modules of `package`, sorted by name, but `base` and those starting with `_` (shared code)."""
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module_info.name == "base" or module_info.name.startswith("_"):
            continue
        yield importlib.import_module(f"{package.__name__}.{module_info.name}")


def discover(package: ModuleType, base: type[T]) -> list[T]:
    """One instance of each concrete subclass of `base` defined in the plugin modules of `package`."""
    found: list[T] = []
    for module in plugin_modules(package):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, base)
                and value is not base
                and value.__module__ == module.__name__
            ):
                found.append(value())
    return found
