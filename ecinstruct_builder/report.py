"""The readable Markdown build report (the JSON report holds the same numbers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .io import atomic_path


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def markdown_report(report: dict[str, Any]) -> str:
    recipe = report["recipe"]
    out = [f"# Build report — recipe `{recipe['name']}` ({recipe['hash']}, seed {recipe['seed']})", ""]
    unmet = [[abbr, q["split"], q["cap"], q["available"], q["selected"]]
             for abbr, task in report["tasks"].items() for q in task["split"]["quotas"] if not q["met"]]
    if unmet:
        out += ["## Quotas not met", ""]
        out += _table(["task", "split", "cap", "available", "selected"], unmet) + [""]
    if report["skipped"]:
        out += ["## Skipped tasks", ""] + [f"- {abbr}: {why}" for abbr, why in report["skipped"].items()] + [""]
    for abbr, task in report["tasks"].items():
        out += [f"## {abbr} — {task['name']}", "", f"{task['split']['candidates']} candidates, "
                f"{task['split']['dropped_group_overlap']} evaluation rows dropped because their group is in train.", ""]
        out += _table(["setting", "split", "rows"], [[c["setting"], c["split"], c["rows"]] for c in task["counts"]])
        out += ["", "Rows per split and domain (category / attribute):", ""]
        out += _table(["split", "domain", "rows"], [[d["split"], d["domain"], d["rows"]] for d in task["domains"]])
        out.append("")
    return "\n".join(out)


def write_markdown_report(report: dict[str, Any], target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(markdown_report(report), encoding="utf-8")
