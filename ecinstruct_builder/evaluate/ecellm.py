"""`--protocol ecellm`: the scoring rules of eCeLLM's evaluate.py, per answer format, in our own code.

Read from ninglab/eCeLLM `evaluate.py` (commit f364c18) and re-implemented, not copied. Its rules:

- option letter (PRP, SA, MPC): the first character of the stripped answer, valid when it is one of
  A-E; the gold's first character. Invalid answers are left out; macro P / R / F1 over the classes seen.
- candidate letter (SR): the stripped answer must be exactly one of the letters A-T; invalid left out.
- yes/no (PM, PSI, AP): the lower-cased, stripped answer must be exactly ``yes`` or ``no``; invalid
  left out; specificity and NPV carry evaluate.py's 1e-8 in the denominator.
- JSON triples (AVE): the answer must be plain JSON (no fence, no surrounding text); a non-list
  counts as an empty list silently, unparseable text as an empty list and as invalid. Nothing is
  lower-cased. Every (gold, predicted) pair that matches is a hit (so duplicates count twice); on
  OOD settings a pair also matches when the attributes are equal and value and source each contain
  the other's text. Precision = hits / (predicted items + 1e-6), F1 with 1e-6 in its denominator.
- letter ranking (QPR): the answer is split on commas and each piece's first character looked up;
  unknown pieces are dropped (and counted as invalid, one per piece). NDCG is normalised by the ideal
  order of the items kept, with 1e-6 in the denominator, and averaged over all rows.
- free text (AG): every answer is scored, a blank one as empty text (evaluate.py had no invalid AG);
  BERTScore reads the whole texts, BLEURT (and our ROUGE-L / token F1 fallback) texts cut to 300 words.

A missing prediction is scored as an empty answer (evaluate.py read one answer per row). Where
evaluate.py would stop with an exception we return the value its formula defines and add a note.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Sequence
from typing import Any

from ..tasks.base import AnswerFormat
from . import neural
from .formats import FormatScoring, GroupScores, Protocol, Row, answer_scores, qpr_gains
from .metrics import (
    BINARY_METRICS,
    CHOICE_METRICS,
    Scores,
    choice_scores,
    dcg,
    harmonic_mean,
    hit_rate_at_1,
    ratio,
    truncate_words,
)

OPTION_LETTERS = frozenset("ABCDE")  # evaluate.py's valid first characters for option answers
CANDIDATE_LETTERS = frozenset(string.ascii_uppercase[:20])  # ... and its valid SR answers, A-T
YES_NO = ("yes", "no")
# The small constants evaluate.py adds to denominators (so a perfect score prints as 1.000, not 1).
SPEC_EPSILON = 1e-8
AVE_EPSILON = 1e-6
NDCG_EPSILON = 1e-6
_AVE_KEYS = ("attribute", "value", "source")


def _raw(text: str, row: Row, gold: Any) -> str:
    # evaluate.py parses inside each task's scoring, so the reader keeps the text as it is.
    return text


def _texts(preds: Sequence[str | None]) -> list[str]:
    return [text if text is not None else "" for text in preds]


def _left_out_scoring(
    read: Callable[[str], str | None],
    metric: Callable[[list[str], list[str]], Scores],
    names: Sequence[str],
    stops_on_empty: bool = False,
) -> Callable[[Sequence[str], Sequence[str | None], str], GroupScores]:
    """Score the (gold, answer) pairs whose answer reads, leaving the others out as evaluate.py did.

    `stops_on_empty`: evaluate.py reads the first character there, so an empty answer stops it.
    """

    def score(golds: Sequence[str], preds: Sequence[str | None], setting: str) -> GroupScores:
        texts = _texts(preds)
        kept = [(g, answer) for g, t in zip(golds, texts, strict=True) if (answer := read(t)) is not None]
        notes = _empty_notes(texts) if stops_on_empty else ()
        invalid = len(golds) - len(kept)
        if not kept:
            notes += ("no valid answer: evaluate.py's metrics are undefined here (n/a)",)
            return GroupScores(dict.fromkeys(names), invalid=invalid, notes=notes)
        return GroupScores(metric([g for g, _ in kept], [a for _, a in kept]), invalid=invalid, notes=notes)

    return score


def _first_letter(text: str) -> str | None:
    stripped = text.strip()
    return stripped[0] if stripped and stripped[0] in OPTION_LETTERS else None


def _empty_notes(texts: Sequence[str]) -> tuple[str, ...]:
    empty = sum(not t.strip() for t in texts)
    if not empty:
        return ()
    return (f"{empty} empty answers: evaluate.py stops on them (no first character); left out as invalid",)


def _option_gold(row: Row) -> str | None:
    output = row["output"] or ""
    return output[0] if output else None


def _candidate(text: str) -> str | None:
    stripped = text.strip()
    return stripped if stripped in CANDIDATE_LETTERS else None


def _yes_no(text: str) -> str | None:
    answer = text.lower().strip()
    return answer if answer in YES_NO else None


def _yes_no_gold(row: Row) -> str | None:
    return row["output"] if row["output"] in YES_NO else None


def _binary_scores(golds: Sequence[str], preds: Sequence[str]) -> Scores:
    """evaluate.py's binary metrics on valid pairs: scikit-learn's, plus 1e-8 in two denominators."""
    tp = sum(g == "yes" and p == "yes" for g, p in zip(golds, preds, strict=True))
    fp = sum(g == "no" and p == "yes" for g, p in zip(golds, preds, strict=True))
    fn = sum(g == "yes" and p == "no" for g, p in zip(golds, preds, strict=True))
    tn = len(golds) - tp - fp - fn
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    return {
        "accuracy": (tp + tn) / len(golds),
        "precision": precision,
        "recall": recall,
        "f1": harmonic_mean(precision, recall),
        "specificity": tn / (tn + fp + SPEC_EPSILON),
        "npr": tn / (tn + fn + SPEC_EPSILON),
    }


_score_valid_yes_no = _left_out_scoring(_yes_no, _binary_scores, BINARY_METRICS)


def _score_yes_no(golds: Sequence[str], preds: Sequence[str | None], setting: str) -> GroupScores:
    scored = _score_valid_yes_no(golds, preds, setting)
    answers = [_yes_no(t) for t in _texts(preds)]
    # The classes evaluate.py's confusion matrix sees: the valid answers and their golds.
    classes = {g for g, a in zip(golds, answers, strict=True) if a is not None} | set(answers) - {None}
    if len(classes) != 1:
        return scored
    note = (
        f"every valid answer and its gold say {classes.pop()!r}: evaluate.py stops here (a one-cell "
        "confusion matrix); scored with the empty cells as 0"
    )
    return GroupScores(scored.metrics, invalid=scored.invalid, notes=(*scored.notes, note))


# --- AVE --------------------------------------------------------------------------------------


def _ave_gold(row: Row) -> list[dict[str, Any]] | None:
    try:
        labels = json.loads(row["output"] or "")
    except json.JSONDecodeError:
        return None
    if not isinstance(labels, list) or not all(isinstance(x, dict) and "attribute" in x for x in labels):
        return None
    return labels


def _ave_items(text: str) -> tuple[list[Any], bool]:
    """The predicted items and whether the text was JSON at all (evaluate.py's #invalid counts the rest)."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError:
        return [], False
    return (items if isinstance(items, list) else []), True


def _container(item: object) -> bool:
    # evaluate.py tests `"attribute" in item`: text and lists answer that, numbers and null raise.
    return isinstance(item, dict | str | list)


def _ave_match(gold: dict[str, Any], pred: Any, lenient: bool) -> bool | None:
    """Whether one predicted item matches one gold triple; None where evaluate.py would raise."""
    if not _container(pred) or not all(key in pred for key in _AVE_KEYS) or not isinstance(pred, dict):
        return False
    if all(pred[key] == gold[key] for key in _AVE_KEYS):
        return True
    if not lenient or pred["attribute"] != gold["attribute"] or None in (pred["value"], pred["source"]):
        return False
    value, gold_value = str(pred["value"]), str(gold["value"])
    if value not in gold_value and gold_value not in value:
        return False
    if not isinstance(pred["source"], str) or not isinstance(gold["source"], str):
        return None  # evaluate.py compares sources with `in` and no str(): it raises on non-text
    return pred["source"] in gold["source"] or gold["source"] in pred["source"]


def _score_ave(
    golds: Sequence[list[dict[str, Any]]], preds: Sequence[str | None], setting: str
) -> GroupScores:
    lenient = "OOD" in setting
    hits = expected = predicted = unreadable = raised = 0
    for gold, text in zip(golds, _texts(preds), strict=True):
        items, readable = _ave_items(text)
        unreadable += not readable
        predicted += sum(_container(item) and "attribute" in item for item in items)
        raised += sum(not _container(item) for item in items)
        expected += len(gold)
        matches = [_ave_match(triple, item, lenient) for triple in gold for item in items]
        hits += matches.count(True)
        raised += matches.count(None)
    notes = []
    if raised:
        notes.append(f"{raised} predicted items evaluate.py cannot compare (it stops there): no match here")
    if not expected:
        notes.append("no gold triple: evaluate.py stops (division by zero); recall reported as 0")
    recall = ratio(hits, expected)
    precision = hits / (predicted + AVE_EPSILON)
    f1 = 2 * recall * precision / (recall + precision + AVE_EPSILON)
    scores = {"precision": precision, "recall": recall, "f1": f1}
    return GroupScores(scores, invalid=unreadable, notes=tuple(notes))


# --- QPR --------------------------------------------------------------------------------------


def _kept_gains(text: str, gains: dict[str, float]) -> tuple[list[float], int]:
    """The gains of the comma-separated pieces whose first character names an item, and the rest's count."""
    kept: list[float] = []
    dropped = 0
    for piece in text.strip().split(","):
        if piece and piece[0] in gains:
            kept.append(gains[piece[0]])
        else:
            dropped += 1
    return kept, dropped


def _score_ranking(
    golds: Sequence[dict[str, float]], preds: Sequence[str | None], setting: str
) -> GroupScores:
    total = 0.0
    dropped = 0
    for gains, text in zip(golds, _texts(preds), strict=True):
        kept, lost = _kept_gains(text, gains)
        dropped += lost
        total += dcg(kept) / (dcg(sorted(kept, reverse=True)) + NDCG_EPSILON)
    return GroupScores({"ndcg": total / len(golds) if golds else None}, invalid=dropped)


def _score_free_text(golds: Sequence[str], preds: Sequence[str | None], setting: str) -> GroupScores:
    texts = _texts(preds)
    # evaluate.py ran BERTScore on the whole texts and cut them to 300 words for BLEURT only.
    extra = neural.metric_scores(neural.BERTSCORE, golds, texts) | neural.metric_scores(
        neural.BLEURT, [truncate_words(g) for g in golds], [truncate_words(t) for t in texts]
    )
    metrics, _ = answer_scores(golds, texts, extra)
    return GroupScores(metrics, invalid=0)


def _output(row: Row) -> str | None:
    return row["output"]


ECELLM_SCORING: dict[AnswerFormat, FormatScoring] = {
    AnswerFormat.OPTION_LETTER: FormatScoring(
        _raw,
        _left_out_scoring(_first_letter, choice_scores, CHOICE_METRICS, stops_on_empty=True),
        read_gold=_option_gold,
        note="evaluate.py's rule: the answer's first character, A-E; other answers are left out",
    ),
    AnswerFormat.CANDIDATE_LETTER: FormatScoring(
        _raw, _left_out_scoring(_candidate, hit_rate_at_1, ("hr@1",)), read_gold=_output
    ),
    AnswerFormat.YES_NO: FormatScoring(_raw, _score_yes_no, read_gold=_yes_no_gold),
    AnswerFormat.JSON_TRIPLES: FormatScoring(
        _raw,
        _score_ave,
        read_gold=_ave_gold,
        note=(
            "evaluate.py's rule: plain JSON only, unparseable answers score as an empty list; every "
            "matching (gold, predicted) pair is a hit; lenient substring match on OOD settings"
        ),
    ),
    AnswerFormat.LETTER_RANKING: FormatScoring(
        _raw,
        _score_ranking,
        read_gold=qpr_gains,
        note=(
            "evaluate.py's rule: NDCG over the comma-separated items it can read, against their own "
            "ideal order, averaged over all rows; `invalid` counts the unreadable items"
        ),
    ),
    AnswerFormat.FREE_TEXT: FormatScoring(_raw, _score_free_text, read_gold=_output),
}

ECELLM = Protocol(
    "ecellm",
    ECELLM_SCORING,
    "Scored with eCeLLM's evaluate.py rules (--protocol ecellm): invalid answers are left out of the "
    "classification metrics, scored as an empty list for AVE and as NDCG 0 for QPR; a missing "
    "prediction is an empty answer.",
)
