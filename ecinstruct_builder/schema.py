"""Typed configuration tables: frozen dataclasses whose fields carry a meaning and a range, and one
parser that checks a TOML table against them.

Every config of a build (the recipe's sections, a source's options, a task's parameters) is such a
dataclass, declared next to the code it configures. `parse` turns a TOML table into an instance or
raises a one-line `RecipeError` that names the key: an unknown key (with the nearest valid name), a
wrong type, a value out of range. `describe` lists the keys for the generated recipe reference.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from .errors import RecipeError

T = TypeVar("T")
MISSING = dataclasses.MISSING


def option(
    default: Any = MISSING,
    doc: str = "",
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
) -> Any:
    """A config field: its default, its meaning and, for numbers, its range (inclusive; `above` strict)."""
    metadata = {"doc": doc, "minimum": minimum, "maximum": maximum, "above": above}
    if isinstance(default, list | dict):  # mutable defaults are built per instance
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class NoOptions:
    """A table that takes no keys."""


def nearest(name: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest known name, or '' when none is close."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key_error(where: str, key: str, known: Iterable[str]) -> RecipeError:
    known = sorted(known)
    valid = ", ".join(known) if known else "none"
    return RecipeError(f"{where}: unknown key {key!r}{nearest(key, known)}; valid keys: {valid}")


def _type_name(tp: Any) -> str:
    origin, args = get_origin(tp), get_args(tp)
    if origin is Literal:
        return " / ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"list of {_type_name(args[0])}"
        return f"list of {len(args)} {_type_name(args[0])}"
    if origin is dict:
        return f"table of {_type_name(args[1])}"
    if dataclasses.is_dataclass(tp):
        return "table"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(tp, str(tp))


def _range_text(meta: dict[str, Any]) -> str:
    parts = []
    if meta.get("above") is not None:
        parts.append(f"> {meta['above']}")
    if meta.get("minimum") is not None:
        parts.append(f">= {meta['minimum']}")
    if meta.get("maximum") is not None:
        parts.append(f"<= {meta['maximum']}")
    return " and ".join(parts)


def _check_range(value: float, meta: dict[str, Any], where: str, kind: str) -> None:
    low, high, above = meta.get("minimum"), meta.get("maximum"), meta.get("above")
    if (
        (low is not None and value < low)
        or (high is not None and value > high)
        or (above is not None and value <= above)
    ):
        raise RecipeError(f"{where} must be {kind} {_range_text(meta)}, got {value!r}")


def _convert(tp: Any, value: Any, where: str, meta: dict[str, Any]) -> Any:
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        for arm in args:
            if arm is not type(None) and _matches_kind(arm, value):
                return _convert(arm, value, where, meta)
        raise RecipeError(f"{where} must be a {_type_name(tp)}, got {value!r}")
    if origin is Literal:
        if value not in args or isinstance(value, bool) != any(isinstance(a, bool) for a in args):
            choices = ", ".join(repr(a) for a in args)
            raise RecipeError(f"{where} must be one of {choices}, got {value!r}{nearest(str(value), args)}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise RecipeError(f"{where} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RecipeError(f"{where} must be an integer, got {value!r}")
        _check_range(value, meta, where, "an integer")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise RecipeError(f"{where} must be a finite number, got {value!r}")
        _check_range(value, meta, where, "a number")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise RecipeError(f"{where} must be a string, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise RecipeError(f"{where} must be a {_type_name(tp)}, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            items = [_convert(args[0], v, f"{where}[{i}]", meta) for i, v in enumerate(value)]
        else:
            if len(value) != len(args):
                raise RecipeError(f"{where} must be a {_type_name(tp)}, got {value!r}")
            items = [
                _convert(a, v, f"{where}[{i}]", meta)
                for i, (a, v) in enumerate(zip(args, value, strict=True))
            ]
        return tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise RecipeError(f"{where} must be a {_type_name(tp)}, got {value!r}")
        return {k: _convert(args[1], v, f"{where}.{k}", meta) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return parse(tp, value, where)
    raise TypeError(f"config type {tp!r} is not supported")  # a programming error, not a user's


def _matches_kind(tp: Any, value: Any) -> bool:
    """Whether `value` is of the broad kind of `tp` (used to pick the arm of a union)."""
    origin = get_origin(tp)
    if origin is Literal:
        return any(type(a) is type(value) for a in get_args(tp))
    if origin is tuple:
        return isinstance(value, list)
    if origin is dict or dataclasses.is_dataclass(tp):
        return isinstance(value, dict)
    if tp is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, tp)


def keys_of(cls: type) -> dict[str, dataclasses.Field]:
    """The fields of a config dataclass that a recipe may set (not those marked internal)."""
    return {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}


def parse_fields(cls: type[T], table: Any, where: str) -> dict[str, Any]:
    """The keys of `table` checked and converted against `cls`'s fields (only the keys present)."""
    if not isinstance(table, dict):
        raise RecipeError(f"{where} must be a table, got {table!r}")
    hints = get_type_hints(cls)
    fields = keys_of(cls)
    values = {}
    for key, value in table.items():
        if key not in fields:
            raise unknown_key_error(where, key, fields)
        values[key] = _convert(hints[key], value, f"{where}.{key}", dict(fields[key].metadata))
    return values


def parse(cls: type[T], table: Any, where: str) -> T:
    """An instance of the dataclass `cls` from a TOML table; a one-line RecipeError when it does not fit."""
    instance = cls(**parse_fields(cls, table, where))
    check = getattr(instance, "check", None)
    if check is not None:
        check(where)  # checks across fields, e.g. fractions that sum to 1
    return instance


def override(base: T, table: Any, where: str) -> T:
    """`base` with the keys of `table` replaced (a task's partial override of a recipe-wide section)."""
    instance = dataclasses.replace(base, **parse_fields(type(base), table, where))  # type: ignore[type-var]
    check = getattr(instance, "check", None)
    if check is not None:
        check(where)
    return instance


def plain(instance: Any) -> Any:
    """A config as TOML-like plain data (tables, lists, scalars): for hashing and for old readers."""
    if dataclasses.is_dataclass(instance) and not isinstance(instance, type):
        return {f.name: plain(getattr(instance, f.name)) for f in dataclasses.fields(instance)}
    if isinstance(instance, tuple | list):
        return [plain(v) for v in instance]
    if isinstance(instance, dict):
        return {k: plain(v) for k, v in instance.items()}
    return instance


@dataclass(frozen=True)
class Key:
    """One documented key of a config table."""

    name: str
    type: str
    default: str
    doc: str


def _default_text(value: Any) -> str:
    if value is MISSING:
        return "required"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if dataclasses.is_dataclass(value):
        return "(table)"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_default_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{}"
            if not value
            else "{" + ", ".join(f"{k} = {_default_text(v)}" for k, v in value.items()) + "}"
        )
    return str(value)


def describe(cls: type) -> list[Key]:
    """The keys of a config dataclass with type, default and meaning, in declaration order."""
    hints = get_type_hints(cls)
    keys = []
    for f in keys_of(cls).values():
        if f.default is not MISSING:
            default = f.default
        elif f.default_factory is not MISSING:
            default = f.default_factory()
        else:
            default = MISSING
        kind = _type_name(hints[f.name])
        limits = _range_text(dict(f.metadata))
        keys.append(
            Key(
                f.name,
                kind + (f" ({limits})" if limits else ""),
                _default_text(default),
                f.metadata.get("doc", ""),
            )
        )
    return keys
