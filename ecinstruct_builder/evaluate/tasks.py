"""What scoring means for each task: how gold and predictions are read, which metrics run.

Each registered task (`tasks.builders()`) is scored by its answer format; its metrics, primary
metric and the paper's numbers come from the task itself.

Fixes over eCeLLM's evaluate.py: every task name matches the dataset (three were misspelled
there), AVE precision counts the predicted triples, duplicated triples count once and a gold triple
is matched at most once, QPR normalises by the ideal order of all listed items, and invalid answers
count as wrong by default (the "valid only" scores leave them out, as evaluate.py did).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..errors import EcbuildError
from ..records import SETTING_ORDER
from ..tasks import builders
from ..tasks.base import AnswerFormat, PaperResult, TaskBuilder
from . import neural
from .metrics import (
    ANSWER_METRICS,
    QPR_GAINS,
    Scores,
    answer_row_scores,
    ave_scores,
    binary_scores,
    choice_scores,
    hit_rate_at_1,
    mean_scores,
    ranking_scores,
    truncate_words,
)
from .parsers import (
    parse_answer_text,
    parse_choice,
    parse_labels,
    parse_options,
    parse_ranking,
    parse_triples,
    parse_yes_no,
)

Row = Mapping[str, Any]
# (scores with invalid answers counted as wrong, scores on valid answers only)
BothWays = tuple[Scores, Scores]

# The ECInstruct settings, in the order reports list them.
SETTINGS = SETTING_ORDER


@dataclass(frozen=True)
class TaskSpec:
    """One task: its names, primary metric, readers and scorer."""

    abbr: str
    name: str
    answer_format: AnswerFormat
    primary: str
    #: prediction text, gold row, parsed gold -> structured answer, or None when invalid
    read_prediction: Callable[[str, Row, Any], Any]
    #: gold answers, predictions (None = invalid or missing), setting -> both ways
    score: Callable[[Sequence[Any], Sequence[Any], str], BothWays]
    #: gold row -> structured gold, or None when the row is malformed; default: read `output`
    read_gold: Callable[[Row], Any] | None = None
    #: used when the primary metric could not be computed here (AG without BERTScore)
    fallback_primary: str | None = None
    #: the eCeLLM paper's numbers for the task, None when it reports none
    paper: PaperResult | None = None

    def gold(self, row: Row) -> Any:
        if self.read_gold is not None:
            return self.read_gold(row)
        return self.read_prediction(row["output"] or "", row, None)

    def primary_of(self, metrics: Scores) -> str:
        if self.fallback_primary is not None and metrics.get(self.primary) is None:
            return self.fallback_primary
        return self.primary


def _corpus(metric: Callable[[Sequence[Any], Sequence[Any]], Scores]) -> Callable[..., BothWays]:
    """Score once with every row and once with the valid rows only."""

    def score(golds: Sequence[Any], preds: Sequence[Any], setting: str) -> BothWays:
        valid = [(g, p) for g, p in zip(golds, preds, strict=True) if p is not None]
        return metric(golds, preds), metric([g for g, _ in valid], [p for _, p in valid])

    return score


def _score_ave(golds: Sequence[Any], preds: Sequence[Any], setting: str) -> BothWays:
    # The paper matched leniently on its out-of-domain test sets only.
    lenient = setting.startswith("OOD")
    return _corpus(lambda g, p: ave_scores(g, p, lenient))(golds, preds, setting)


def _score_answers(golds: Sequence[str], preds: Sequence[str | None], setting: str) -> BothWays:
    """Mean per-answer scores; model metrics run once, on the valid answers."""
    valid = [i for i, p in enumerate(preds) if p is not None]
    rows: list[dict[str, float] | None] = [
        answer_row_scores(g, p) if p is not None else None for g, p in zip(golds, preds, strict=True)
    ]
    extra = neural.model_scores(
        [truncate_words(golds[i]) for i in valid], [truncate_words(preds[i] or "") for i in valid]
    )
    for name, values in extra.items():
        for i, value in zip(valid, values, strict=True):
            rows[i][name] = value  # type: ignore[index] - valid rows are dicts
    names = (*ANSWER_METRICS, *extra)
    skipped = dict.fromkeys(n for n in neural.MODEL_METRIC_NAMES if n not in extra)
    kept = [r for r in rows if r is not None]
    return mean_scores(rows, names) | skipped, mean_scores(kept, names) | skipped


def _read_choice(text: str, row: Row, gold: Any) -> str | None:
    return parse_choice(text, parse_options(row["options"]))


def _read_yes_no(text: str, row: Row, gold: Any) -> str | None:
    return parse_yes_no(text)


def _read_triples(text: str, row: Row, gold: Any) -> Any:
    return parse_triples(text)


def _read_answer(text: str, row: Row, gold: Any) -> str | None:
    return parse_answer_text(text)


def _read_ranking(text: str, row: Row, gold: Mapping[str, float] | None) -> tuple[str, ...] | None:
    return parse_ranking(text, gold.keys() if gold is not None else None)


def qpr_gains(row: Row) -> dict[str, float] | None:
    """Letter -> NDCG gain from the row's `labels`, or by gold position when the column is blank.

    The fallback treats the gold order as the ideal ranking with gains 1, 0.1, 0.01, 0 by position:
    only an approximation, since a 2-item list may hold, say, a Substitute and an Irrelevant item.
    """
    if not (row.get("labels") or "").strip():
        order = parse_ranking(row["output"] or "")
        return None if order is None else {letter: _position_gain(i) for i, letter in enumerate(order)}
    labels = parse_labels(row["labels"])
    return None if labels is None else {chr(ord("A") + i): QPR_GAINS[x] for i, x in enumerate(labels)}


def _position_gain(position: int) -> float:
    ladder = sorted(QPR_GAINS.values(), reverse=True)
    return ladder[position] if position < len(ladder) else 0.0


@dataclass(frozen=True)
class FormatScoring:
    """How answers of one answer format are read and scored."""

    read_prediction: Callable[[str, Row, Any], Any]
    score: Callable[[Sequence[Any], Sequence[Any], str], BothWays]
    read_gold: Callable[[Row], Any] | None = None


# Every answer format a task can declare; a task with a new format needs an entry here.
SCORING: dict[AnswerFormat, FormatScoring] = {
    AnswerFormat.OPTION_LETTER: FormatScoring(_read_choice, _corpus(choice_scores)),
    AnswerFormat.CANDIDATE_LETTER: FormatScoring(_read_choice, _corpus(hit_rate_at_1)),
    AnswerFormat.YES_NO: FormatScoring(_read_yes_no, _corpus(binary_scores)),
    AnswerFormat.JSON_TRIPLES: FormatScoring(_read_triples, _score_ave),
    AnswerFormat.LETTER_RANKING: FormatScoring(_read_ranking, _corpus(ranking_scores), read_gold=qpr_gains),
    AnswerFormat.FREE_TEXT: FormatScoring(_read_answer, _score_answers),
}


def task_spec(builder: TaskBuilder) -> TaskSpec:
    """The scoring of one registered task, from its facts (answer format, metrics, paper numbers)."""
    scoring = SCORING.get(builder.answer_format)
    if scoring is None:
        raise EcbuildError(f"task {builder.abbr}: no scorer for answer format {builder.answer_format!r}")
    return TaskSpec(
        abbr=builder.abbr,
        name=builder.name,
        answer_format=builder.answer_format,
        primary=builder.primary_metric,
        read_prediction=scoring.read_prediction,
        score=scoring.score,
        read_gold=scoring.read_gold,
        fallback_primary=builder.fallback_metric,
        paper=builder.paper,
    )


@cache
def task_specs() -> tuple[TaskSpec, ...]:
    """Every registered task's scoring, in ECInstruct order."""
    return tuple(task_spec(builder) for builder in builders().values())


@cache
def task_aliases() -> dict[str, str]:
    """eCeLLM's misspelled task names -> the dataset's names (the first task in order wins a clash)."""
    aliases: dict[str, str] = {}
    for builder in builders().values():
        for wrong in builder.misspellings:
            aliases.setdefault(wrong, builder.name)
    return aliases


def spec_by_name(name: str) -> TaskSpec | None:
    """A task by its ECInstruct name exactly; None if no registered task has it."""
    return next((s for s in task_specs() if s.name == name), None)


def resolve_task(name: str) -> TaskSpec | None:
    """A task by ECInstruct name, eCeLLM misspelling or abbreviation (any case); None if unknown."""
    wanted = task_aliases().get(name, name).casefold()
    return next((s for s in task_specs() if wanted in (s.name.casefold(), s.abbr.casefold())), None)
