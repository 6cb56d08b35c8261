"""What scoring means for each task: how gold and predictions are read, which metrics run.

Each registered task (`tasks.builders()`) is scored by its answer format under a protocol
(`PROTOCOLS`); its metrics, primary metric and the paper's numbers come from the task itself.

The default protocol (`ecbuild`, this module's SCORING) fixes eCeLLM's evaluate.py: every task name
matches the dataset (three were misspelled there), answers are parsed strictly but accept the usual
wrappers (`(B)`, `Yes, ...`, fenced JSON), AVE precision counts the predicted triples, duplicated
triples count once and a gold triple is matched at most once, QPR normalises by the ideal order of
all listed items, and invalid answers count as wrong. Its "valid only" scores leave invalid answers
out, which is what evaluate.py did for the classification tasks only; for AVE it scored an
unparseable answer as an empty list and for QPR an invalid one as NDCG 0 over all rows. The
`ecellm` protocol (ecellm.py) applies evaluate.py's own rules.
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
from .ecellm import ECELLM
from .formats import FormatScoring, GroupScores, Protocol, Row, qpr_gains, score_answers
from .metrics import Scores, ave_scores, binary_scores, choice_scores, hit_rate_at_1, ranking_scores
from .parsers import (
    parse_answer_text,
    parse_choice,
    parse_options,
    parse_ranking,
    parse_triples,
    parse_yes_no,
)

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
    #: gold answers, predictions (None = invalid or missing), setting -> the group's scores
    score: Callable[[Sequence[Any], Sequence[Any], str], GroupScores]
    #: gold row -> structured gold, or None when the row is malformed; default: read `output`
    read_gold: Callable[[Row], Any] | None = None
    #: used when the primary metric could not be computed here (AG without BERTScore)
    fallback_primary: str | None = None
    #: the eCeLLM paper's numbers for the task, None when it reports none
    paper: PaperResult | None = None
    #: how the answer format was scored, where a reader might assume otherwise
    note: str | None = None

    def gold(self, row: Row) -> Any:
        if self.read_gold is not None:
            return self.read_gold(row)
        return self.read_prediction(row["output"] or "", row, None)

    def primary_of(self, metrics: Scores) -> str:
        if self.fallback_primary is not None and metrics.get(self.primary) is None:
            return self.fallback_primary
        return self.primary


def _corpus(metric: Callable[[Sequence[Any], Sequence[Any]], Scores]) -> Callable[..., GroupScores]:
    """Score once with every row and once with the valid rows only."""

    def score(golds: Sequence[Any], preds: Sequence[Any], setting: str) -> GroupScores:
        valid = [(g, p) for g, p in zip(golds, preds, strict=True) if p is not None]
        return GroupScores(metric(golds, preds), metric([g for g, _ in valid], [p for _, p in valid]))

    return score


def _score_ave(golds: Sequence[Any], preds: Sequence[Any], setting: str) -> GroupScores:
    # The paper matched leniently on its out-of-domain test sets only.
    lenient = setting.startswith("OOD")
    return _corpus(lambda g, p: ave_scores(g, p, lenient))(golds, preds, setting)


def _score_answers(golds: Sequence[str], preds: Sequence[str | None], setting: str) -> GroupScores:
    return GroupScores(*score_answers(golds, preds))


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


# Every answer format a task can declare; a task with a new format needs an entry here.
SCORING: dict[AnswerFormat, FormatScoring] = {
    AnswerFormat.OPTION_LETTER: FormatScoring(_read_choice, _corpus(choice_scores)),
    AnswerFormat.CANDIDATE_LETTER: FormatScoring(_read_choice, _corpus(hit_rate_at_1)),
    AnswerFormat.YES_NO: FormatScoring(_read_yes_no, _corpus(binary_scores)),
    AnswerFormat.JSON_TRIPLES: FormatScoring(
        _read_triples,
        _score_ave,
        note=(
            "exact triple match on IND settings; on OOD settings the paper's lenient match "
            "(same attribute, value and source each contained in the other)"
        ),
    ),
    AnswerFormat.LETTER_RANKING: FormatScoring(_read_ranking, _corpus(ranking_scores), read_gold=qpr_gains),
    AnswerFormat.FREE_TEXT: FormatScoring(_read_answer, _score_answers),
}

ECBUILD = Protocol(
    "ecbuild",
    SCORING,
    "Scores count invalid and missing answers as wrong; 'valid only' leaves them out (eCeLLM's "
    "evaluate.py did that for the classification tasks only: --protocol ecellm applies its rules).",
)
#: The scoring protocols by name; the first is the default.
PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (ECBUILD, ECELLM)}
DEFAULT_PROTOCOL = ECBUILD.name


def task_spec(builder: TaskBuilder, protocol: str = DEFAULT_PROTOCOL) -> TaskSpec:
    """The scoring of one registered task under a protocol, from its facts (answer format, metrics...)."""
    scoring = PROTOCOLS[protocol].scoring.get(builder.answer_format)
    if scoring is None:
        raise EcbuildError(
            f"task {builder.abbr}: no {protocol} scorer for answer format {builder.answer_format!r}"
        )
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
        note=scoring.note,
    )


@cache
def task_specs(protocol: str = DEFAULT_PROTOCOL) -> tuple[TaskSpec, ...]:
    """Every registered task's scoring under a protocol, in ECInstruct order."""
    return tuple(task_spec(builder, protocol) for builder in builders().values())


@cache
def task_aliases() -> dict[str, str]:
    """eCeLLM's misspelled task names -> the dataset's names (the first task in order wins a clash)."""
    aliases: dict[str, str] = {}
    for builder in builders().values():
        for wrong in builder.misspellings:
            aliases.setdefault(wrong, builder.name)
    return aliases


def spec_by_name(name: str, protocol: str = DEFAULT_PROTOCOL) -> TaskSpec | None:
    """A task by its ECInstruct name exactly; None if no registered task has it."""
    return next((s for s in task_specs(protocol) if s.name == name), None)


def resolve_task(name: str) -> TaskSpec | None:
    """A task by ECInstruct name, eCeLLM misspelling or abbreviation (any case); None if unknown."""
    wanted = task_aliases().get(name, name).casefold()
    return next((s for s in task_specs() if wanted in (s.name.casefold(), s.abbr.casefold())), None)
