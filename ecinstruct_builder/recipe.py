"""Recipes: the whole configuration of a build, as TOML (see ecinstruct_builder/recipes/).

A recipe names the sources it reads (with per-source options), and for every task its IND and OOD
categories, split caps and task-specific parameters. `--recipe` takes a bundled name (`demo`,
`ecinstruct`) or a path to a TOML file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compat import tomllib
from .errors import RecipeError
from .paths import recipes_dir

SPLITS = ("train", "validation", "test", "test_ood")
ORIGINS = ("bundled", "download")
STAGE_SECTIONS = ("clean", "filters", "dedup")  # recipe-wide tables that a task may override


@dataclass(frozen=True)
class TaskRecipe:
    """How one task is built: categories per side of the OOD split, caps per split, builder params."""

    ind_categories: tuple[str, ...] = ()
    ood_categories: tuple[str, ...] = ()
    sizes: dict[str, int] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # the builder's own parameters
    clean: dict[str, Any] = field(default_factory=dict)  # overrides of the recipe's [clean] for this task
    filters: dict[str, Any] = field(default_factory=dict)  # overrides of [filters]
    dedup: dict[str, Any] = field(default_factory=dict)  # overrides of [dedup]


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    seed: int
    origin: str
    sources: dict[str, dict[str, Any]]
    tasks: dict[str, TaskRecipe]
    sections: dict[str, dict[str, Any]]  # further top-level tables (split, filters, dedup, ...)
    path: Path
    raw: dict[str, Any]

    @property
    def hash(self) -> str:
        """A short content hash of the parsed recipe; names the build in manifests and commits."""
        canonical = json.dumps(self.raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def section(self, name: str) -> dict[str, Any]:
        return self.sections.get(name, {})

    def stage_config(self, stage: str, task: str) -> dict[str, Any]:
        """A stage's settings for one task: the recipe-wide table, overridden key by key by the task's."""
        overrides = getattr(self.tasks.get(task, TaskRecipe()), stage)
        return {**self.section(stage), **overrides}


def available_recipes() -> list[str]:
    return sorted(p.stem for p in recipes_dir().glob("*.toml"))


def resolve_recipe_path(name_or_path: str) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise RecipeError(
                f"recipe file {candidate} not found; pass a TOML path or one of: "
                f"{', '.join(available_recipes())}"
            )
        return candidate
    bundled = recipes_dir() / f"{name_or_path}.toml"
    if not bundled.is_file():
        raise RecipeError(
            f"unknown recipe {name_or_path!r}; use one of: {', '.join(available_recipes())} "
            "or a path to a .toml file"
        )
    return bundled


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RecipeError(f"recipe: {where} must be a {names}, got {value!r}")
    return value


def _task_recipe(abbr: str, table: dict[str, Any]) -> TaskRecipe:
    table = dict(table)
    ind = tuple(_expect(table.pop("ind_categories", []), list, f"tasks.{abbr}.ind_categories"))
    ood = tuple(_expect(table.pop("ood_categories", []), list, f"tasks.{abbr}.ood_categories"))
    sizes = dict(_expect(table.pop("sizes", {}), dict, f"tasks.{abbr}.sizes"))
    for split, cap in sizes.items():
        if split not in SPLITS:
            raise RecipeError(
                f"recipe: tasks.{abbr}.sizes has unknown split {split!r}; use {', '.join(SPLITS)}"
            )
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
            raise RecipeError(f"recipe: tasks.{abbr}.sizes.{split} must be a non-negative integer")
    stages = {key: dict(_expect(table.pop(key, {}), dict, f"tasks.{abbr}.{key}")) for key in STAGE_SECTIONS}
    return TaskRecipe(ind_categories=ind, ood_categories=ood, sizes=sizes, params=table, **stages)


def load_recipe(name_or_path: str) -> Recipe:
    """Load and validate a recipe; every problem is a one-line RecipeError."""
    path = resolve_recipe_path(name_or_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RecipeError(f"recipe {path}: not valid TOML ({exc})") from exc
    body = dict(raw)
    name = _expect(body.pop("name", path.stem), str, "name")
    description = _expect(body.pop("description", ""), str, "description")
    seed = _expect(body.pop("seed", 1), int, "seed")
    origin = _expect(body.pop("origin", "bundled"), str, "origin")
    if origin not in ORIGINS:
        raise RecipeError(f"recipe: origin must be one of {', '.join(ORIGINS)}, got {origin!r}")
    sources = _expect(body.pop("sources", {}), dict, "sources")
    for source_name, options in sources.items():
        _expect(options, dict, f"sources.{source_name}")
    task_tables = _expect(body.pop("tasks", {}), dict, "tasks")
    tasks = {abbr: _task_recipe(abbr, _expect(t, dict, f"tasks.{abbr}")) for abbr, t in task_tables.items()}
    sections = {key: _expect(value, dict, key) for key, value in body.items()}
    return Recipe(
        name=name,
        description=description,
        seed=seed,
        origin=origin,
        sources=sources,
        tasks=tasks,
        sections=sections,
        path=path,
        raw=raw,
    )
