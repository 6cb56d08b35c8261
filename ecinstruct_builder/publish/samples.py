"""`ecbuild samples`: Markdown pages of rendered rows, an HTML view and charts, to review a build.

`docs/samples/` holds one page per task (the first row of every setting and split, as a model
would see it, with its lineage), an index with the counts and four PNG charts (labels, categories,
text lengths and template usage, when matplotlib, the `charts` extra, is installed), `index.html`
to browse every sample row by task, setting and split, and a manifest of what the command wrote.
Everything is a pure function of the build, so the committed pages can be checked for staleness
byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import EcbuildError
from ..io import atomic_path, write_json
from ..render import SETTING_ORDER
from ..tasks import builders
from .charts import (
    CHARTS_INSTALL,
    categories_figure,
    category_counts,
    charts_available,
    label_counts,
    labels_figure,
    length_counts,
    lengths_figure,
    plot,
    template_counts,
    templates_figure,
)
from .layout import DIVERSE, SPLIT_SOURCES, row_counts, side_rows
from .markdown import fence, number, table
from .rowview import lineage, option_list, origin_note, pretty
from .samples_html import HTML_FILE, samples_html
from .workdir import Build, BuiltTask

INDEX = "README.md"
LABELS_PNG = "labels.png"
CATEGORIES_PNG = "categories.png"
LENGTHS_PNG = "lengths.png"
TEMPLATES_PNG = "templates.png"
ROWS_PER_SPLIT = 1
ROW_SPLITS = ("train", "validation", "test")
REGENERATE = "ecbuild fetch && ecbuild render --task all && ecbuild samples"
# What this command wrote, so a rerun deletes only its own files (never the user's).
MANIFEST = "samples-manifest.json"
GENERATOR = "ecbuild samples"


def _pretty(text: str | None) -> str:
    """Input and examples pretty-printed as JSON when they parse, else shown as they are."""
    shown, is_json = pretty(text)
    return fence(shown, "json" if is_json else "text")


def _options(text: str | None) -> str:
    options = option_list(text)
    if options is None:
        return fence(text or "", "text")
    return "\n".join(f"- {option}" for option in options) if options else "(no options)"


def _lineage(row: dict[str, Any]) -> str:
    parts = [f"{label} " + ", ".join(f"`{value}`" for value in values) for label, values in lineage(row)]
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


def task_page(build: Build, task: BuiltTask, counts: pl.DataFrame, samples: pl.DataFrame) -> str:
    builder = builders().get(task.abbr)
    title = builder.title if builder else task.name
    group = f" · {builder.group}" if builder else ""
    parts = [
        f"# {title} (`{task.name}`, {task.abbr})",
        f"**{origin_note(build.synthetic)}**",
        f"[All tasks]({INDEX}){group} · recipe `{build.recipe.name}` (`{build.recipe.hash}`)",
        "Rows per setting and ECInstruct split:",
        _task_counts(counts, task.name),
    ]
    for setting in samples["setting"].unique(maintain_order=True).to_list():
        parts.append(f"## {setting}")
        parts += [
            render_row(row) for row in samples.filter(pl.col("setting") == setting).iter_rows(named=True)
        ]
    return "\n\n".join(parts) + "\n"


def _charts_section(labelled: list[str], build: Build, charts: bool) -> list[str]:
    if not charts:
        return [
            "## Charts",
            f"Skipped: matplotlib is not installed. `{CHARTS_INSTALL}` adds it; then run "
            "`ecbuild samples` again.",
        ]
    free_form = [t.abbr for t in build.tasks if t.name not in labelled]
    return [
        "## Label distribution per task and split",
        "Share of each answer (the option letter where answers are options) in each split"
        + (f"; free-form tasks ({', '.join(free_form)}) are left out." if free_form else "."),
        f"![Label distribution per task and split]({LABELS_PNG})",
        "## Rows per category, in-domain and out-of-domain",
        "Tasks whose source has product categories (a task's smaller ones pooled as `other`).",
        f"![Rows per category, IND and OOD]({CATEGORIES_PNG})",
        "## Text lengths per task",
        "Rows of ECInstruct proper by the length of their input and of their output, in words "
        "(space-separated; bins double in width).",
        f"![Input and output lengths per task]({LENGTHS_PNG})",
        "## Instruction template usage per task",
        "Rows per instruction template over every setting and split, stacked by setting: the "
        "Diverse settings spread over the seen paraphrases, the Single setting uses the base one "
        "and the Unseen setting the held-out one.",
        f"![Rows per instruction template]({TEMPLATES_PNG})",
    ]


def index_page(build: Build, counts: pl.DataFrame, labelled: list[str], charts: bool = True) -> str:
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
    parts = [
        f"# Sample outputs — recipe `{build.recipe.name}` (`{build.recipe.hash}`)",
        f"**{origin_note(build.synthetic)}**",
        "Rendered rows of every task and setting, for review. Generated by `ecbuild samples`: "
        f"do not edit by hand, regenerate with `{REGENERATE}`.",
        f"[Browse every sample row]({HTML_FILE}), filtered by task, setting and split (one page, no server).",
        "Rows of ECInstruct proper (Diverse instructions) per split, and of every setting together:",
        table(["task", "config", *SPLIT_SOURCES, "all settings"], rows),
    ]
    return "\n\n".join(parts + _charts_section(labelled, build, charts)) + "\n"


def _write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _safe_name(name: object) -> bool:
    # A manifest entry names a file directly in the folder: nothing else can be deleted through it.
    return (
        isinstance(name, str)
        and name not in ("", ".", "..", MANIFEST)
        and "/" not in name
        and "\\" not in name
    )


def earlier_output(out: Path) -> set[str]:
    """The files an earlier `ecbuild samples` wrote to `out`, from its manifest; refuses a foreign folder."""
    if out.exists() and not out.is_dir():
        raise EcbuildError(f"--out {out} is a file; choose a folder")
    if not out.is_dir() or not any(out.iterdir()):
        return set()
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("generator") != GENERATOR:
        raise EcbuildError(
            f"--out {out} is not empty and holds no `ecbuild samples` output (no {MANIFEST}); "
            "choose a new or empty folder"
        )
    return {name for name in manifest.get("files", []) if _safe_name(name)}


def write_samples(build: Build, out: Path) -> list[Path]:
    """Regenerate every page, chart and the HTML view in `out`.

    Files an earlier run wrote (listed in its manifest) and this one does not are removed; nothing
    else in `out` is ever deleted, and a non-empty folder without a manifest is refused.
    """
    earlier = earlier_output(out)
    out.mkdir(parents=True, exist_ok=True)
    counts = row_counts(build)
    abbrs = {t.name: t.abbr for t in build.tasks}
    labels = label_counts(build)
    charts = charts_available()
    samples = [(task, sample_rows(task)) for task in build.tasks]
    written = []
    for task, rows in samples:
        target = out / f"{task.name}.md"
        _write_text(target, task_page(build, task, counts, rows))
        written.append(target)
    _write_text(out / INDEX, index_page(build, counts, labels["task"].unique().to_list(), charts))
    _write_text(out / HTML_FILE, samples_html(build, samples, SETTING_ORDER))
    written += [out / INDEX, out / HTML_FILE]
    if charts:
        drawn = {
            LABELS_PNG: (labels_figure, labels),
            CATEGORIES_PNG: (categories_figure, category_counts(build)),
            LENGTHS_PNG: (lengths_figure, length_counts(build)),
            TEMPLATES_PNG: (templates_figure, template_counts(build)),
        }
        for name, (figure, chart_counts) in drawn.items():
            plot(figure, chart_counts, abbrs, out / name)
            written.append(out / name)
    names = sorted(p.name for p in written)
    for stale in sorted(earlier - set(names)):
        (out / stale).unlink(missing_ok=True)
    write_json(out / MANIFEST, {"generator": GENERATOR, "files": names})
    return sorted([*written, out / MANIFEST])
