"""`docs/recipe.md`, the recipe reference, generated from the typed models (a test keeps it current).

python -m ecinstruct_builder.recipe_docs docs/recipe.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from .clean.dedup import DedupConfig
from .clean.filters import FiltersConfig, LanguageConfig
from .clean.text import CleanConfig
from .config import DecontaminateConfig, RecipeHeader, Sizes, SplitConfig, TaskConfig
from .rowformat import RenderConfig
from .schema import describe, keys_of
from .sources import adapters
from .tasks import builders

INTRO = """# Recipe reference

A recipe is a TOML file: the whole configuration of a build. `ecbuild check RECIPE` validates one
without running anything; every command validates it in full before it reads a file. An unknown
section or key is an error that names the nearest valid one; a wrong type or a value out of range is
a one-line error. The bundled recipes are `ecinstruct_builder/recipes/*.toml`.

This page is generated from the code (`python -m ecinstruct_builder.recipe_docs docs/recipe.md`);
a test fails when it is out of date.
"""


def key_table(cls: type) -> list[str]:
    keys = describe(cls)
    if not keys:
        return ["No keys.", ""]
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    lines += [f"| `{k.name}` | {k.type} | `{k.default}` | {k.doc} |" for k in keys]
    return [*lines, ""]


def section(title: str, cls: type, text: str = "") -> list[str]:
    return [f"## {title}", "", *([text, ""] if text else []), *key_table(cls)]


def reference() -> str:
    out = [INTRO]
    out += section("Top level", RecipeHeader)
    out += section("`[split]`", SplitConfig)
    out += section("`[clean]`", CleanConfig, "A task may override any key in its own `clean` table.")
    out += section("`[filters]`", FiltersConfig, "A task may override any key in its own `filters` table.")
    out += section("`[filters].language`", LanguageConfig)
    out += section("`[dedup]`", DedupConfig, "A task may override any key in its own `dedup` table.")
    out += section("`[decontaminate]`", DecontaminateConfig)
    out += section(
        "`[render]`",
        RenderConfig,
        "How rendered rows are written: `row_format` picks every rule at once; a rule left unset "
        "follows it, one set here wins (docs/fidelity.md lists each rule with the authors' version).",
    )
    out += [
        "## `[sources.NAME]`",
        "",
        "One table per source the build reads; a source left out is not fetched.",
        "",
    ]
    for name, adapter in adapters().items():
        out += [f"### `[sources.{name}]` — {adapter.title}", "", *key_table(adapter.options_model)]
    common = ", ".join(f"`{k}`" for k in keys_of(TaskConfig))
    out += [
        "## `[tasks.ABBR]`",
        "",
        f"One table per task; a task without one is built with the defaults (no caps). Every task takes "
        f"{common}; `clean`, `filters` and `dedup` override the recipe-wide sections key by key.",
        "",
        *key_table(TaskConfig),
        "### `sizes`",
        "",
        *key_table(Sizes),
    ]
    for abbr, builder in builders().items():
        if keys_of(builder.params_model):
            out += [
                f"### `[tasks.{abbr}]` — {builder.title}: its own keys",
                "",
                *key_table(builder.params_model),
            ]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> None:
    text = reference()
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
