"""Duplicate detection quality on a labelled synthetic set with planted exact and near duplicates.

Documents are random sequences of invented words. Near duplicates are edited copies whose true
Jaccard similarity is computed from plain Python sets of the same shingles the index uses (word
n-grams, or character n-grams of the normalised text), so recall and precision are measured, not
assumed.
"""

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
