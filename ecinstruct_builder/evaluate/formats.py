"""What a scoring protocol is made of: per answer format, how gold and predictions are read and scored.

Two protocols exist (`tasks.PROTOCOLS`): ours (`ecbuild`, strict parsing, invalid answers count as
wrong) and eCeLLM's (`ecellm`, the rules of the authors' evaluate.py). Each maps every answer format
to a FormatScoring, so a new task with a known answer format is scored by both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..tasks.base import AnswerFormat
from . import neural
from .metrics import ANSWER_METRICS, QPR_GAINS, Scores, answer_row_scores, mean_scores, truncate_words
from .parsers import parse_labels, parse_ranking

Row = Mapping[str, Any]


@dataclass(frozen=True)
class GroupScores:
    """What a protocol says about one task x setting group."""

    metrics: Scores
    #: the same metrics on valid answers only; None when the protocol has a single way of counting
    valid_only: Scores | None = None
    #: the protocol's own count of invalid answers; None: the rows whose reader returned None
    invalid: int | None = None
    #: what the reader should know about these numbers (e.g. where evaluate.py would have stopped)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormatScoring:
    """How answers of one answer format are read and scored."""

    #: prediction text, gold row, parsed gold -> structured answer, or None when invalid
    read_prediction: Callable[[str, Row, Any], Any]
    #: gold answers, predictions (None = invalid or missing), setting -> the group's scores
    score: Callable[[Sequence[Any], Sequence[Any], str], GroupScores]
    #: gold row -> structured gold, or None when the row is malformed; default: read `output`
    read_gold: Callable[[Row], Any] | None = None
    #: said once per scored task, where a reader might assume another rule
    note: str | None = None


@dataclass(frozen=True)
class Protocol:
    """A named set of scoring rules, one FormatScoring per answer format."""

    name: str
    scoring: Mapping[AnswerFormat, FormatScoring]
    #: how invalid and missing answers were counted, one sentence for the report and the JSON
    summary: str


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


def score_answers(golds: Sequence[str], preds: Sequence[str | None]) -> tuple[Scores, Scores]:
    """Mean per-answer scores with invalid answers (None) as 0, and on the valid answers only.

    The model metrics run once, on the valid answers, both texts cut to ANSWER_WORD_LIMIT words.
    """
    valid = [i for i, p in enumerate(preds) if p is not None]
    extra = neural.model_scores(
        [truncate_words(golds[i]) for i in valid], [truncate_words(preds[i] or "") for i in valid]
    )
    return answer_scores(golds, preds, extra)


def answer_scores(
    golds: Sequence[str], preds: Sequence[str | None], extra: Mapping[str, Sequence[float]]
) -> tuple[Scores, Scores]:
    """Mean ROUGE-L, token F1 and the model metrics of `extra` (one value per valid answer, in
    order), with invalid answers (None) as 0, and on the valid answers only."""
    valid = [i for i, p in enumerate(preds) if p is not None]
    rows: list[dict[str, float] | None] = [
        answer_row_scores(g, p) if p is not None else None for g, p in zip(golds, preds, strict=True)
    ]
    for name, values in extra.items():
        for i, value in zip(valid, values, strict=True):
            rows[i][name] = value  # type: ignore[index] - valid rows are dicts
    names = (*ANSWER_METRICS, *extra)
    skipped = dict.fromkeys(n for n in neural.MODEL_METRIC_NAMES if n not in extra)
    kept = [r for r in rows if r is not None]
    return mean_scores(rows, names) | skipped, mean_scores(kept, names) | skipped
