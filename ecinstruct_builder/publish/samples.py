"""`ecbuild samples`: Markdown pages of rendered rows, and charts, for people to review a build.

`docs/samples/` holds one page per task (the first row of every setting and split, as a model
would see it, with its lineage) and an index with the counts and two PNG charts. Everything is a
pure function of the build, so the committed pages can be checked for staleness byte for byte.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import polars as pl

from ..io import atomic_path
from ..render import SETTING_ORDER
from ..tasks import builders
from .charts import category_counts, label_counts, plot_categories, plot_labels
from .layout import DIVERSE, SPLIT_SOURCES, row_counts, side_rows
from .markdown import fence, number, table
from .workdir import Build, BuiltTask

INDEX = "README.md"
LABELS_PNG = "labels.png"
CATEGORIES_PNG = "categories.png"
ROWS_PER_SPLIT = 1
ROW_SPLITS = ("train", "validation", "test")
REGENERATE = "ecbuild fetch && ecbuild render --task all && ecbuild samples"


def parse_loose(text: str) -> Any:
    """A JSON value, or a Python literal (SR's lists are written that way); None when it is neither."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None


def _pretty(text: str | None) -> str:
    """Input and examples pretty-printed as JSON when they parse, else shown as they are."""
    value = parse_loose(text or "")
    if isinstance(value, dict | list):
        return fence(json.dumps(value, indent=2, ensure_ascii=False), "json")
    return fence(text or "", "text")


def _options(text: str | None) -> str:
    value = parse_loose(text or "")
    if isinstance(value, list) and value:
        return "\n".join(f"- {option}" for option in value)
    return "(no options)" if not (text or "").strip() else fence(text or "", "text")


def _lineage(row: dict[str, Any]) -> str:
    parts = [
        f"source `{row['source']}`",
        "source ids " + ", ".join(f"`{i}`" for i in row["source_ids"] or []),
    ]
    parts += [
        f"{name} `{row[key]}`"
        for key, name in (
            ("product_id", "product"),
            ("category", "category"),
            ("template_id", "template"),
            ("labels", "labels"),
        )
        if row.get(key)
    ]
    return "**Lineage:** " + " · ".join(parts)


def render_row(row: dict[str, Any]) -> str:
    """One row as a model sees it (instruction, input, options, output) and where it came from."""
    parts = [
        f"### {row['split']} · `{row['id']}`",
        "**Instruction**",
        "\n".join(f"> {line}" for line in (row["instruction"] or "").splitlines()),
        "**Input**",
        _pretty(row["input"]),
        "**Options**",
        _options(row["options"]),
        "**Output**",
        fence(row["output"] or "", "text"),
    ]
    if row.get("few_shot_example"):
        parts += [
            "<details><summary>Few-shot example</summary>",
            _pretty(row["few_shot_example"]),
            "</details>",
        ]
    parts.append(_lineage(row))
    return "\n\n".join(parts)


def sample_rows(task: BuiltTask) -> pl.DataFrame:
    """The first ROWS_PER_SPLIT rows of every setting and split, in file order (render sorts by setting)."""
    first = pl.int_range(pl.len()).over("setting", "split") < ROWS_PER_SPLIT
    return pl.scan_parquet(task.path).filter(first).collect()


def _task_counts(counts: pl.DataFrame, task: str) -> str:
    mine = counts.filter(pl.col("task") == task)
    settings = [s for s in SETTING_ORDER if s in set(mine["setting"].to_list())]
    lookup = {(s, sp): n for _, s, sp, n in mine.iter_rows()}
    return table(
        ["setting", *ROW_SPLITS],
        [[s, *(number(lookup.get((s, sp), 0)) for sp in ROW_SPLITS)] for s in settings],
    )


def task_page(build: Build, task: BuiltTask, counts: pl.DataFrame) -> str:
    builder = builders().get(task.abbr)
    title = builder.title if builder else task.name
    group = f" · {builder.group}" if builder else ""
    parts = [
        f"# {title} (`{task.name}`, {task.abbr})",
        f"[All tasks]({INDEX}){group} · recipe `{build.recipe.name}` (`{build.recipe.hash}`)",
        "Rows per setting and ECInstruct split:",
        _task_counts(counts, task.name),
    ]
    samples = sample_rows(task)
    for setting in samples["setting"].unique(maintain_order=True).to_list():
        parts.append(f"## {setting}")
        parts += [
            render_row(row) for row in samples.filter(pl.col("setting") == setting).iter_rows(named=True)
        ]
    return "\n\n".join(parts) + "\n"


def index_page(build: Build, counts: pl.DataFrame, labelled: list[str]) -> str:
    rows = []
    for task in build.tasks:
        total = int(counts.filter(pl.col("task") == task.name)["rows"].sum())
        rows.append(
            [
                f"[{task.abbr}]({task.name}.md)",
                f"`{task.name}`",
                *(number(side_rows(counts, task.name, DIVERSE, s)) for s in SPLIT_SOURCES),
                number(total),
            ]
        )
    free_form = [t.abbr for t in build.tasks if t.name not in labelled]
    return (
        "\n\n".join(
            [
                f"# Sample outputs — recipe `{build.recipe.name}` (`{build.recipe.hash}`)",
                "Rendered rows of every task and setting, for review. Generated by `ecbuild samples`: "
                f"do not edit by hand, regenerate with `{REGENERATE}`.",
                "Rows of ECInstruct proper (Diverse instructions) per split, and of every setting together:",
                table(["task", "config", *SPLIT_SOURCES, "all settings"], rows),
                "## Label distribution per task and split",
                "Share of each answer (the option letter where answers are options) in each split"
                + (f"; free-form tasks ({', '.join(free_form)}) are left out." if free_form else "."),
                f"![Label distribution per task and split]({LABELS_PNG})",
                "## Rows per category, in-domain and out-of-domain",
                "Tasks whose source has product categories (a task's smaller ones pooled as `other`).",
                f"![Rows per category, IND and OOD]({CATEGORIES_PNG})",
            ]
        )
        + "\n"
    )


def _write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_samples(build: Build, out: Path) -> list[Path]:
    """Regenerate every page and chart in `out`; files of tasks no longer built are removed."""
    out.mkdir(parents=True, exist_ok=True)
    counts = row_counts(build)
    abbrs = {t.name: t.abbr for t in build.tasks}
    labels = label_counts(build)
    written = []
    for task in build.tasks:
        target = out / f"{task.name}.md"
        _write_text(target, task_page(build, task, counts))
        written.append(target)
    _write_text(out / INDEX, index_page(build, counts, labels["task"].unique().to_list()))
    plot_labels(labels, abbrs, out / LABELS_PNG)
    plot_categories(category_counts(build), abbrs, out / CATEGORIES_PNG)
    written += [out / INDEX, out / LABELS_PNG, out / CATEGORIES_PNG]
    for stale in sorted((set(out.glob("*.md")) | set(out.glob("*.png"))) - set(written)):
        stale.unlink()
    return sorted(written)
