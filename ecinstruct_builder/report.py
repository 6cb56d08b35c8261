"""The build report as typed records: what each stage did, per task and for the whole build.

`reports/tasks/<ABBR>.json` holds one `TaskReport` per rendered task; `reports/build.json` (a
`BuildReport`) and its readable twin `reports/build.md` are assembled from every task present, so a
render of some tasks keeps the others' reports. `to_json` / `from_json` convert to and from the
JSON files; nothing reads a report by key strings.
"""

from __future__ import annotations

import dataclasses
import json
import types
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")

TIMINGS_HEADING = "## Stage timings"  # the last section of build.md: everything after it is timings


@dataclass(frozen=True)
class StageTiming:
    """Wall time and rows of one stage (rows_in None: the stage reads source tables, not rows)."""

    seconds: float
    rows_in: int | None
    rows_out: int


@dataclass(frozen=True)
class FunnelStep:
    step: str
    rows: int


@dataclass(frozen=True)
class Drop:
    stage: str
    reason: str
    rows: int


@dataclass(frozen=True)
class CleanReport:
    funnel: list[FunnelStep]  # rows left after each cheap step, over every candidate
    dropped: list[Drop]  # rows dropped by stage and reason (all in the rejects)
    touched: dict[str, int]  # expensive step -> rows it examined
    scrubbed: dict[str, int] = field(default_factory=dict)  # personal data kind -> values replaced


@dataclass(frozen=True)
class Quota:
    split: str
    cap: int
    available: int
    selected: int
    per_category: dict[str, int] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        return self.selected >= self.cap


@dataclass(frozen=True)
class HoldOutReport:
    """An out-of-domain hold-out of whole domain values (AVE attributes) and what stopped it."""

    domains: list[str]
    eval_rows: int
    eval_domains: int
    limit: int
    stopped_by: str  # quota / cap / pool / none


@dataclass(frozen=True)
class SplitReport:
    candidates: int
    quotas: list[Quota]
    dropped_group_overlap: int
    holdout: HoldOutReport | None = None

    @property
    def unmet(self) -> list[str]:
        return [q.split for q in self.quotas if not q.met]


@dataclass(frozen=True)
class Count:
    setting: str
    split: str
    rows: int


@dataclass(frozen=True)
class DomainCount:
    split: str
    domain: str
    rows: int


@dataclass(frozen=True)
class TaskReport:
    abbr: str
    name: str
    path: str  # the dataset file, relative to the work dir
    rows: int
    split: SplitReport
    clean: CleanReport
    counts: list[Count]
    domains: list[DomainCount]
    recipe_hash: str  # the recipe the task was built with
    selection_stamp: str  # inputs + task config + code of the selection
    render_stamp: str  # the selection + leakage removals + templates of the render
    template_file: str  # the template file the rows were rendered with
    timings: dict[str, StageTiming]
    reused: bool = False  # true when this run found the task up to date and did not rebuild it


@dataclass(frozen=True)
class LeakPair:
    train_task: str
    task: str
    kind: str  # product / content
    rows: int


@dataclass(frozen=True)
class Leakage:
    mode: str
    pairs: list[LeakPair]
    seconds: float = 0.0


@dataclass(frozen=True)
class RecipeRef:
    name: str
    hash: str
    seed: int


@dataclass(frozen=True)
class BuildReport:
    recipe: RecipeRef
    tasks: dict[str, TaskReport]  # every task present in the work dir, in ECInstruct order
    cross_task_leakage: Leakage
    skipped: dict[str, str]  # task -> why it was not built
    stale: dict[str, str] = field(default_factory=dict)  # task -> why its output predates this recipe


def to_json(record: Any) -> str:
    """A report as JSON text, keys sorted, so equal reports give equal bytes."""
    return json.dumps(dataclasses.asdict(record), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _load(tp: Any, value: Any) -> Any:
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        return _load(next(a for a in args if a is not type(None)), value)
    if origin is list:
        return [_load(args[0], v) for v in value]
    if origin is dict:
        return {k: _load(args[1], v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    return value


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """A report record from its JSON form (unknown keys are an error: the file is not ours)."""
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    extra = set(data) - names
    if extra:
        raise ValueError(f"unexpected key(s) {', '.join(sorted(extra))} for {cls.__name__}")
    return cls(**{k: _load(hints[k], v) for k, v in data.items()})


def from_json(cls: type[T], text: str) -> T:
    return from_dict(cls, json.loads(text))


# --- the readable Markdown twin of build.json ---------------------------------------------------


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _task_section(task: TaskReport) -> list[str]:
    split, clean = task.split, task.clean
    out = [f"## {task.abbr} — {task.name}", ""]
    if task.reused:
        out += ["Up to date: reused from an earlier run (same inputs, settings and code).", ""]
    funnel = [[step.step, f"{step.rows:,}"] for step in clean.funnel]
    out += ["Cleaning on every candidate (rows left after each step):", "", *_table(["step", "rows"], funnel)]
    touched = ", ".join(f"{name} {rows:,}" for name, rows in clean.touched.items()) or "none"
    out += [f"Rows the expensive steps examined (only what the quotas needed): {touched}.", ""]
    if any(clean.scrubbed.values()):
        scrubbed = ", ".join(f"{kind} {n:,}" for kind, n in clean.scrubbed.items() if n)
        out += [f"Personal data replaced by placeholders in the candidates: {scrubbed}.", ""]
    if clean.dropped:
        dropped = [[d.stage, d.reason, f"{d.rows:,}"] for d in clean.dropped]
        out += ["Dropped rows by stage and reason (all in the rejects folder):", ""]
        out += _table(["stage", "reason", "rows"], dropped)
    if split.holdout is not None:
        held = split.holdout
        why = {
            "quota": "its out-of-domain quota was reached",
            "cap": f"the cap ([split].holdout_cap) allows at most {held.limit} of {held.eval_domains} values",
            "pool": "no evaluation-side values were left",
            "none": "no out-of-domain quota was asked for",
        }[held.stopped_by]
        out += [
            f"Held out {len(held.domains)} of {held.eval_domains} values "
            f"({held.eval_rows:,} evaluation rows); it stopped because {why}.",
            "",
        ]
    quotas = [[q.split, q.cap, q.available, q.selected, "yes" if q.met else "**no**"] for q in split.quotas]
    out += ["Split quotas:", "", *_table(["split", "cap", "available", "selected", "met"], quotas)]
    counts = [[c.setting, c.split, c.rows] for c in task.counts]
    out += ["Rendered rows:", "", *_table(["setting", "split", "rows"], counts)]
    domains = [[d.split, d.domain, d.rows] for d in task.domains]
    out += ["Rows per split and domain (category, or attribute for AVE):", ""]
    return out + _table(["split", "domain", "rows"], domains)


def _timings_section(report: BuildReport) -> list[str]:
    rows = [
        [
            abbr,
            stage,
            f"{t.seconds:.2f}",
            "–" if t.rows_in is None else f"{t.rows_in:,}",
            f"{t.rows_out:,}",
        ]
        for abbr, task in report.tasks.items()
        for stage, t in task.timings.items()
    ]
    rows.append(["all", "cross-task leakage", f"{report.cross_task_leakage.seconds:.2f}", "–", "–"])
    out = [TIMINGS_HEADING, ""]
    out += [
        "Wall time of the run that built each task (the one part that differs between identical runs):",
        "",
    ]
    return out + _table(["task", "stage", "seconds", "rows in", "rows out"], rows)


def markdown_report(report: BuildReport) -> str:
    recipe = report.recipe
    out = [f"# Build report — recipe `{recipe.name}` ({recipe.hash}, seed {recipe.seed})", ""]
    unmet = [
        [abbr, q.split, q.cap, q.available, q.selected]
        for abbr, task in report.tasks.items()
        for q in task.split.quotas
        if not q.met
    ]
    if unmet:
        out += ["## Quotas not met", "", *_table(["task", "split", "cap", "available", "selected"], unmet)]
    if report.skipped:
        out += ["## Skipped tasks", "", *(f"- {abbr}: {why}" for abbr, why in report.skipped.items()), ""]
    if report.stale:
        out += ["## Tasks built with other settings", ""]
        out += [*(f"- {abbr}: {why}" for abbr, why in report.stale.items()), ""]
    leakage = report.cross_task_leakage
    out += [f"## Leakage across tasks (mode: {leakage.mode})", ""]
    if leakage.pairs:
        out += ["Evaluation rows whose product or text is in another task's train split:", ""]
        rows = [[p.train_task, p.task, p.kind, p.rows] for p in leakage.pairs]
        out += _table(["train of", "evaluation of", "shared", "rows"], rows)
    else:
        out += ["None found.", ""]
    for task in report.tasks.values():
        out += _task_section(task)
    out += _timings_section(report)
    return "\n".join(out)
