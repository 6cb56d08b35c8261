"""Pure metric functions over parsed answers.

A prediction of None is an invalid or missing answer and counts as wrong. To leave invalid answers
out instead (what eCeLLM's evaluate.py did for its classification tasks), pass only the valid pairs.
With no rows at all every metric is None (undefined); otherwise a ratio with a zero denominator is
0.0 (scikit-learn's ``zero_division=0``).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence

from .parsers import NONE, Triple

Scores = dict[str, float | None]

BINARY_METRICS = ("accuracy", "precision", "recall", "f1", "specificity", "npr")
CHOICE_METRICS = ("accuracy", "macro_precision", "macro_recall", "macro_f1")
AVE_METRICS = ("precision", "recall", "f1")
ANSWER_METRICS = ("rouge_l", "token_f1")

# ESCI label -> NDCG gain, as in the eCeLLM paper (Exact > Substitute > Complement > Irrelevant).
QPR_GAINS = {"E": 1.0, "S": 0.1, "C": 0.01, "I": 0.0}
# eCeLLM cut AG texts to 300 words before scoring; we do the same for every AG metric.
ANSWER_WORD_LIMIT = 300

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
_ROUGE_TOKEN = re.compile(r"[a-z0-9]+")


# Short labels for tables and notes; the JSON keeps the metric names.
METRIC_LABELS = {
    "accuracy": "Acc",
    "precision": "P",
    "recall": "R",
    "f1": "F1",
    "specificity": "Spec",
    "npr": "NPR",
    "macro_precision": "M-P",
    "macro_recall": "M-R",
    "macro_f1": "M-F1",
    "hr@1": "HR@1",
    "ndcg": "NDCG",
    "rouge_l": "ROUGE-L",
    "token_f1": "tok-F1",
    "bert_precision": "P_BERT",
    "bert_recall": "R_BERT",
    "f_bert": "F_BERT",
    "bleurt": "BLEURT",
}


def label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def harmonic_mean(precision: float, recall: float) -> float:
    return ratio(2 * precision * recall, precision + recall)


def binary_scores(golds: Sequence[str], preds: Sequence[str | None], positive: str = "yes") -> Scores:
    """Accuracy, precision, recall, F1, specificity and negative predictive rate for `positive`.

    An invalid answer is taken as the opposite of the gold label: a missed positive or a false alarm.
    """
    if not golds:
        return dict.fromkeys(BINARY_METRICS)
    cells: Counter[tuple[bool, bool]] = Counter()
    for gold, pred in zip(golds, preds, strict=True):
        gold_positive = gold == positive
        cells[gold_positive, pred == positive if pred is not None else not gold_positive] += 1
    tp, fn = cells[True, True], cells[True, False]
    fp, tn = cells[False, True], cells[False, False]
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    return {
        "accuracy": ratio(tp + tn, len(golds)),
        "precision": precision,
        "recall": recall,
        "f1": harmonic_mean(precision, recall),
        "specificity": ratio(tn, tn + fp),
        "npr": ratio(tn, tn + fn),
    }


def choice_scores(golds: Sequence[str], preds: Sequence[str | None]) -> Scores:
    """Accuracy and macro precision / recall / F1 over the classes seen in gold or valid predictions.

    An invalid answer is a miss for its gold class and a false alarm for no class.
    """
    if not golds:
        return dict.fromkeys(CHOICE_METRICS)
    gold_counts = Counter(golds)
    pred_counts = Counter(p for p in preds if p is not None)
    hits = Counter(g for g, p in zip(golds, preds, strict=True) if g == p)
    classes = sorted(gold_counts.keys() | pred_counts.keys())
    precisions = [ratio(hits[c], pred_counts[c]) for c in classes]
    recalls = [ratio(hits[c], gold_counts[c]) for c in classes]
    f1s = [harmonic_mean(p, r) for p, r in zip(precisions, recalls, strict=True)]
    return {
        "accuracy": ratio(hits.total(), len(golds)),
        "macro_precision": sum(precisions) / len(classes),
        "macro_recall": sum(recalls) / len(classes),
        "macro_f1": sum(f1s) / len(classes),
    }


def hit_rate_at_1(golds: Sequence[str], preds: Sequence[str | None]) -> Scores:
    """HR@1: the share of rows whose single predicted item is the gold one."""
    if not golds:
        return {"hr@1": None}
    return {"hr@1": ratio(sum(g == p for g, p in zip(golds, preds, strict=True)), len(golds))}


def ave_hits(gold: Sequence[Triple], pred: Sequence[Triple], lenient: bool) -> int:
    """Gold triples matched one-to-one by predicted triples (exact first, then lenient if asked).

    Lenient (the paper's OOD rule): same attribute, and both the value and the source of one
    contain the other's. "No evidence" never matches leniently.
    """
    exact = set(gold) & set(pred)
    hits = len(exact)
    if not lenient:
        return hits
    spare = [p for p in pred if p not in exact]
    for triple in (g for g in gold if g not in exact):
        match = next((i for i, p in enumerate(spare) if _lenient_match(triple, p)), None)
        if match is not None:
            hits += 1
            del spare[match]
    return hits


def _lenient_match(gold: Triple, pred: Triple) -> bool:
    return gold[0] == pred[0] and all(_overlaps(g, p) for g, p in zip(gold[1:], pred[1:], strict=True))


def _overlaps(a: str, b: str) -> bool:
    return NONE not in (a, b) and (a in b or b in a)


def ave_scores(
    golds: Sequence[Sequence[Triple]], preds: Sequence[Sequence[Triple] | None], lenient: bool
) -> Scores:
    """Micro precision / recall / F1 over triples; an invalid answer predicts no triple."""
    if not golds:
        return dict.fromkeys(AVE_METRICS)
    hits = predicted = expected = 0
    for gold, pred in zip(golds, preds, strict=True):
        pred = pred or ()
        hits += ave_hits(gold, pred, lenient)
        predicted += len(pred)
        expected += len(gold)
    precision, recall = ratio(hits, predicted), ratio(hits, expected)
    return {"precision": precision, "recall": recall, "f1": harmonic_mean(precision, recall)}


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with exponential gains: sum of (2^g - 1) / log2(rank + 1)."""
    return sum((2**gain - 1) / math.log2(rank + 2) for rank, gain in enumerate(gains))


def ndcg(ranking: Sequence[str], gains: Mapping[str, float]) -> float:
    """NDCG of a ranking of letters against the ideal order of *all* listed items.

    eCeLLM normalised by the ideal order of the predicted items only, so a ranking that dropped
    the weaker items still scored 1.0; here left-out items lower the score.
    """
    ideal = dcg(sorted(gains.values(), reverse=True))
    return ratio(dcg([gains[letter] for letter in ranking]), ideal)


def ranking_scores(golds: Sequence[Mapping[str, float]], preds: Sequence[Sequence[str] | None]) -> Scores:
    """Mean NDCG; an invalid ranking scores 0."""
    if not golds:
        return {"ndcg": None}
    total = sum(ndcg(p, g) if p is not None else 0.0 for g, p in zip(golds, preds, strict=True))
    return {"ndcg": total / len(golds)}


def truncate_words(text: str, limit: int = ANSWER_WORD_LIMIT) -> str:
    words = text.split()
    return " ".join(words[:limit]) if len(words) > limit else text


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Allison-Dix / Hyyrö) in O(len(b))."""
    masks: dict[str, int] = {}
    for position, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << position)
    full = (1 << len(a)) - 1
    row = full
    for token in b:
        matched = row & masks.get(token, 0)
        row = ((row + matched) | (row - matched)) & full
    # Each zero bit left in `row` is one element of the common subsequence.
    return len(a) - row.bit_count()


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F-measure on lower-cased alphanumeric tokens (no stemming), as `rouge_score` does."""
    pred = _ROUGE_TOKEN.findall(prediction.lower())
    ref = _ROUGE_TOKEN.findall(reference.lower())
    common = lcs_length(ref, pred)
    return harmonic_mean(ratio(common, len(pred)), ratio(common, len(ref)))


def _answer_tokens(text: str) -> list[str]:
    # SQuAD-style normalisation: case, punctuation and articles do not count.
    return _ARTICLES.sub(" ", text.lower().translate(_PUNCTUATION)).split()


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 on bags of words; two empty texts agree fully."""
    pred, ref = _answer_tokens(prediction), _answer_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = (Counter(pred) & Counter(ref)).total()
    return harmonic_mean(ratio(common, len(pred)), ratio(common, len(ref)))


def answer_row_scores(gold: str, pred: str) -> dict[str, float]:
    """The offline AG metrics of one answer, both texts cut to ANSWER_WORD_LIMIT words."""
    gold, pred = truncate_words(gold), truncate_words(pred)
    return {"rouge_l": rouge_l(pred, gold), "token_f1": token_f1(pred, gold)}


def mean_scores(rows: Sequence[Mapping[str, float] | None], names: Sequence[str]) -> Scores:
    """Average per-row scores; a None row (invalid answer) scores 0 on every metric."""
    if not rows:
        return dict.fromkeys(names)
    return {name: sum(row[name] if row is not None else 0.0 for row in rows) / len(rows) for name in names}
