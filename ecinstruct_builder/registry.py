"""Plug-in discovery: every module of a package is imported and its subclasses of a base collected.

Adding a source or a task is adding one module; nothing else has to list it.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")


def discover(package: ModuleType, base: type[T]) -> list[T]:
    """One instance of each concrete subclass of `base` defined in the modules of `package`.

    Modules named `base` or starting with `_` hold shared code and are skipped.
    """
    found: list[T] = []
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name == "base" or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, base)
                and value is not base
                and value.__module__ == module.__name__
            ):
                found.append(value())
    return found
