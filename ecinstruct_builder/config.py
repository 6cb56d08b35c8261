"""The recipe: the whole configuration of a build as one typed model, validated in full at load.

A recipe is TOML (bundled: `ecinstruct_builder/recipes/*.toml`, or any path). `load_recipe` checks
every section and key before any file is read: an unknown key names the nearest valid one, a wrong
type or a value out of range is a one-line `RecipeError`, task and source names are checked against
the registered builders and adapters, and categories against what the recipe's sources provide.
Each section's model lives with the code it configures (`CleanConfig` in clean/text.py,
`FiltersConfig` in clean/filters.py, `DedupConfig` in clean/dedup.py, a source's `options_model`
in its adapter, a task's `params_model` in its builder); this module assembles them.
`docs/recipe.md` is generated from these models (`python -m ecinstruct_builder.recipe_docs`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .clean.dedup import DedupConfig
from .clean.filters import FiltersConfig
from .clean.privacy import PrivacyConfig
from .clean.stage import task_filters
from .clean.text import CleanConfig
from .compat import tomllib
from .errors import RecipeError
from .paths import recipes_dir
from .rowformat import RenderConfig
from .schema import keys_of, nearest, option, override, parse, parse_fields, plain, unknown_key_error
from .sources import adapters
from .sources.base import SourceAdapter
from .tasks import builders
from .tasks.base import TaskBuilder

#: the split fractions where a source has no official split
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)


@dataclass(frozen=True)
class SplitConfig:
    """`[split]`: how candidates are split where a source has no official split."""

    mode: Literal["grouped", "random"] = option(
        "grouped",
        "grouped: a hash of each row's group (product; user for SR) picks its split and the order "
        "quotas take rows in, so adding rows moves none and a product never straddles train and test; "
        "random: each row on its own, cut at exact fractions per category in a seeded shuffle and "
        "sampled in a seeded order, as the ECInstruct notebooks did (SR still by user)",
    )
    fractions: tuple[float, float, float] = option(
        DEFAULT_FRACTIONS,
        "train / validation / test shares by hash bucket (random mode: exact counts); each >= 0, "
        "summing to 1",
        minimum=0,
    )
    drop_group_overlap: bool = option(
        True,
        "drop validation/test rows whose group (product) is among the selected train rows; they "
        "occur with official splits and in random mode (rejects: split / group_in_train)",
    )
    holdout_cap: float = option(
        0.5,
        "largest share of the evaluation side's groups an out-of-domain hold-out (AVE attributes) may take",
        above=0,
        maximum=1,
    )

    def check(self, where: str) -> None:
        if abs(sum(self.fractions) - 1) > 1e-9:
            raise RecipeError(
                f"{where}.fractions must sum to 1, got {list(self.fractions)} = {sum(self.fractions)}"
            )
        if self.fractions[0] == 0:
            raise RecipeError(f"{where}.fractions: the train share must be above 0")


@dataclass(frozen=True)
class DecontaminateConfig:
    """`[decontaminate]`: leakage across tasks (a product or text in one task's train and another's test)."""

    cross_task: Literal["report", "remove"] = option(
        "report", "report: list it in the build report; remove: drop those evaluation rows"
    )


@dataclass(frozen=True)
class Sizes:
    """`[tasks.X].sizes`: the cap of each split; unset = every row available."""

    train: int | None = option(None, "train rows", minimum=0)
    validation: int | None = option(None, "validation rows", minimum=0)
    test: int | None = option(None, "in-domain test rows", minimum=0)
    test_ood: int | None = option(None, "out-of-domain test rows (tasks with an OOD side only)", minimum=0)

    def cap(self, split: str) -> int | None:
        return getattr(self, split)


@dataclass(frozen=True)
class TaskConfig:
    """`[tasks.X]`: one task's categories, caps, stage overrides and builder parameters.

    `clean`, `filters` and `dedup` are the recipe-wide sections with the task's keys replaced.
    """

    ind_categories: tuple[str, ...] = option((), "in-domain categories; empty: every category not OOD")
    ood_categories: tuple[str, ...] = option((), "out-of-domain (held-out) categories")
    sizes: Sizes = option(Sizes(), "split caps, e.g. {train = 10000, validation = 1000, test = 1000}")
    clean: CleanConfig = option(CleanConfig(), "overrides of [clean] for this task")
    filters: FiltersConfig = option(FiltersConfig(), "overrides of [filters] for this task")
    dedup: DedupConfig = option(DedupConfig(), "overrides of [dedup] for this task")
    privacy: PrivacyConfig = option(PrivacyConfig(), "overrides of [privacy] for this task")
    category_mix: Literal["equal", "pooled"] | None = option(
        None,
        "several IND categories: an equal share each, or one draw from their union (proportional to "
        "size); unset: as ECInstruct built the task",
    )
    params: Any = field(default=None, metadata={"internal": True})  # the builder's own parameters


STAGES = ("clean", "filters", "dedup", "privacy")
TOP_LEVEL = (
    "name",
    "description",
    "seed",
    "origin",
    "split",
    *STAGES,
    "decontaminate",
    "render",
    "sources",
    "tasks",
)


@dataclass(frozen=True)
class Recipe:
    """A validated recipe. `tasks` holds every registered task (defaults where the recipe is silent)."""

    name: str
    description: str
    seed: int
    origin: Literal["bundled", "download"]
    split: SplitConfig
    clean: CleanConfig
    filters: FiltersConfig
    dedup: DedupConfig
    privacy: PrivacyConfig
    decontaminate: DecontaminateConfig
    render: RenderConfig
    sources: dict[str, Any]  # adapter name -> its typed options
    tasks: dict[str, TaskConfig]
    declared_tasks: tuple[str, ...]  # the tasks the recipe has a [tasks.X] table for
    templates: Path | None  # the user's template folder, if any
    path: Path
    raw: dict[str, Any]

    @property
    def hash(self) -> str:
        """A short content hash of the recipe as written; names the build in manifests and commits."""
        return digest(self.raw)

    def task(self, abbr: str) -> TaskConfig:
        return self.tasks[abbr]

    def source_options(self, name: str) -> dict[str, Any]:
        """A source's options as plain data, as the adapters read them."""
        return plain(self.sources[name])


@dataclass(frozen=True)
class RecipeHeader:
    """The recipe's top-level keys (documented from this model)."""

    name: str | None = option(None, "the recipe's name, shown in reports and the card; unset: the file name")
    description: str = option("", "one line about the build")
    seed: int = option(1, "seed of every hash and random choice", minimum=0, maximum=2**32 - 1)
    origin: Literal["bundled", "download"] = option(
        "bundled", "where `ecbuild fetch` gets files without --source-dir: bundled samples or a download"
    )
    templates: str | None = option(
        None,
        "a folder of your own template files (<ABBR>.toml, validated like the bundled ones) replacing the "
        "bundled wording of those tasks; relative to the recipe file; `render --templates` overrides it",
    )


def digest(payload: Any) -> str:
    """A short, stable hash of JSON-able data."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def available_recipes() -> list[str]:
    return sorted(p.stem for p in recipes_dir().glob("*.toml"))


def resolve_recipe_path(name_or_path: str) -> Path:
    """A bundled recipe by name (never shadowed by a folder of that name), else a TOML file path."""
    bundled = recipes_dir() / f"{name_or_path}.toml"
    if "/" not in name_or_path and not name_or_path.endswith(".toml") and bundled.is_file():
        return bundled
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    known = ", ".join(available_recipes())
    if candidate.suffix == ".toml" or candidate.exists():
        raise RecipeError(
            f"recipe file {candidate} not found (or not a file); pass a TOML file or one of: {known}"
        )
    raise RecipeError(
        f"unknown recipe {name_or_path!r}{nearest(name_or_path, available_recipes())}; "
        f"use one of: {known}, or a path to a .toml file"
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecipeError(f"recipe {path}: cannot be read ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise RecipeError(f"recipe {path}: not UTF-8 text") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(f"recipe {path}: not valid TOML ({exc})") from exc
    if not raw:
        raise RecipeError(
            f"recipe {path} is empty; start from a bundled one, e.g. {recipes_dir() / 'demo.toml'}"
        )
    return raw


def _sources(table: Any, where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise RecipeError(f"{where} must be a table of [sources.NAME] tables")
    known = adapters()
    if not table:
        raise RecipeError(
            f"{where}: the recipe reads no source; add [sources.NAME] for some of: {', '.join(known)}"
        )
    parsed = {}
    for name, options in table.items():
        if name not in known:
            raise RecipeError(
                f"{where}: unknown source {name!r}{nearest(name, known)}; known: {', '.join(known)}"
            )
        parsed[name] = parse(known[name].options_model, options, f"{where}.{name}")
    return parsed


def _task(
    builder: TaskBuilder, table: Any, base: dict[str, Any], sources: dict[str, Any], seed: int, where: str
) -> TaskConfig:
    if not isinstance(table, dict):
        raise RecipeError(f"{where} must be a table, got {table!r}")
    common = keys_of(TaskConfig)
    params_keys = keys_of(builder.params_model)
    own = {k: v for k, v in table.items() if k in common}
    for key in table:
        if key not in common and key not in params_keys:
            raise unknown_key_error(where, key, {*common, *params_keys})
    stages = {stage: override(base[stage], own.pop(stage, {}), f"{where}.{stage}") for stage in STAGES}
    values = parse_fields(TaskConfig, own, where)
    params = parse(builder.params_model, {k: v for k, v in table.items() if k in params_keys}, where)
    config = TaskConfig(**{**values, **stages}, params=params)
    _check_task(builder, config, sources, seed, where)
    return config


def category_sources(builder: TaskBuilder) -> list[SourceAdapter]:
    """The adapters whose tables a task reads."""
    return [a for a in adapters().values() if any(t in a.tables for t in builder.tables)]


def _check_task(
    builder: TaskBuilder, config: TaskConfig, sources: dict[str, Any], seed: int, where: str
) -> None:
    ind, ood = config.ind_categories, config.ood_categories
    if builder.ood_axis != "category" and (ind or ood):
        raise RecipeError(
            f"{where}: {builder.abbr} takes no ind_categories/ood_categories (its out-of-domain axis is "
            f"{builder.ood_axis!r}); remove them"
        )
    if builder.ood_axis == "none" and config.sizes.test_ood is not None:
        raise RecipeError(
            f"{where}.sizes.test_ood: {builder.abbr} has no out-of-domain test split; remove it"
        )
    both = sorted(set(ind) & set(ood))
    if both:
        raise RecipeError(
            f"{where}: category {both[0]!r} is both in-domain and out-of-domain; keep it on one side"
        )
    offered: set[str] = set()
    for adapter in category_sources(builder):
        options = sources.get(adapter.name)
        offered |= set(getattr(options, "categories", ()) or ())
    for side, categories in (("ind_categories", ind), ("ood_categories", ood)):
        for category in categories:
            if offered and category not in offered:
                raise RecipeError(
                    f"{where}.{side}: {category!r} is not a category of the recipe's sources"
                    f"{nearest(category, offered)}; they offer: {', '.join(sorted(offered))}"
                )
    # the filter chain is built once here so that a bad field name fails before any work
    task_filters(builder, config.filters, seed, f"{where}.filters")


def _template_folder(value: str | None, recipe: Path, where: str) -> Path | None:
    if value is None:
        return None
    folder = (recipe.parent / value).resolve()
    if not folder.is_dir():
        raise RecipeError(f"{where}.templates: {folder} is not a folder of template files")
    return folder


def parse_recipe(raw: dict[str, Any], path: Path) -> Recipe:
    """The typed recipe from parsed TOML; every problem is a one-line RecipeError naming the key."""
    where = f"recipe {path.name}"
    for key in raw:
        if key not in TOP_LEVEL:
            raise unknown_key_error(where, key, TOP_LEVEL)
    header = parse(RecipeHeader, {k: raw[k] for k in keys_of(RecipeHeader) if k in raw}, where)
    split = parse(SplitConfig, raw.get("split", {}), f"{where}: split")
    base = {
        "clean": parse(CleanConfig, raw.get("clean", {}), f"{where}: clean"),
        "filters": parse(FiltersConfig, raw.get("filters", {}), f"{where}: filters"),
        "dedup": parse(DedupConfig, raw.get("dedup", {}), f"{where}: dedup"),
        "privacy": parse(PrivacyConfig, raw.get("privacy", {}), f"{where}: privacy"),
    }
    decontaminate = parse(DecontaminateConfig, raw.get("decontaminate", {}), f"{where}: decontaminate")
    render = parse(RenderConfig, raw.get("render", {}), f"{where}: render")
    sources = _sources(raw.get("sources", {}), f"{where}: sources")
    task_tables = raw.get("tasks", {})
    if not isinstance(task_tables, dict):
        raise RecipeError(f"{where}: tasks must be a table of [tasks.ABBR] tables")
    known = builders()
    for abbr in task_tables:
        if abbr not in known:
            raise RecipeError(
                f"{where}: unknown task [tasks.{abbr}]{nearest(abbr, known)}; known: {', '.join(known)}"
            )
    seed = header.seed
    base["dedup"] = dataclasses.replace(base["dedup"], seed=seed)
    tasks = {
        abbr: _task(builder, task_tables.get(abbr, {}), base, sources, seed, f"{where}: tasks.{abbr}")
        for abbr, builder in known.items()
    }
    return Recipe(
        name=header.name or path.stem,
        description=header.description,
        seed=seed,
        origin=header.origin,
        split=split,
        decontaminate=decontaminate,
        render=render,
        sources=sources,
        tasks=tasks,
        declared_tasks=tuple(abbr for abbr in known if abbr in task_tables),
        templates=_template_folder(header.templates, path, where),
        path=path,
        raw=raw,
        **base,
    )


def load_recipe(name_or_path: str) -> Recipe:
    """Load and validate a recipe by bundled name or path."""
    path = resolve_recipe_path(name_or_path)
    return parse_recipe(_read_toml(path), path)


def task_config(builder: TaskBuilder, table: dict[str, Any] | None = None, seed: int = 1) -> TaskConfig:
    """One task's config from a `[tasks.X]`-style table over the default sections (for library use
    and tests); checked like a recipe's, except that no source restricts the categories."""
    base = {
        "clean": CleanConfig(),
        "filters": FiltersConfig(),
        "dedup": DedupConfig(seed=seed),
        "privacy": PrivacyConfig(),
    }
    return _task(builder, table or {}, base, {}, seed, f"tasks.{builder.abbr}")
