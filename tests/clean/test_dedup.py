"""Duplicate detection quality on a labelled synthetic set with planted exact and near duplicates.

Documents are random sequences of invented words. Near duplicates are edited copies whose true
Jaccard similarity is computed from plain Python sets of the same shingles the index uses (word
n-grams, or character n-grams of the normalised text), so recall and precision are measured, not
assumed.
"""

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest

from ecinstruct_builder.clean.dedup import DedupConfig, DuplicateIndex, Match, normalise, shingle_hashes
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.schema import parse

SYLLABLES = "ka lo mi nu pe ra si to ve za bri cho dan fel gor hin jus kel mon par que ster tur wix"
TOLERANCE = 0.1  # a flagged pair is a false positive only below threshold - TOLERANCE


def vocabulary(rng: np.random.Generator, size: int = 3000) -> np.ndarray:
    syllables = rng.choice(SYLLABLES.split(), size=(size * 2, 3))
    lengths = rng.integers(1, 4, size=size * 2)
    words = {"".join(parts[:k]) for parts, k in zip(syllables.tolist(), lengths.tolist(), strict=True)}
    return np.array(sorted(words)[:size])


def shingles(text: str, unit: str, n: int) -> set:
    """The reference shingle set: the same normalisation and n-grams as the index, in plain Python."""
    tokens = re.sub(r"[^\w ]", " ", text.lower()).split()
    items = tokens if unit == "word" else " ".join(tokens)
    if len(items) < n:
        return {tuple(items)}
    return {tuple(items[i : i + n]) for i in range(len(items) - n + 1)}


def jaccard(a: str, b: str, unit: str, n: int) -> float:
    x, y = shingles(a, unit, n), shingles(b, unit, n)
    return len(x & y) / len(x | y)


def edit(rng: np.random.Generator, words: list[str], vocab: np.ndarray, edits: int) -> list[str]:
    """A copy with `edits` random word substitutions, insertions or deletions."""
    out = list(words)
    for _ in range(edits):
        at = int(rng.integers(0, len(out)))
        kind = rng.integers(0, 3)
        if kind == 0:
            out[at] = str(rng.choice(vocab))
        elif kind == 1:
            out.insert(at, str(rng.choice(vocab)))
        elif len(out) > 2:
            del out[at]
    return out


def noisy_exact_copy(rng: np.random.Generator, words: list[str]) -> str:
    """The same words with other case, punctuation and spacing: an exact duplicate after normalising."""
    out = []
    for word in words:
        if rng.random() < 0.3:
            word = word.upper() if rng.random() < 0.5 else word.capitalize()
        if rng.random() < 0.2:
            word += rng.choice([",", "!!", ".", " -", ";"])
        out.append(word)
    return ("  " if rng.random() < 0.5 else "\t").join(out) + " ?"


@dataclass
class Corpus:
    texts: list[str]
    exact: dict[int, int]  # copy position -> original position
    near: dict[int, tuple[int, float]]  # copy position -> (original position, true Jaccard)


def corpus(unit: str, n: int, seed: int = 5, originals: int = 500) -> Corpus:
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    docs = [rng.choice(vocab, size=rng.integers(60, 140)).tolist() for _ in range(originals)]
    texts = [" ".join(d) for d in docs]
    exact: dict[int, int] = {}
    near: dict[int, tuple[int, float]] = {}
    # an edited word touches n word shingles but only about its length + n character shingles, so
    # char copies take more edits; skewed towards few edits, the true Jaccard similarities spread
    # from about 0.97 down to about 0.5, on both sides of the threshold
    most = 14 if unit == "word" else 48
    edits = 1 + np.floor(most * rng.random(300) ** 2).astype(int)
    plan = [("exact", 0)] * 40 + [("near", int(k)) for k in edits]
    for kind, edits in plan:
        source = int(rng.integers(0, originals))
        if kind == "exact":
            exact[len(texts)] = source
            texts.append(noisy_exact_copy(rng, docs[source]))
        else:
            copy = " ".join(edit(rng, docs[source], vocab, edits))
            near[len(texts)] = (source, jaccard(texts[source], copy, unit, n))
            texts.append(copy)
    return Corpus(texts, exact, near)


def run(texts: list[str], config: DedupConfig, chunks: int = 1) -> list[Match | None]:
    index = DuplicateIndex(config)
    out: list[Match | None] = []
    for part in np.array_split(np.arange(len(texts)), chunks):
        out += index.add_chunk(pl.Series([texts[i] for i in part], dtype=pl.String))
    return out


SETTINGS = [("word", 3), ("char", 5)]


@pytest.fixture(scope="module", params=SETTINGS, ids=[u for u, _ in SETTINGS])
def planted(request):
    unit, n = request.param
    config = DedupConfig(unit=unit, ngram=n)
    data = corpus(unit, n)
    return config, data, run(data.texts, config)


def test_reference_shingles_are_the_ones_the_index_uses(planted):
    config, data, _ = planted
    sample = data.texts[:50] + data.texts[-50:]
    hashes, offsets, _ = shingle_hashes(pl.Series(sample), config.unit, config.ngram)
    ends = [*offsets[1:].tolist(), len(hashes)]
    for text, start, end in zip(sample, offsets.tolist(), ends, strict=True):
        assert len(np.unique(hashes[start:end])) == len(shingles(text, config.unit, config.ngram))


def test_planted_set_spans_the_threshold(planted):
    _, data, _ = planted
    similarities = [j for _, j in data.near.values()]
    assert sum(j >= 0.9 for j in similarities) >= 40
    assert sum(j < 0.7 for j in similarities) >= 40


def test_near_duplicate_recall_at_high_similarity(planted):
    _, data, matches = planted
    wanted = [(copy, original) for copy, (original, j) in data.near.items() if j >= 0.9]
    found = [copy for copy, original in wanted if matches[copy] and matches[copy].kept_position == original]
    assert len(found) / len(wanted) >= 0.95


def test_near_duplicate_precision(planted):
    config, data, matches = planted
    flagged = [(i, m) for i, m in enumerate(matches) if m is not None and m.kind == "near"]
    false = [
        (i, m)
        for i, m in flagged
        if jaccard(data.texts[i], data.texts[m.kept_position], config.unit, config.ngram)
        < config.threshold - TOLERANCE
    ]
    assert len(flagged) >= 100
    assert 1 - len(false) / len(flagged) >= 0.99


def test_estimated_similarity_tracks_true_jaccard(planted):
    config, data, matches = planted
    errors = [
        abs(m.similarity - jaccard(data.texts[i], data.texts[m.kept_position], config.unit, config.ngram))
        for i, m in enumerate(matches)
        if m is not None and m.kind == "near"
    ]
    assert np.mean(errors) < 0.05


def test_exact_duplicates_found_regardless_of_case_punctuation_and_spacing(planted):
    _, data, matches = planted
    for copy, original in data.exact.items():
        assert matches[copy] == Match("exact", original, 1.0)
    # no original is an exact duplicate of another
    assert all(m is None or m.kind != "exact" for m in matches[:500])


def test_exact_only_and_near_only_modes():
    texts = ["Solid lid, no leaks!", "solid LID no   leaks", "solid lid no leaks at all"]
    exact_only = run(texts, DedupConfig(near=False))
    assert exact_only == [None, Match("exact", 0, 1.0), None]
    near_only = run(texts, DedupConfig(exact=False))
    assert near_only[:2] == [None, Match("near", 0, 1.0)]


def test_a_duplicate_of_a_dropped_row_points_at_the_kept_row():
    texts = ["red kettle boils fast", "Red kettle, boils fast!", "red kettle boils fast"]
    assert run(texts, DedupConfig()) == [None, Match("exact", 0, 1.0), Match("exact", 0, 1.0)]


@pytest.mark.parametrize(("unit", "n"), SETTINGS)
def test_chunked_processing_gives_the_same_decisions(unit, n):
    data = corpus(unit, n, seed=11, originals=200)
    config = DedupConfig(unit=unit, ngram=n)
    whole = run(data.texts, config)
    assert sum(m is not None for m in whole) > 100
    for chunks in (2, 7, 25):
        assert run(data.texts, config, chunks) == whole


def test_deterministic_and_seeded():
    data = corpus("char", 5, seed=3, originals=100)
    config = DedupConfig()
    assert run(data.texts, config) == run(data.texts, config)
    hashes, offsets, _ = shingle_hashes(pl.Series(data.texts), "char", 5)
    from ecinstruct_builder.clean.dedup import signatures

    first = signatures(hashes, offsets, 128, seed=1)
    assert np.array_equal(first, signatures(hashes, offsets, 128, seed=1))
    assert not np.array_equal(first, signatures(hashes, offsets, 128, seed=2))


def test_index_counts_rows_seen_and_touched():
    index = DuplicateIndex(DedupConfig())
    index.add_chunk(pl.Series(["a b c", "a b c", None]))
    index.add_chunk(pl.Series(["d e f"]))
    assert (index.size, index.touched) == (4, 4)
    assert DuplicateIndex(DedupConfig(near=False)).touched == 0


def test_normalise_lowercases_and_turns_punctuation_into_spaces():
    out = normalise(pl.Series(["Great, Product!!", None, "Äpfel-Saft"])).to_list()
    assert out == ["great  product  ", "", "äpfel saft"]


def test_config_bands_and_errors():
    # recall-weighted banding: 16 bands of 8 rows at threshold 0.8 (9 x 13 with equal weights)
    assert DedupConfig().bands == (16, 8)
    bands, rows = DedupConfig(threshold=0.5, num_perm=64).bands
    assert bands * rows <= 64
    assert parse(DedupConfig, {"unit": "word", "ngram": 3}, "dedup") == DedupConfig(unit="word", ngram=3)
    bad = {
        "unit": ("byte", "dedup.unit must be one of 'char', 'word', got 'byte'"),
        "ngram": (0, "dedup.ngram must be an integer >= 1 and <= 64, got 0"),
        "threshold": (1.5, "dedup.threshold must be a number > 0 and <= 1, got 1.5"),
        "num_perm": (0, "dedup.num_perm must be an integer >= 8 and <= 1024, got 0"),
        "seed": (3, "dedup: unknown key 'seed'"),  # the recipe's seed, not a dedup option
    }
    for key, (value, message) in bad.items():
        with pytest.raises(RecipeError, match=re.escape(message)):
            parse(DedupConfig, {key: value}, "dedup")


def test_optimal_bands_agree_with_datasketch_where_it_is_installed():
    # our integration of the banding error replaces datasketch's private helper; same choices
    lsh = pytest.importorskip("datasketch.lsh")
    from ecinstruct_builder.clean.dedup import FALSE_NEGATIVE_WEIGHT, FALSE_POSITIVE_WEIGHT, optimal_bands

    for num_perm in (32, 128):
        for threshold in (0.3, 0.45, 0.6, 0.7, 0.8, 0.9):
            expected = lsh._optimal_param(threshold, num_perm, FALSE_POSITIVE_WEIGHT, FALSE_NEGATIVE_WEIGHT)
            assert optimal_bands(threshold, num_perm) == expected


def test_bands_follow_the_lowest_threshold_in_use():
    from ecinstruct_builder.clean.dedup import optimal_bands

    tiered = DedupConfig(threshold=0.8, length_thresholds=((40, 0.6),))
    assert tiered.bands == optimal_bands(0.6, 128) != DedupConfig().bands


def test_length_thresholds_pick_the_tier_of_the_shorter_text():
    config = parse(DedupConfig, {"threshold": 0.7, "length_thresholds": [[20, 0.9], [40, 0.8]]}, "dedup")
    assert config.length_thresholds == ((20, 0.9), (40, 0.8))
    assert [config.threshold_for(w) for w in (5, 19, 20, 39, 40, 500)] == [0.9, 0.9, 0.8, 0.8, 0.7, 0.7]


@pytest.mark.parametrize(
    "bad",
    [
        [[40, 0.8], [20, 0.9]],  # words must ascend
        [[20, 1.5]],
        [[0, 0.5]],
        [[20]],
        [["20", 0.5]],
        [[True, 0.5]],
        30,
    ],
)
def test_length_thresholds_errors(bad):
    with pytest.raises(RecipeError, match=r"dedup\.length_thresholds(\[\d\])*(\[\d\])? must be"):
        parse(DedupConfig, {"length_thresholds": bad}, "dedup")


# an invented 32-word review and the same review with one phrase reworded (the templated-spam edit)
REVIEW = (
    "I bought this kettle for my office and it has been solid so far. The lid shuts tight and "
    "the handle stays cool. Overall I rate it four stars for the price."
)
REWORDED = REVIEW.replace("Overall I rate it", "All in all I rate it")


def test_a_lower_threshold_for_short_texts_catches_a_one_phrase_copy():
    assert 20 <= len(REVIEW.split()) <= 40
    assert 0.7 <= jaccard(REVIEW, REWORDED, "word", 3) < 0.8
    plain = DedupConfig(unit="word", ngram=3, threshold=0.8)
    tiered = DedupConfig(unit="word", ngram=3, threshold=0.8, length_thresholds=((40, 0.65),))
    assert run([REVIEW, REWORDED], plain) == [None, None]
    assert [m if m is None else (m.kind, m.kept_position) for m in run([REVIEW, REWORDED], tiered)] == [
        None,
        ("near", 0),
    ]
    # a long text with the same edit keeps the long-text threshold
    long_review = " ".join([REVIEW] * 2)
    copy = long_review.replace("Overall I rate it", "All in all I rate it", 1)
    assert tiered.threshold_for(len(copy.split())) == 0.8


@pytest.mark.parametrize(("unit", "n"), SETTINGS)
def test_chunked_processing_gives_the_same_decisions_with_length_tiers(unit, n):
    data = corpus(unit, n, seed=12, originals=200)
    config = DedupConfig(unit=unit, ngram=n, length_thresholds=((90, 0.5), (110, 0.65)))
    whole = run(data.texts, config)
    assert whole != run(data.texts, DedupConfig(unit=unit, ngram=n))  # the tiers change decisions
    for chunks in (2, 7, 25):
        assert run(data.texts, config, chunks) == whole


# the span verifier: a sibling of REVIEW that shares its template and differs in three slot values
SIBLING = (
    "I bought this toaster for my sister and it has been solid so far. The door shuts tight and "
    "the handle stays cool. Overall I rate it four stars for the price."
)
VERIFIED = DedupConfig(unit="word", ngram=3, threshold=0.8, length_thresholds=((40, 0.3),), verify="spans")


def words(text: str) -> list[str]:
    return normalise(pl.Series([text])).to_list()[0].split()


def test_difference_spans_join_runs_separated_by_fewer_equal_words_than_the_gap():
    from ecinstruct_builder.clean.dedup import difference_spans

    a, b = words("as far as I can tell it works"), words("from what I can see it works")
    assert difference_spans(a, b, gap=2) == [(0, 3, 0, 2), (5, 6, 4, 5)]  # "i can" keeps them apart
    assert difference_spans(a, b, gap=3) == [(0, 6, 0, 5)]
    assert difference_spans(a, a, gap=3) == []


@pytest.mark.parametrize(
    ("other", "accepted"),
    [
        (REWORDED, True),  # one phrase reworded
        (REVIEW + " Shipping was quick too.", True),  # a sentence added
        (REVIEW.replace(" The lid shuts tight and the handle stays cool.", ""), True),  # one removed
        (SIBLING, False),  # three slot values changed, scattered over the text
        ("I bought this kettle for my office. The rest of this text has nothing to do with it.", False),
    ],
)
def test_one_edit_apart_accepts_one_contiguous_edit_and_rejects_scattered_ones(other, accepted):
    from ecinstruct_builder.clean.dedup import one_edit_apart

    assert (one_edit_apart(words(REVIEW), words(other), VERIFIED) is not None) is accepted
    assert (one_edit_apart(words(other), words(REVIEW), VERIFIED) is not None) is accepted  # either order


def test_a_repeated_phrase_reworded_is_one_edit_but_a_word_swapped_twice_is_two():
    from ecinstruct_builder.clean.dedup import one_edit_apart

    text = "I would recommend it to anyone. My dad says the lid is fine. I would recommend it again."
    reworded = text.replace("I would recommend", "I can only recommend")
    swapped = text.replace("recommend", "suggest")
    assert one_edit_apart(words(text), words(reworded), VERIFIED) == 2  # "would" -> "can only", twice
    assert one_edit_apart(words(text), words(swapped), VERIFIED) is None
    assert one_edit_apart(words(text), words(swapped), DedupConfig(max_spans=2)) == 2


def test_the_verifier_keeps_a_template_sibling_that_the_low_floor_would_flag():
    assert 0.3 <= jaccard(REVIEW, SIBLING, "word", 3) < 0.8
    assert run([REVIEW, SIBLING], DedupConfig(unit="word", ngram=3, length_thresholds=((40, 0.3),))) == [
        None,
        Match("near", 0, pytest.approx(0.5, abs=0.15)),
    ]
    assert run([REVIEW, SIBLING, REWORDED], VERIFIED)[:2] == [None, None]
    copy = run([REVIEW, SIBLING, REWORDED], VERIFIED)[2]
    assert copy is not None and (copy.kind, copy.kept_position) == ("near", 0)


def test_pairs_of_longer_texts_are_decided_by_the_threshold_alone():
    long_review, long_sibling = " ".join([REVIEW] * 2), " ".join([SIBLING] * 2)
    similarity = jaccard(long_review, long_sibling, "word", 3)
    config = DedupConfig(unit="word", ngram=3, threshold=similarity - 0.15, verify="spans", verify_below=40)
    assert run([long_review, long_sibling], config)[1] is not None  # 64 words: not verified
    assert run([long_review, long_sibling], dataclasses.replace(config, verify_below=100)) == [None, None]


@pytest.mark.parametrize(("unit", "n"), SETTINGS)
def test_verified_decisions_are_deterministic_and_the_same_in_chunks(unit, n):
    data = corpus(unit, n, seed=13, originals=200)
    # short texts, so the verifier decides: the first 25 words of every planted text
    texts = [" ".join(t.split()[:25]) for t in data.texts]
    config = DedupConfig(unit=unit, ngram=n, threshold=0.8, length_thresholds=((40, 0.3),), verify="spans")
    whole = run(texts, config)
    assert sum(m is not None and m.kind == "near" for m in whole) > 50
    assert whole == run(texts, config)
    assert whole != run(texts, dataclasses.replace(config, verify="off"))  # the verifier changes decisions
    for chunks in (2, 7, 25):
        assert run(texts, config, chunks) == whole


def test_verifier_options_are_validated():
    assert parse(DedupConfig, {"verify": "spans", "max_spans": 2}, "dedup") == DedupConfig(
        verify="spans", max_spans=2
    )
    bad = {
        "verify": ("maybe", "dedup.verify must be one of 'off', 'spans', got 'maybe'"),
        "max_spans": (0, "dedup.max_spans must be an integer >= 1, got 0"),
        "max_replaced": (1.5, "dedup.max_replaced must be a number > 0 and <= 1, got 1.5"),
        "min_shared": (0, "dedup.min_shared must be a number > 0 and <= 1, got 0"),
    }
    for key, (value, message) in bad.items():
        with pytest.raises(RecipeError, match=re.escape(message)):
            parse(DedupConfig, {key: value}, "dedup")


SENTENCES = dataclasses.replace(VERIFIED, sentence_candidates=True)


def test_sentence_keys_normalise_like_the_index_and_list_each_sentence_once():
    from ecinstruct_builder.clean.dedup import sentence_keys

    texts = pl.Series(["The lid is FINE!  the lid is fine... Works.", "works", "the lid, is fine", "", None])
    keys = sentence_keys(texts, np.zeros(len(texts), dtype=np.uint64))
    assert len(keys[0]) == 2 and keys[1] == [keys[0][1]] and keys[2] == [keys[0][0]]
    assert keys[3] == keys[4] == []
    salted = sentence_keys(texts, np.arange(len(texts), dtype=np.uint64))
    assert salted[0] == keys[0] and salted[1] != keys[1]  # another partition, other keys


def test_a_copy_with_a_sentence_removed_is_found_under_the_shingle_floor():
    copy = REVIEW.replace("I bought this kettle for my office and it has been solid so far. ", "")
    floor = 0.6
    assert jaccard(REVIEW, copy, "word", 3) < floor - 0.05  # LSH alone does not offer the pair
    config = dataclasses.replace(SENTENCES, length_thresholds=((40, floor),))
    assert run([REVIEW, copy], dataclasses.replace(config, sentence_candidates=False)) == [None, None]
    found = run([REVIEW, copy], config)
    assert (
        found[0] is None and found[1] is not None and (found[1].kind, found[1].kept_position) == ("near", 0)
    )
    assert found[1].similarity < floor


def stock_reviews(count: int) -> list[str]:
    """`count` unrelated reviews that all end with the same stock sentence."""
    items = ("kettle", "blender", "toaster", "drill", "lamp")
    places = ("garage", "kitchen", "attic", "office", "cellar")
    stock = "Highly recommend it to everyone who asks me."
    return [f"The {items[k]} in my {places[k]} works after {k + 2} winters. {stock}" for k in range(count)]


def test_a_sentence_held_by_more_kept_rows_than_the_bucket_cap_finds_no_candidates():
    reviews = stock_reviews(3)
    copy = reviews[0].split(". ")[1]  # the first review with its own sentence removed
    config = dataclasses.replace(SENTENCES, length_thresholds=((40, 0.9),))
    assert run([*reviews, copy], config)[:3] == [None, None, None]  # the reviews stay apart
    assert run([*reviews, copy], dataclasses.replace(config, sentence_bucket=3))[3] is not None
    assert run([*reviews, copy], dataclasses.replace(config, sentence_bucket=2))[3] is None
    assert run([reviews[0], reviews[1], copy], dataclasses.replace(config, sentence_bucket=2))[2] is not None


def test_sentence_candidates_are_deterministic_and_the_same_in_chunks():
    copies = [REVIEW.replace("The lid shuts tight and the handle stays cool. ", ""), REWORDED, SIBLING]
    texts = [*stock_reviews(5), REVIEW, *copies, *(r.split(". ")[1] for r in stock_reviews(5))]
    config = dataclasses.replace(SENTENCES, sentence_bucket=4)
    whole = run(texts, config)
    assert whole == run(texts, config)
    for chunks in (2, 3, len(texts)):
        assert run(texts, config, chunks) == whole


def test_sentence_candidate_options_are_validated():
    assert parse(DedupConfig, {"verify": "spans", "sentence_candidates": True}, "dedup").sentence_candidates
    with pytest.raises(
        RecipeError, match=re.escape("dedup.sentence_candidates needs near = true and verify")
    ):
        parse(DedupConfig, {"sentence_candidates": True}, "dedup")
    with pytest.raises(RecipeError, match=re.escape("dedup.sentence_bucket must be an integer >= 1, got 0")):
        parse(DedupConfig, {"sentence_bucket": 0}, "dedup")


def test_a_copy_one_edit_from_two_kept_rows_is_credited_to_the_one_it_changed_least():
    from ecinstruct_builder.clean.dedup import one_edit_apart

    copy = REVIEW.replace("I bought this kettle for my office and it has been solid so far. ", "")
    other = copy.replace("handle", "knob")  # another product's review: the copy with a word swapped
    assert one_edit_apart(words(copy), words(other), VERIFIED) == 1
    assert one_edit_apart(words(copy), words(REVIEW), VERIFIED) == 0
    assert jaccard(copy, other, "word", 3) > jaccard(copy, REVIEW, "word", 3) + 0.1
    decided = run([other, REVIEW, copy], VERIFIED)
    assert decided[:2] == [None, None]  # the two kept rows are not one edit apart
    assert decided[2] is not None and decided[2].kept_position == 1  # not the earliest, most similar
