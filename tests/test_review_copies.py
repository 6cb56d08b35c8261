"""The near-duplicate benchmark's labelled set: unrelated families share no sentence except the
stock ones, and the scoring counts a match between texts equal after normalisation as right."""

import re
import sys
from collections import defaultdict

from benchmark_modules import BENCHMARKS, load

from ecinstruct_builder.clean.dedup import Match

copies = load("review_copies")
sys.path.insert(0, str(BENCHMARKS))  # near_dup_short imports review_copies beside it
bench = load("near_dup_short")

BANDS = ((15, 20), (20, 40))
DRAWN = copies.labelled_set(40, 20, BANDS, seed=3)


def sentences(text: str) -> list[str]:
    return [copies.sentence_key(piece) for piece in re.findall(r"[^.!?]+", text) if piece.strip()]


def test_families_share_only_stock_sentences() -> None:
    stock = {copies.sentence_key(sentence) for sentence in copies.STOCK}
    families_of = defaultdict(set)
    for doc in DRAWN.originals + DRAWN.copies:
        for sentence in sentences(doc.text):
            families_of[sentence].add(doc.family)
    shared = {sentence for sentence, families in families_of.items() if len(families) > 1}
    assert shared, "stock families are meant to share their stock sentence"
    assert shared <= stock


def test_every_stock_member_says_a_stock_sentence_and_two_of_its_own() -> None:
    stock = {copies.sentence_key(sentence) for sentence in copies.STOCK}
    for doc in DRAWN.originals:
        said = sentences(doc.text)
        assert sum(sentence in stock for sentence in said) == doc.stock
        assert len([sentence for sentence in said if sentence not in stock]) >= 2


def test_lengths_fall_in_their_band_and_copies_differ_from_their_original() -> None:
    originals = {(doc.family, doc.member): doc for doc in DRAWN.originals}
    for doc in DRAWN.originals:
        assert any(low <= doc.words < high for low, high in BANDS)
    for doc in DRAWN.copies:
        original = originals[(doc.family, 0)]
        same = sentences(doc.text) == sentences(original.text)
        assert same == (doc.edit == "punctuation"), doc


def test_a_match_between_equal_texts_of_other_families_is_right() -> None:
    one = copies.Doc("Works well. It is blue.", family=1, member=0, edit="", words=5)
    other = copies.Doc("works well!  it is BLUE", family=2, member=0, edit="remove", words=8)
    unrelated = copies.Doc("It is red. Works well.", family=3, member=0, edit="", words=5)
    docs = [one, other, unrelated]
    match = Match("near", kept_position=0, similarity=0.9)
    equal = bench.tally(docs, [None, match, None], 1.0)
    assert (equal.flagged, equal.false) == (1, 0)
    wrong = bench.tally(docs, [None, None, match], 1.0)
    assert (wrong.flagged, wrong.false, wrong.originals) == (1, 1, 1)
