"""`index.html` of the sample pages: one self-contained page to browse the sample rows.

No server and no external asset: the rows are written into the page as HTML (readable with
JavaScript off), and a few lines of inline script hide the rows the task, setting and split filters
exclude. The filters are mirrored in the URL fragment (`#task=SA&split=test_ood`), so a view can be
linked. The page is a pure function of the rows, so the committed copy can be checked byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import polars as pl

from .rowview import config_split, lineage, option_list, origin_note, pretty
from .workdir import Build, BuiltTask

HTML_FILE = "index.html"
SPLIT_ORDER = ("train", "validation", "test", "test_ood")
ANY = ""  # the filter value that keeps every row

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem; }
header { position: sticky; top: 0; background: #fff; padding: .5rem 0; border-bottom: 1px solid #ccc; }
label { margin-right: 1rem; }
article { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; padding: .25rem 1rem; }
article h2 { font-size: 1rem; }
pre { background: #f5f5f5; padding: .5rem; white-space: pre-wrap; word-break: break-word; }
dt { font-weight: 600; } dd { margin: 0 0 .25rem 1rem; }
code { background: #f5f5f5; padding: 0 .2rem; }
"""

# Hide what the filters exclude; keep the filters and the URL fragment in step.
SCRIPT = """
const filters = ["task", "setting", "split"].map((name) => document.getElementById(name));
const rows = Array.from(document.querySelectorAll("article"));
function apply() {
  let shown = 0;
  for (const row of rows) {
    const keep = filters.every((f) => f.value === "" || row.dataset[f.id] === f.value);
    row.hidden = !keep;
    shown += keep ? 1 : 0;
  }
  document.getElementById("shown").textContent = shown + " of " + rows.length + " rows shown";
  const chosen = filters.filter((f) => f.value !== "").map((f) => f.id + "=" + encodeURIComponent(f.value));
  history.replaceState(null, "", chosen.length ? "#" + chosen.join("&") : location.pathname);
}
const wanted = new URLSearchParams(location.hash.slice(1));
for (const f of filters) {
  if ([...f.options].some((o) => o.value === wanted.get(f.id))) f.value = wanted.get(f.id);
  f.addEventListener("change", apply);
}
apply();
"""


def _pre(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def _options_html(text: str | None) -> str:
    options = option_list(text)
    if options is None:
        return _pre(text or "")
    if not options:
        return "<p>(no options)</p>"
    return "<ul>" + "".join(f"<li>{escape(o)}</li>" for o in options) + "</ul>"


def _lineage_html(row: dict[str, Any]) -> str:
    items = "".join(
        f"<dt>{escape(label)}</dt><dd>" + ", ".join(f"<code>{escape(v)}</code>" for v in values) + "</dd>"
        for label, values in lineage(row)
    )
    return f'<dl class="lineage">{items}</dl>'


def row_html(task: BuiltTask, row: dict[str, Any]) -> str:
    """One row as an <article> tagged with its task, setting and Hub split (what the filters match)."""
    split = config_split(row["setting"], row["split"])
    parts = [
        f'<article data-task="{escape(task.abbr)}" data-setting="{escape(row["setting"])}" '
        f'data-split="{escape(split)}">',
        f"<h2>{escape(task.abbr)} · {escape(row['setting'])} · {escape(split)} · "
        f"<code>{escape(row['id'])}</code></h2>",
        "<h3>Instruction</h3>",
        _pre(row["instruction"] or ""),
        "<h3>Input</h3>",
        _pre(pretty(row["input"])[0]),
        "<h3>Options</h3>",
        _options_html(row["options"]),
        "<h3>Output</h3>",
        _pre(row["output"] or ""),
    ]
    if row.get("few_shot_example"):
        parts += [
            "<details><summary>Few-shot example</summary>",
            _pre(pretty(row["few_shot_example"])[0]),
            "</details>",
        ]
    parts += ["<h3>Lineage</h3>", _lineage_html(row), "</article>"]
    return "\n".join(parts)


def _select(name: str, label: str, values: Iterable[tuple[str, str]]) -> str:
    options = [f'<option value="{ANY}">every {label}</option>']
    options += [f'<option value="{escape(value)}">{escape(text)}</option>' for value, text in values]
    return f'<label>{label.capitalize()} <select id="{name}">{"".join(options)}</select></label>'


def _ordered(values: set[str], order: Sequence[str]) -> list[str]:
    return [v for v in order if v in values] + sorted(values - set(order))


def samples_html(
    build: Build, samples: Sequence[tuple[BuiltTask, pl.DataFrame]], settings: Sequence[str]
) -> str:
    """The page: filters for task, setting and split above every sample row of every task."""
    rows = [(task, row) for task, frame in samples for row in frame.iter_rows(named=True)]
    present_settings = {row["setting"] for _, row in rows}
    present_splits = {config_split(row["setting"], row["split"]) for _, row in rows}
    title = f"Sample rows — recipe {build.recipe.name} ({build.recipe.hash})"
    filters = [
        _select("task", "task", [(t.abbr, f"{t.abbr} · {t.name}") for t, _ in samples]),
        _select("setting", "setting", [(s, s) for s in _ordered(present_settings, settings)]),
        _select("split", "split", [(s, s) for s in _ordered(present_splits, SPLIT_ORDER)]),
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="origin"><strong>{escape(origin_note(build.synthetic))}</strong></p>',
            "<p>Generated by <code>ecbuild samples</code>; do not edit by hand. The first row of every "
            "setting and split of every task, as a model sees it, with where it came from.</p>",
            "<p>" + " ".join(filters) + ' <span id="shown"></span></p>',
            "</header>",
            "<main>",
            *(row_html(task, row) for task, row in rows),
            "</main>",
            f"<script>{SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
