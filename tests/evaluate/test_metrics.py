"""Metrics against values computed by hand (the arithmetic is in each test)."""

from __future__ import annotations

import math

import pytest

from ecinstruct_builder.evaluate.metrics import (
    QPR_GAINS,
    answer_row_scores,
    ave_hits,
    ave_scores,
    binary_scores,
    choice_scores,
    dcg,
    hit_rate_at_1,
    lcs_length,
    mean_scores,
    ndcg,
    ranking_scores,
    rouge_l,
    token_f1,
    truncate_words,
)
from ecinstruct_builder.evaluate.parsers import NONE, parse_triples

approx = pytest.approx


def gains(*labels: str) -> dict[str, float]:
    return {chr(ord("A") + i): QPR_GAINS[label] for i, label in enumerate(labels)}


# --- yes/no -----------------------------------------------------------------------------------


def test_constant_yes_predictor() -> None:
    # 3 positives, 2 negatives, always "yes": tp=3 fp=2 tn=0 fn=0
    scores = binary_scores(["yes", "yes", "yes", "no", "no"], ["yes"] * 5)
    assert scores == approx(
        {"accuracy": 0.6, "precision": 0.6, "recall": 1.0, "f1": 0.75, "specificity": 0.0, "npr": 0.0}
    )


def test_binary_invalid_counts_as_the_wrong_answer() -> None:
    # yes->yes (tp), no->invalid (fp), yes->invalid (fn), no->no (tn)
    scores = binary_scores(["yes", "no", "yes", "no"], ["yes", None, None, "no"])
    assert scores == approx(dict.fromkeys(scores, 0.5))


def test_binary_mixed_counts() -> None:
    # tp=2 fn=1 fp=1 tn=2: P=2/3 R=2/3 F1=2/3 spec=2/3 npr=2/3 acc=4/6
    golds = ["yes", "yes", "yes", "no", "no", "no"]
    preds = ["yes", "yes", "no", "yes", "no", "no"]
    assert binary_scores(golds, preds) == approx(
        {
            "accuracy": 4 / 6,
            "precision": 2 / 3,
            "recall": 2 / 3,
            "f1": 2 / 3,
            "specificity": 2 / 3,
            "npr": 2 / 3,
        }
    )


def test_binary_all_invalid_and_empty() -> None:
    assert binary_scores(["yes", "no"], [None, None]) == dict.fromkeys(
        ("accuracy", "precision", "recall", "f1", "specificity", "npr"), 0.0
    )
    assert set(binary_scores([], []).values()) == {None}


# --- option letters ---------------------------------------------------------------------------


def test_choice_macro_scores() -> None:
    # A: P=1/1 R=1/2 F1=2/3; B: P=1/2 R=1/1 F1=2/3; C: P=0 (never predicted) R=0 F1=0
    scores = choice_scores(["A", "A", "B", "C"], ["A", "B", "B", None])
    assert scores == approx({"accuracy": 0.5, "macro_precision": 0.5, "macro_recall": 0.5, "macro_f1": 4 / 9})


def test_choice_single_class_present() -> None:
    assert choice_scores(["A", "A", "A"], ["A", "A", "A"]) == approx(
        {"accuracy": 1.0, "macro_precision": 1.0, "macro_recall": 1.0, "macro_f1": 1.0}
    )
    # A: P=1 R=1/2 F1=2/3; B (only predicted): P=0 R=0 F1=0
    assert choice_scores(["A", "A"], ["A", "B"]) == approx(
        {"accuracy": 0.5, "macro_precision": 0.5, "macro_recall": 0.25, "macro_f1": 1 / 3}
    )


def test_choice_all_invalid_and_empty() -> None:
    # the only class A: never predicted -> P=0, R=0/2=0
    assert choice_scores(["A", "A"], [None, None]) == dict.fromkeys(
        ("accuracy", "macro_precision", "macro_recall", "macro_f1"), 0.0
    )
    assert set(choice_scores([], []).values()) == {None}


def test_hit_rate_at_1() -> None:
    assert hit_rate_at_1(["A", "B", "C"], ["A", "C", None]) == approx({"hr@1": 1 / 3})
    assert hit_rate_at_1([], []) == {"hr@1": None}


# --- AVE --------------------------------------------------------------------------------------

RED = ("color", "red", "product title")
NO_SIZE = ("size", NONE, NONE)


def test_ave_exact_precision_counts_every_predicted_triple() -> None:
    # row 1: 1 hit of 2 predicted, 2 gold; row 2: 1 hit of 1 predicted, 1 gold -> P=2/3 R=2/3
    golds = [(RED, NO_SIZE), (("brand", "acme", "product brand"),)]
    preds = [(RED, ("size", "large", "product title")), (("brand", "acme", "product brand"),)]
    assert ave_scores(golds, preds, lenient=False) == approx(
        {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}
    )


def test_ave_none_values_match_exactly_only() -> None:
    assert ave_hits([NO_SIZE], [NO_SIZE], lenient=False) == 1
    # "no" is inside "none", but "no evidence" never matches leniently
    assert ave_hits([NO_SIZE], [("size", "no", "n")], lenient=True) == 0
    assert ave_hits([("size", "xl", "product title")], [NO_SIZE], lenient=True) == 0


def test_ave_lenient_match_is_one_to_one() -> None:
    gold = [("color", "dark red", "product title")]
    assert ave_hits(gold, [("color", "red", "title")], lenient=False) == 0
    assert ave_hits(gold, [("color", "red", "title")], lenient=True) == 1
    # two predictions both contain-match the one gold triple: one hit, two predicted -> P=1/2 R=1
    preds = (("color", "dark red", "title"), ("color", "red", "product title"))
    assert ave_scores([gold], [preds], lenient=True) == approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3})
    assert ave_hits(gold, [("colour", "red", "title")], lenient=True) == 0


def test_ave_duplicated_triples_in_a_prediction_count_once() -> None:
    text = '[{"attribute": "color", "value": "red", "source": "product title"}]'
    doubled = text[:-1] + ", " + text[1:]
    pred = parse_triples(doubled)
    assert pred == (RED,)
    assert ave_scores([(RED, NO_SIZE)], [pred], lenient=False) == approx(
        {"precision": 1.0, "recall": 0.5, "f1": 2 / 3}
    )


def test_ave_invalid_row_predicts_nothing() -> None:
    # hits 2, predicted 2, gold 3 -> P=1 R=2/3 F1=0.8
    golds = [(RED, NO_SIZE), (("brand", "acme", "product brand"),)]
    scores = ave_scores(golds, [(RED, NO_SIZE), None], lenient=False)
    assert scores == approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8})
    assert ave_scores(golds, [None, None], lenient=True) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert set(ave_scores([], [], lenient=False).values()) == {None}


# --- QPR --------------------------------------------------------------------------------------


def test_dcg_formula() -> None:
    assert dcg([1.0, 0.1]) == approx(1 + (2**0.1 - 1) / math.log2(3))
    assert dcg([]) == 0.0


def test_ndcg_lists_of_two_three_and_four() -> None:
    two = gains("S", "E")  # A=S, B=E
    assert ndcg(["B", "A"], two) == approx(1.0)
    # A first: (2^0.1-1)/1 + 1/log2(3), over 1/1 + (2^0.1-1)/log2(3)
    s = 2**0.1 - 1
    assert ndcg(["A", "B"], two) == approx((s + 1 / math.log2(3)) / (1 + s / math.log2(3)))

    three = gains("I", "E", "S")  # A=I, B=E, C=S
    assert ndcg(["B", "C", "A"], three) == approx(1.0)
    assert ndcg(["A", "B", "C"], three) == approx((1 / math.log2(3) + s / 2) / (1 + s / math.log2(3)))
    assert ndcg(["A", "B", "C"], three) == approx(0.63793, abs=1e-5)

    four = gains("C", "S", "I", "E")  # ideal D,B,A,C
    c = 2**0.01 - 1
    ideal = 1 + s / math.log2(3) + c / 2
    assert ndcg(["D", "B", "A", "C"], four) == approx(1.0)
    assert ndcg(["C", "A", "B", "D"], four) == approx((c / math.log2(3) + s / 2 + 1 / math.log2(5)) / ideal)


def test_ndcg_partial_ranking_is_normalised_by_all_items() -> None:
    # eCeLLM normalised by the predicted items only and gave 1.0 here
    assert ndcg(["B"], gains("I", "E", "S")) == approx(1 / (1 + (2**0.1 - 1) / math.log2(3)))


def test_ranking_scores_mean_with_invalid_as_zero() -> None:
    golds = [gains("S", "E"), gains("I", "E", "S")]
    assert ranking_scores(golds, [("B", "A"), None]) == approx({"ndcg": 0.5})
    assert ranking_scores([], []) == {"ndcg": None}


# --- AG ---------------------------------------------------------------------------------------


def test_lcs_length_classic_example() -> None:
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert lcs_length([], list("AB")) == 0
    assert lcs_length(list("AAA"), list("A")) == 1


def test_rouge_l() -> None:
    # LCS "the cat on the mat" = 5 of 6 tokens on both sides
    assert rouge_l("The cat sat on the mat.", "the cat is on the mat") == approx(5 / 6)
    # pred 2 tokens, ref 4, LCS 2: P=1 R=1/2 F=2/3
    assert rouge_l("red chair", "a red wooden chair") == approx(2 / 3)
    assert rouge_l("", "anything") == 0.0


def test_token_f1() -> None:
    # normalised: [cat, sat] vs [cat, sat, down] -> P=1 R=2/3 F1=0.8
    assert token_f1("The cat sat.", "a cat sat down") == approx(0.8)
    assert token_f1("yes yes", "yes") == approx(2 * 0.5 * 1 / 1.5)
    assert token_f1("the", "a") == 1.0  # both empty after normalisation
    assert token_f1("dog", "") == 0.0


def test_answer_rows_are_cut_to_300_words() -> None:
    long = " ".join(["word"] * 400)
    assert truncate_words(long) == " ".join(["word"] * 300)
    assert truncate_words("short text") == "short text"
    assert answer_row_scores(long, " ".join(["word"] * 300)) == {"rouge_l": 1.0, "token_f1": 1.0}


def test_mean_scores_invalid_rows_score_zero() -> None:
    rows = [{"rouge_l": 1.0, "token_f1": 0.5}, None]
    assert mean_scores(rows, ("rouge_l", "token_f1")) == approx({"rouge_l": 0.5, "token_f1": 0.25})
    assert mean_scores([], ("rouge_l",)) == {"rouge_l": None}
