"""Join predictions with the gold rows and score every task x setting group.

Keyed predictions are matched on row ids. Only the task x setting groups that received at least
one prediction are scored; inside them, a row without a prediction is *missing* and counts as
wrong like an invalid answer (under `--protocol ecellm`, as an empty answer). Duplicate ids (the
first line wins), ids of rows outside the selection and ids unknown to the dataset are all reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import EcbuildError
from ..tasks.base import AnswerFormat
from . import neural
from .gold import GoldSet, load_gold
from .metrics import Scores, label
from .paper import paper_value
from .predictions import read_aligned, read_keyed
from .tasks import DEFAULT_PROTOCOL, PROTOCOLS, SETTINGS, TaskSpec, spec_by_name, task_aliases, task_specs

# How many ids the JSON lists per kind of id problem (the count is always complete).
ID_EXAMPLES = 20
_SETTING_RANK = {setting: i for i, setting in enumerate(SETTINGS)}


@dataclass(frozen=True)
class Selection:
    """Which gold rows are scored."""

    split: str = "test"
    settings: tuple[str, ...] = ()
    tasks: tuple[TaskSpec, ...] = ()

    def describe(self) -> str:
        parts = [f"split={self.split}"]
        if self.settings:
            parts.append(f"setting={','.join(self.settings)}")
        if self.tasks:
            parts.append(f"task={','.join(t.abbr for t in self.tasks)}")
        return " ".join(parts)


@dataclass(frozen=True)
class GroupResult:
    """The scores of one task x setting group."""

    task: str
    abbr: str
    setting: str
    rows: int  # gold rows scored (malformed gold rows excluded)
    invalid: int  # predictions that could not be parsed
    missing: int  # rows without a prediction
    gold_invalid: int  # gold rows that could not be read
    primary: str
    metrics: Scores  # by the protocol's rule (ecbuild: invalid and missing answers count as wrong)
    valid_only: Scores | None  # invalid and missing answers left out; None under --protocol ecellm
    paper: float | None = None
    # the paper's metric (our name, its label); None when the paper reports nothing for the task
    paper_metric: str | None = None
    paper_label: str | None = None
    notes: tuple[str, ...] = ()  # what the protocol says about this group's numbers

    def to_json(self, paper_model: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "task": self.task,
            "abbr": self.abbr,
            "setting": self.setting,
            "rows": self.rows,
            "invalid": self.invalid,
            "missing": self.missing,
            "gold_invalid": self.gold_invalid,
            "primary_metric": self.primary,
            "primary": self.metrics.get(self.primary),
            "primary_valid_only": self.valid_only.get(self.primary) if self.valid_only is not None else None,
            "metrics": self.metrics,
            "metrics_valid_only": self.valid_only,
        }
        if paper_model is not None:
            payload["paper"] = {
                "model": paper_model,
                "metric": self.paper_label,
                "value": self.paper,
                "note": "reported in the eCeLLM paper, not computed here",
            }
        return payload


@dataclass
class EvalReport:
    """Everything `ecbuild eval` found: scores per group, id problems and notes."""

    dataset: str
    predictions: str
    selection: Selection
    aligned: bool
    paper_model: str | None
    protocol: str = DEFAULT_PROTOCOL
    results: list[GroupResult] = field(default_factory=list)
    id_issues: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "predictions": self.predictions,
            "mode": "aligned" if self.aligned else "keyed",
            "protocol": self.protocol,
            "split": self.selection.split,
            "settings": list(self.selection.settings),
            "tasks": [t.name for t in self.selection.tasks],
            "invalid_policy": PROTOCOLS[self.protocol].summary,
            "id_issues": {
                kind: {"count": len(ids), "examples": ids[:ID_EXAMPLES]}
                for kind, ids in self.id_issues.items()
            },
            "notes": self.notes,
            "results": [result.to_json(self.paper_model) for result in self.results],
        }


def evaluate(
    predictions: Path,
    dataset: str,
    selection: Selection | None = None,
    aligned: bool = False,
    paper_model: str | None = None,
    protocol: str = DEFAULT_PROTOCOL,
) -> EvalReport:
    """Score a predictions file against the selected gold rows of a dataset (default: its test split),
    with the scoring rules of `protocol` (a key of PROTOCOLS)."""
    selection = selection or Selection()
    gold_set = load_gold(dataset)
    gold = _select(gold_set, selection)
    report = EvalReport(gold_set.origin, str(predictions), selection, aligned, paper_model, protocol)
    if aligned:
        joined = _align(gold, read_aligned(predictions), predictions, selection)
    else:
        joined = _join_keyed(gold, read_keyed(predictions), gold_set, report)
        joined = _scope(joined, predictions, selection, report)
    for (task, setting), rows in _groups(joined):
        spec = spec_by_name(task, protocol)
        if spec is None:
            report.notes.append(f"{rows.height} rows of unknown task {task!r} ({setting}) were not scored")
            continue
        report.results.append(_score_group(spec, setting, rows.iter_rows(named=True), paper_model))
    report.notes.extend(_notes(joined, report.results, protocol))
    return report


def _select(gold_set: GoldSet, selection: Selection) -> pl.DataFrame:
    gold = gold_set.select(selection.split, selection.settings)
    gold = gold.with_columns(pl.col("task").replace(task_aliases()))
    if selection.tasks:
        gold = gold.filter(pl.col("task").is_in([t.name for t in selection.tasks]))
    if gold.is_empty():
        raise EcbuildError(
            f"{gold_set.origin}: no rows with {selection.describe()}; check --split, --setting and --task"
        )
    return gold


def _align(gold: pl.DataFrame, texts: Sequence[str], path: Path, selection: Selection) -> pl.DataFrame:
    if len(texts) != gold.height:
        raise EcbuildError(
            f"{path}: {len(texts)} predictions for {gold.height} rows ({selection.describe()}); "
            "--aligned needs exactly one prediction per selected row, in dataset order"
        )
    return gold.with_columns(pl.Series("prediction", texts, dtype=pl.String))


def _join_keyed(
    gold: pl.DataFrame, preds: pl.DataFrame, gold_set: GoldSet, report: EvalReport
) -> pl.DataFrame:
    if gold["id"].null_count() == gold.height:
        raise EcbuildError(
            f"{gold_set.origin}: the rows have no `id`, so predictions cannot be matched; use --aligned"
        )
    first = preds.unique(subset="id", keep="first", maintain_order=True)
    unmatched = first.join(gold.select("id"), on="id", how="anti", maintain_order="left")["id"].to_list()
    elsewhere = gold_set.ids_among(unmatched) if unmatched else set()
    report.id_issues["duplicate_ids"] = (
        preds.filter(pl.col("id").is_duplicated())["id"].unique(maintain_order=True).to_list()
    )
    report.id_issues["outside_selection_ids"] = [i for i in unmatched if i in elsewhere]
    report.id_issues["unknown_ids"] = [i for i in unmatched if i not in elsewhere]
    return gold.join(first.select("id", "prediction"), on="id", how="left", maintain_order="left")


def _scope(joined: pl.DataFrame, path: Path, selection: Selection, report: EvalReport) -> pl.DataFrame:
    """Keep the groups that received a prediction; record the missing rows and the skipped groups."""
    answered = joined.group_by("task", "setting", maintain_order=True).agg(
        pl.col("prediction").is_not_null().any().alias("answered")
    )
    skipped = answered.filter(~pl.col("answered"))
    if skipped.height == answered.height:
        raise EcbuildError(
            f"{path}: none of its ids is a row of {selection.describe()}; "
            "check --dataset, --split and --setting, or use --aligned for a file without ids"
        )
    if skipped.height:
        names = sorted(f"{t}/{s}" for t, s in skipped.select("task", "setting").iter_rows())
        report.notes.append(f"not scored, no prediction for any of their rows: {', '.join(names)}")
    scoped = joined.join(
        answered.filter("answered").select("task", "setting"),
        on=["task", "setting"],
        how="semi",
        maintain_order="left",
    )
    report.id_issues["missing_ids"] = scoped.filter(pl.col("prediction").is_null())["id"].to_list()
    return scoped


def _groups(joined: pl.DataFrame) -> list[tuple[tuple[str, str], pl.DataFrame]]:
    """The task x setting groups in ECInstruct task order, then setting order."""
    parts = joined.partition_by("task", "setting", as_dict=True, maintain_order=True)
    task_rank = {spec.name: i for i, spec in enumerate(task_specs())}

    def rank(key: tuple[Any, ...]) -> tuple[int, int, str, str]:
        task, setting = str(key[0]), str(key[1])
        return (task_rank.get(task, len(task_rank)), _SETTING_RANK.get(setting, len(SETTINGS)), task, setting)

    return [((str(k[0]), str(k[1])), parts[k]) for k in sorted(parts, key=rank)]


def _score_group(
    spec: TaskSpec, setting: str, rows: Iterable[dict[str, Any]], paper_model: str | None
) -> GroupResult:
    golds: list[Any] = []
    preds: list[Any] = []
    invalid = missing = gold_invalid = 0
    for row in rows:
        gold = spec.gold(row)
        if gold is None:
            gold_invalid += 1
            continue
        text = row["prediction"]
        pred = spec.read_prediction(text, row, gold) if text is not None else None
        missing += text is None
        invalid += text is not None and pred is None
        golds.append(gold)
        preds.append(pred)
    scored = spec.score(golds, preds, setting)
    return GroupResult(
        task=spec.name,
        abbr=spec.abbr,
        setting=setting,
        rows=len(golds),
        invalid=invalid if scored.invalid is None else scored.invalid,
        missing=missing,
        gold_invalid=gold_invalid,
        primary=spec.primary_of(scored.metrics),
        metrics=scored.metrics,
        valid_only=scored.valid_only,
        paper=paper_value(spec.paper, paper_model, setting) if paper_model else None,
        paper_metric=spec.paper.metric if spec.paper is not None else None,
        paper_label=spec.paper.label if spec.paper is not None else None,
        notes=scored.notes,
    )


def _notes(joined: pl.DataFrame, results: Sequence[GroupResult], protocol: str) -> list[str]:
    """What a reader needs to know to trust (or not) the numbers."""
    notes = [
        f"{r.gold_invalid} gold rows of {r.abbr}/{r.setting} could not be read and were left out "
        "(a dataset problem: rebuild it)"
        for r in results
        if r.gold_invalid
    ]
    notes += [f"{r.abbr}/{r.setting}: {note}" for r in results for note in r.notes]
    scored = [spec for spec in task_specs(protocol) if any(r.task == spec.name for r in results)]
    for spec in scored:
        notes.extend(_format_notes(spec, joined))
    if any(spec.answer_format is AnswerFormat.FREE_TEXT for spec in scored):
        notes.extend(neural.skipped_notes())
    for spec in scored:
        fallbacks = {r.primary for r in results if r.task == spec.name} - {spec.primary}
        wanted = label(spec.primary)
        if spec.paper is not None and spec.paper.metric == spec.primary:
            wanted += " (the paper's)"
        notes.extend(
            f"{spec.abbr}: the primary metric is {label(used)} here, because {wanted} could not run"
            for used in sorted(fallbacks)
        )
    return notes


def _format_notes(spec: TaskSpec, joined: pl.DataFrame) -> list[str]:
    """How the task's answer format was scored, where a reader might assume otherwise."""
    notes = [f"{spec.abbr}: {spec.note}"] if spec.note else []
    if spec.answer_format is AnswerFormat.LETTER_RANKING:
        rows = joined.filter(pl.col("task") == spec.name)
        blank = rows.filter(pl.col("labels").is_null() | (pl.col("labels").str.strip_chars() == "")).height
        if blank:
            notes.append(
                f"{spec.abbr}: {blank} rows have no `labels` column value, so their gold order is taken as "
                "the ideal ranking with gains 1, 0.1, 0.01, 0 by position; these NDCG values are approximate"
            )
    return notes
