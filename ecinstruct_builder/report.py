"""The readable Markdown build report (the JSON report holds the same numbers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .io import atomic_path


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _task_section(abbr: str, task: dict[str, Any]) -> list[str]:
    split, clean = task["split"], task["clean"]
    out = [f"## {abbr} — {task['name']}", ""]
    funnel = [[step["step"], f"{step['rows']:,}"] for step in clean["funnel"]]
    out += ["Cleaning on every candidate (rows left after each step):", "", *_table(["step", "rows"], funnel)]
    touched = ", ".join(f"{name} {rows:,}" for name, rows in clean["touched"].items()) or "none"
    out += [f"Rows the expensive steps examined (only what the quotas needed): {touched}.", ""]
    if clean["dropped"]:
        dropped = [[d["stage"], d["reason"], f"{d['rows']:,}"] for d in clean["dropped"]]
        out += ["Dropped rows by stage and reason (all in the rejects folder):", ""]
        out += _table(["stage", "reason", "rows"], dropped)
    quotas = [
        [q["split"], q["cap"], q["available"], q["selected"], "yes" if q["met"] else "**no**"]
        for q in split["quotas"]
    ]
    out += ["Split quotas:", "", *_table(["split", "cap", "available", "selected", "met"], quotas)]
    counts = [[c["setting"], c["split"], c["rows"]] for c in task["counts"]]
    out += ["Rendered rows:", "", *_table(["setting", "split", "rows"], counts)]
    domains = [[d["split"], d["domain"], d["rows"]] for d in task["domains"]]
    out += ["Rows per split and domain (category, or attribute for AVE):", ""]
    return out + _table(["split", "domain", "rows"], domains)


def _timings_section(timings: dict[str, Any]) -> list[str]:
    rows = [
        [
            abbr,
            stage,
            f"{t['seconds']:.2f}",
            "–" if t["rows_in"] is None else f"{t['rows_in']:,}",
            f"{t['rows_out']:,}",
        ]
        for abbr, stages in timings["tasks"].items()
        for stage, t in stages.items()
    ]
    rows.append(["all", "cross-task leakage", f"{timings['cross_task_leakage']['seconds']:.2f}", "–", "–"])
    out = ["## Stage timings", ""]
    out += ["Wall time of this run (the one part of the report that differs between identical runs):", ""]
    return out + _table(["task", "stage", "seconds", "rows in", "rows out"], rows)


def markdown_report(report: dict[str, Any]) -> str:
    recipe = report["recipe"]
    out = [f"# Build report — recipe `{recipe['name']}` ({recipe['hash']}, seed {recipe['seed']})", ""]
    unmet = [
        [abbr, q["split"], q["cap"], q["available"], q["selected"]]
        for abbr, task in report["tasks"].items()
        for q in task["split"]["quotas"]
        if not q["met"]
    ]
    if unmet:
        out += ["## Quotas not met", "", *_table(["task", "split", "cap", "available", "selected"], unmet)]
    if report["skipped"]:
        out += ["## Skipped tasks", "", *(f"- {abbr}: {why}" for abbr, why in report["skipped"].items()), ""]
    leakage = report["cross_task_leakage"]
    out += [f"## Leakage across tasks (mode: {leakage['mode']})", ""]
    if leakage["pairs"]:
        out += ["Evaluation rows whose product or text is in another task's train split:", ""]
        rows = [[p["train_task"], p["task"], p["kind"], p["rows"]] for p in leakage["pairs"]]
        out += _table(["train of", "evaluation of", "shared", "rows"], rows)
    else:
        out += ["None found.", ""]
    for abbr, task in report["tasks"].items():
        out += _task_section(abbr, task)
    if "timings" in report:
        out += _timings_section(report["timings"])
    return "\n".join(out)


def write_markdown_report(report: dict[str, Any], target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(markdown_report(report), encoding="utf-8")
