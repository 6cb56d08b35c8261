"""Exact and near-duplicate detection: a handful of small pure functions over arrays and frames.

- `normalise`: lowercase, punctuation to spaces, whitespace collapsed (for exact hashes and shingles).
- `shingle_hashes`: word or character n-grams, hashed, fully vectorised (Polars + NumPy): one array
  of 64-bit shingle hashes plus the offsets of each document in it (compiled with numba).
- `signatures`: MinHash signatures with multiply-shift permutations, computed by a compiled (numba)
  loop over all shingles of a batch at once instead of one `update` call per shingle.
- `band_keys`: LSH banding, the (b, r) split that minimises the weighted chance of missing a pair at
  or above the threshold and of meeting one below it (`optimal_bands`, our own integration).
- `DuplicateIndex`: the kept rows so far; `add_chunk` decides, for rows in a fixed order, which are
  exact or near duplicates of an earlier *kept* row (greedy). Feeding the rows in one go or in chunks
  gives the same answer, so the expensive work can stop as soon as the split quotas are full.
- `difference_spans` / `one_edit_apart`: the span verifier for short texts. A copy with one phrase
  reworded or one sentence added or removed differs from its original in one contiguous run of
  words; a review that only shares a template differs in several slot values scattered over it.
  Shingle Jaccard cannot tell the two apart at 15-40 words, so there the LSH threshold only gates
  candidates and the word alignment decides (measured in docs/benchmarks.md).
- `sentence_keys`: the second candidate source for short texts: kept rows sharing a whole sentence
  (an inverted index whose too-common sentences are left out), for copies that lost a sentence and
  with it most of their shingles.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache, partial
from typing import Literal

import numpy as np
import polars as pl
import pyarrow as pa
from numba import njit, prange

from ..engine import map_batches
from ..errors import RecipeError
from ..hashing import FNV_OFFSET, FNV_PRIME, hash_strings, mix64, string_buffers
from ..schema import option

# A false positive costs one signature comparison (every LSH candidate is checked against the
# threshold), a false negative leaves a duplicate (or a contaminated test row) in place: misses weigh
# 19:1. At threshold 0.8 and 128 permutations this gives 16 bands of 8 rows, which finds a pair at
# Jaccard 0.8 / 0.85 / 0.9 with probability 0.95 / 0.994 / 0.9998 (9 x 13 with equal weights).
FALSE_POSITIVE_WEIGHT = 0.05
FALSE_NEGATIVE_WEIGHT = 0.95
_GRID = 1001  # integration points on each side of the threshold (the curves are smooth)


@cache
def optimal_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band), bands x rows <= num_perm, minimising the weighted area of false
    positives (pairs below the threshold that share a band) and false negatives (pairs at or above
    it that share none), over similarities spread evenly on [0, 1]; ties go to fewer bands."""
    below, above = np.linspace(0.0, threshold, _GRID), np.linspace(threshold, 1.0, _GRID)
    best: tuple[float, int, int] = (np.inf, 1, 1)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            # a pair at similarity s shares no band with probability (1 - s^rows)^bands
            false_positive = np.trapezoid(1.0 - (1.0 - below**rows) ** bands, below)
            false_negative = np.trapezoid((1.0 - above**rows) ** bands, above)
            error = FALSE_POSITIVE_WEIGHT * false_positive + FALSE_NEGATIVE_WEIGHT * false_negative
            if error < best[0]:
                best = (float(error), bands, rows)
    return best[1], best[2]


@dataclass(frozen=True)
class DedupConfig:
    """`[dedup]`: exact and MinHash near-duplicate removal on each task's content key."""

    exact: bool = option(True, "remove exact duplicates (after lower-casing, punctuation and spacing)")
    near: bool = option(True, "remove near duplicates (MinHash + LSH)")
    variant_copies: bool = option(
        True,
        "before the split, keep one of the copies of an example listed under several products (SA: "
        "one review under a product family's variant ASINs; rejects: duplicate:variant_copy)",
    )
    unit: Literal["char", "word"] = option(
        "char", "shingle unit: char n-grams suit short titles and queries, word n-grams long reviews"
    )
    ngram: int = option(5, "shingle length in units", minimum=1, maximum=64)
    num_perm: int = option(128, "MinHash permutations", minimum=8, maximum=1024)
    threshold: float = option(
        0.8,
        "estimated Jaccard similarity at or above which two texts are near duplicates",
        above=0,
        maximum=1,
    )
    # (below_words, threshold) tiers: a pair whose shorter text has fewer than `below_words` words is a
    # near duplicate at that threshold instead. One edited phrase moves a 30-word review further from
    # its copy than a 300-word one (measured in docs/benchmarks.md).
    length_thresholds: tuple[tuple[int, float], ...] = option(
        (),
        "[[words, threshold], ...], words ascending: pairs whose shorter text has fewer words use that "
        "threshold",
    )
    verify: Literal["off", "spans"] = option(
        "off",
        "spans: a pair whose shorter text has fewer than verify_below words is a near duplicate only "
        "when its word difference is a few contiguous spans (one phrase reworded, a sentence added or "
        "removed), not edits scattered over the text (reviews sharing a template); the threshold then "
        "only selects the pairs to check",
    )
    verify_below: int = option(40, "verify: pairs whose shorter text has fewer words are checked", minimum=1)
    max_spans: int = option(
        1,
        "verify: edits a near duplicate may have (a differing span; a phrase reworded the same way "
        "in several places is one)",
        minimum=1,
    )
    span_gap: int = option(
        3, "verify: differing spans with fewer equal words between them count as one", minimum=1
    )
    max_replaced: float = option(
        0.2,
        "verify: share of the longer text's words that replaced (not added or removed) words may cover",
        above=0,
        maximum=1,
    )
    min_shared: float = option(
        0.3, "verify: share of the longer text's words that must be common to both", above=0, maximum=1
    )
    sentence_candidates: bool = option(
        False,
        "verify: also check pairs that share a whole sentence (after normalisation) when the new text "
        "has fewer than verify_below words, however low their shingle similarity (a copy with a "
        "sentence removed keeps few shingles of a short review)",
    )
    sentence_bucket: int = option(
        8,
        "sentence_candidates: a sentence already in more kept rows than this is not used to find "
        "candidates (a stock sentence would pair a text with every row holding it)",
        minimum=1,
    )
    seed: int = field(default=1, metadata={"internal": True})  # the recipe's seed, set by the build

    def check(self, where: str) -> None:
        if self.sentence_candidates and (self.verify == "off" or not self.near):
            raise RecipeError(f'{where}.sentence_candidates needs near = true and verify = "spans"')
        previous = 0
        for words, threshold in self.length_thresholds:
            if words <= previous or not 0 < threshold <= 1:
                raise RecipeError(
                    f"{where}.length_thresholds must be [[words, threshold], ...] with words ascending "
                    f"from 1 and 0 < threshold <= 1, got {[list(t) for t in self.length_thresholds]}"
                )
            previous = words

    def threshold_for(self, words: int) -> float:
        """The threshold of a pair whose shorter text has `words` words."""
        for below, threshold in self.length_thresholds:
            if words < below:
                return threshold
        return self.threshold

    @property
    def bands(self) -> tuple[int, int]:
        """(bands, rows per band) for the lowest threshold in use (see `optimal_bands`)."""
        lowest = min([self.threshold, *(threshold for _, threshold in self.length_thresholds)])
        return optimal_bands(lowest, self.num_perm)


def word_counts(texts: pl.Series) -> np.ndarray:
    """Words per text as the shingles see them (runs of word characters)."""
    return texts.fill_null("").str.count_matches(r"\w+").to_numpy()


def normalise(texts: pl.Series) -> pl.Series:
    """Lowercase, everything but word characters and spaces turned into a space.

    Runs of spaces are left alone (a regex collapsing them is slow on long texts); the compiled
    tokeniser below treats any run of spaces as one separator.
    """
    return texts.fill_null("").str.to_lowercase().str.replace_all(r"[^\w ]", " ")


@njit(cache=True, nogil=True)
def _units(data: np.ndarray, starts: np.ndarray, word: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per document: the hashes of its units (word tokens, or characters with runs of spaces folded
    and the ends trimmed), each document's unit offset, and a hash of its whole token sequence (the
    exact-duplicate key, blind to punctuation, case and spacing)."""
    n_docs = len(starts) - 1
    units = np.empty(len(data), dtype=np.uint64)
    unit_starts = np.empty(n_docs + 1, dtype=np.int64)
    digests = np.empty(n_docs, dtype=np.uint64)
    count = 0
    for d in range(n_docs):
        unit_starts[d] = count
        digest = FNV_OFFSET
        token = FNV_OFFSET
        in_token = False
        for i in range(starts[d], starts[d + 1] + 1):
            space = i == starts[d + 1] or data[i] == 32  # a virtual space ends the last token
            if not space:
                if not word:
                    if not in_token and count > unit_starts[d]:
                        units[count] = np.uint64(32)  # one space between tokens
                        count += 1
                    units[count] = np.uint64(data[i])
                    count += 1
                token = (token ^ np.uint64(data[i])) * FNV_PRIME
                in_token = True
            elif in_token:
                if word:
                    units[count] = token
                    count += 1
                digest = (digest ^ token) * FNV_PRIME
                token = FNV_OFFSET
                in_token = False
        digests[d] = mix64(digest)
    unit_starts[n_docs] = count
    return units[:count], unit_starts, digests


@njit(cache=True, nogil=True)
def _windows(units: np.ndarray, unit_starts: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Hash every run of `n` consecutive units of each document; a shorter document is one shingle
    (an empty one a constant shingle), so every document has at least one."""
    n_docs = len(unit_starts) - 1
    total = 0
    for d in range(n_docs):
        length = unit_starts[d + 1] - unit_starts[d]
        total += length - n + 1 if length >= n else 1
    hashes = np.empty(total, dtype=np.uint64)
    offsets = np.empty(n_docs, dtype=np.int64)
    k = 0
    for d in range(n_docs):
        offsets[d] = k
        start, length = unit_starts[d], unit_starts[d + 1] - unit_starts[d]
        windows = length - n + 1 if length >= n else 1
        width = min(n, length)
        for w in range(windows):
            h = FNV_OFFSET
            for j in range(width):
                h = (h ^ units[start + w + j]) * FNV_PRIME
            hashes[k] = mix64(h)
            k += 1
    return hashes, offsets


def shingle_hashes(texts: pl.Series, unit: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All shingle hashes of the normalised texts, each text's offset into them, and per text the
    exact-duplicate digest."""
    data, starts = string_buffers(normalise(texts))
    units, unit_starts, digests = _units(data, starts, unit == "word")
    hashes, offsets = _windows(units, unit_starts, n)
    return hashes, offsets, digests


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


@njit(cache=True, parallel=True)
def _signatures(hashes: np.ndarray, offsets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n_docs, num_perm = len(offsets), len(a)
    out = np.empty((n_docs, num_perm), dtype=np.uint32)
    for d in prange(n_docs):
        end = offsets[d + 1] if d + 1 < n_docs else len(hashes)
        for p in range(num_perm):
            ap, bp = a[p], b[p]
            smallest = np.uint64(0xFFFFFFFF)
            for i in range(offsets[d], end):
                # multiply-shift hashing: the high 32 bits of a*x + b (mod 2^64) are 2-universal
                smallest = min(smallest, (ap * hashes[i] + bp) >> np.uint64(32))
            out[d, p] = smallest
    return out


# One caller of the parallel kernel at a time: numba's fallback threading layer (workqueue) aborts
# when two threads (tasks selected at once, `render --workers`) launch it together. It uses every
# core by itself, so waiting costs nothing.
_PARALLEL_KERNEL = threading.Lock()


def signatures(hashes: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash signatures (documents x num_perm, uint32) from shingle hashes and document offsets."""
    a, b = permutations(num_perm, seed)
    with _PARALLEL_KERNEL:
        return _signatures(hashes, offsets, a, b)


def _sketch_batch(config: DedupConfig, batch: pa.Table) -> pa.Table:
    """A batch of texts (column `text`) to their exact-duplicate digests and, with `near`, MinHash
    signatures (a fixed-size list column `signature`)."""
    hashes, offsets, digests = shingle_hashes(pl.Series(batch["text"]), config.unit, config.ngram)
    columns = {"digest": pa.array(digests)}
    if config.near:
        sigs = signatures(hashes, offsets, config.num_perm, config.seed)
        columns["signature"] = pa.FixedSizeListArray.from_arrays(pa.array(sigs.reshape(-1)), config.num_perm)
    return pa.table(columns)


def sketches(texts: pl.Series, config: DedupConfig) -> tuple[np.ndarray, np.ndarray | None]:
    """Per text: its exact-duplicate digest and (with `near`) its MinHash signature, through the
    engine's `map_batches` (each row's own, so any batching gives the same rows)."""
    batch = pa.table({"text": texts.fill_null("").to_arrow(compat_level=pl.CompatLevel.oldest())})
    out = map_batches(partial(_sketch_batch, config), batch)
    digests = out["digest"].to_numpy()
    if not config.near:
        return digests, None
    flat = out["signature"].combine_chunks().flatten().to_numpy()
    return digests, flat.reshape(len(texts), config.num_perm)


@njit(cache=True, nogil=True)
def _band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    keys = np.empty((sigs.shape[0], bands), dtype=np.uint64)
    for d in range(sigs.shape[0]):
        for band in range(bands):
            h = FNV_OFFSET ^ np.uint64(band)
            for j in range(band * rows, (band + 1) * rows):
                h = (h ^ np.uint64(sigs[d, j])) * FNV_PRIME
            keys[d, band] = mix64(h)
    return keys


def band_keys(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (document, band): the band's `rows` signature values hashed together."""
    return _band_keys(sigs, bands, rows)


def sentence_keys(texts: pl.Series, salt: np.ndarray) -> list[list[int]]:
    """Per text, the hashes of its sentences (runs of text between `.`, `!` and `?`), each
    normalised as the shingles see it and salted with the text's partition; empty sentences are
    left out and a repeated one is listed once."""
    pieces = (
        pl.DataFrame({"text": texts.fill_null("")})
        .with_row_index("doc")
        .select("doc", pl.col("text").str.extract_all(r"[^.!?]+").alias("sentence"))
        .explode("sentence")
    )
    words = normalise(pieces["sentence"]).str.replace_all(r" +", " ").str.strip_chars()
    docs = pieces["doc"].to_numpy()[(words != "").to_numpy()]
    hashes = (hash_strings(words.filter(words != "")) ^ salt[docs]).tolist()
    out: list[dict[int, None]] = [{} for _ in range(len(texts))]
    for doc, key in zip(docs.tolist(), hashes, strict=True):
        out[doc][key] = None
    return [list(keys) for keys in out]


Span = tuple[int, int, int, int]  # words [start, end) of the first text and of the second


def difference_spans(a: Sequence[str], b: Sequence[str], gap: int) -> list[Span]:
    """The runs of words where `a` and `b` differ, from difflib's alignment on longest common runs;
    two runs with fewer than `gap` equal words between them are one span (a reworded phrase often
    keeps a word of the original in its middle: "as far as I can tell" -> "from what I can see")."""
    spans: list[Span] = []
    for tag, a0, a1, b0, b1 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if spans and a0 - spans[-1][1] < gap:  # an equal run is as long in both texts
            spans[-1] = (spans[-1][0], a1, spans[-1][2], b1)
        else:
            spans.append((a0, a1, b0, b1))
    return spans


def one_edit_apart(a: Sequence[str], b: Sequence[str], config: DedupConfig) -> int | None:
    """The words replaced between two word sequences when they differ in at most `max_spans`
    edits, share at least `min_shared` of the longer one's words and replace at most
    `max_replaced` of them (added or removed words are not replacements: a copy may add or drop a
    whole sentence); None when they do not. The same answer whichever of the two comes first."""
    a, b = sorted((list(a), list(b)), key=lambda words: (len(words), words))
    spans = difference_spans(a, b, config.span_gap)
    # a phrase reworded the same way wherever the review repeats it is one edit; a single word
    # swapped the same way in several places is not (that is a sibling naming another product)
    edits = {
        (tuple(a[a0:a1]), tuple(b[b0:b1])) if max(a1 - a0, b1 - b0) > 1 else k
        for k, (a0, a1, b0, b1) in enumerate(spans)
    }
    longer = max(len(b), 1)
    shared = len(b) - sum(b1 - b0 for _, _, b0, b1 in spans)
    replaced = sum(min(a1 - a0, b1 - b0) for a0, a1, b0, b1 in spans)
    close = (
        len(edits) <= config.max_spans
        and shared >= config.min_shared * longer
        and replaced <= config.max_replaced * longer
    )
    return replaced if close else None


@njit(cache=True, nogil=True)
def _close_pairs(
    band: np.ndarray,
    key: np.ndarray,
    pos: np.ndarray,
    sig_row: np.ndarray,
    table: np.ndarray,
    first: int,
    n: int,
    lowest: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (row, earlier row, similarity) pairs, by row, of the chunk's
    rows (positions `first`..`first + n - 1`) with every earlier entry of a band bucket they share,
    at or above `lowest`. Entries come sorted by band, key and position; `sig_row` points into
    `table` (the chunk's signatures first, one per row)."""
    total = len(band)
    # each chunk row's entries, by the bucket (run of equal band and key) they open
    bucket_start = np.empty(total, dtype=np.int64)
    start = 0
    for i in range(total):
        if i > 0 and (band[i] != band[i - 1] or key[i] != key[i - 1]):
            start = i
        bucket_start[i] = start
    entries_of = np.argsort(pos, kind="mergesort")  # stable: a row's entries stay in bucket order
    lo = np.searchsorted(pos[entries_of], np.arange(first, first + n))
    hi = np.searchsorted(pos[entries_of], np.arange(first, first + n), side="right")
    seen = np.full(first + n, -1, dtype=np.int64)
    num_perm = table.shape[1]
    out_rows, out_others, out_sims = [0], [0], [0.0]  # typed by their first items, dropped below
    for r in range(n):
        row = first + r
        for j in range(lo[r], hi[r]):
            entry = entries_of[j]
            for m in range(bucket_start[entry], entry):  # the bucket's earlier positions
                other = pos[m]
                if seen[other] == row:
                    continue
                seen[other] = row
                same = 0
                for p in range(num_perm):
                    same += table[r, p] == table[sig_row[m], p]
                value = same / num_perm
                if value >= lowest:
                    out_rows.append(row)
                    out_others.append(other)
                    out_sims.append(value)
    return (
        np.array(out_rows[1:], dtype=np.int64),
        np.array(out_others[1:], dtype=np.int64),
        np.array(out_sims[1:]),
    )


@dataclass(frozen=True)
class Match:
    kind: str  # "exact" or "near"
    kept_position: int  # position (order of arrival) of the kept row it duplicates
    similarity: float


@dataclass
class DuplicateIndex:
    """The rows kept so far, for exact and near-duplicate look-ups in arrival order."""

    config: DedupConfig
    exact: dict[int, int] = field(default_factory=dict)  # normalised-text hash -> kept position
    keys: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"band": pl.Int32, "key": pl.UInt64, "kept": pl.Int64})
    )
    sigs: dict[int, np.ndarray] = field(default_factory=dict)  # kept position -> signature
    words: dict[int, int] = field(default_factory=dict)  # kept position -> words (length tiers only)
    tokens: dict[int, list[str]] = field(default_factory=dict)  # kept position -> words (verify only)
    # sentence hash -> kept positions holding it, at most sentence_bucket + 1 (sentence_candidates)
    sentences: dict[int, list[int]] = field(default_factory=dict)
    size: int = 0  # rows processed (positions are 0..size-1)
    touched: int = 0  # rows processed (their shingles and signatures were computed)

    def add_chunk(
        self, texts: pl.Series, partitions: pl.Series | None = None, limit: int | None = None
    ) -> list[Match | None]:
        """Decide for each text, in order, whether it duplicates an earlier kept row; keep the others.

        `partitions` (optional, one value per text) limits duplicates to rows of the same value.
        With `limit`, processing stops right after the `limit`-th kept row: the returned list then
        covers only the rows processed, and the rest of the chunk leaves no trace in the index.
        """
        n = len(texts)
        positions = np.arange(self.size, self.size + n)
        digests, sigs = sketches(texts, self.config)
        # a partition's hash is folded into every key, so rows of different partitions never meet
        salt = hash_strings(partitions) if partitions is not None else np.zeros(n, dtype=np.uint64)
        exact_hashes = (digests ^ salt).tolist() if self.config.exact else [None] * n
        keys = band_keys(sigs, *self.config.bands) ^ salt[:, None] if sigs is not None else None
        candidates = self._candidates(keys, sigs, positions) if keys is not None else {}
        verify = sigs is not None and self.config.verify != "off"
        tiered = sigs is not None and (self.config.length_thresholds or verify)
        counts = word_counts(texts).tolist() if tiered else None
        tokens = [text.split() for text in normalise(texts).to_list()] if verify else None
        keys_of = sentence_keys(texts, salt) if verify and self.config.sentence_candidates else None
        results: list[Match | None] = []
        new_keys: list[int] = []
        kept = 0
        for i, position in enumerate(positions.tolist()):
            if limit is not None and kept >= limit:
                break
            words = counts[i] if counts is not None else None
            row_tokens = tokens[i] if tokens is not None else None
            short = keys_of is not None and words < self.config.verify_below
            shared = self._sharing(keys_of[i]) if short else {}
            results.append(
                self._decide(i, position, exact_hashes[i], sigs, candidates, words, row_tokens, shared)
            )
            if results[-1] is None and keys_of is not None:
                self._remember_sentences(position, keys_of[i], words)
            if results[-1] is None:
                kept += 1
                if sigs is not None:
                    new_keys.append(i)
        processed = len(results)
        self.size += processed
        self.touched += processed
        if keys is not None and new_keys:
            self.keys = pl.concat([self.keys, _key_frame(keys[new_keys], positions[new_keys])])
        return results

    def _decide(
        self,
        i: int,
        position: int,
        digest: int | None,
        sigs: np.ndarray | None,
        candidates: dict[int, list[tuple[int, float]]],
        words: int | None,
        tokens: list[str] | None,
        shared: dict[int, None],
    ) -> Match | None:
        """One row: an exact or near duplicate of a kept row, or kept (and remembered)."""
        if digest is not None and digest in self.exact:
            return Match("exact", self.exact[digest], 1.0)
        if sigs is not None:
            found = dict(candidates.get(position, ()))
            for kept in shared:  # kept rows sharing a sentence, whatever their similarity
                if kept not in found:
                    found[kept] = float(np.count_nonzero(sigs[i] == self.sigs[kept])) / sigs.shape[1]
            best = self._best_near(found, words, tokens, shared)
            if best is not None:
                return best
            self.sigs[position] = sigs[i]
            if words is not None:
                self.words[position] = words
            if tokens is not None:
                self.tokens[position] = tokens
        if digest is not None:
            self.exact[digest] = position
        return None

    def _candidates(
        self, keys: np.ndarray, sigs: np.ndarray, positions: np.ndarray
    ) -> dict[int, list[tuple[int, float]]]:
        """Per new row: earlier rows (kept before, or earlier in this chunk) sharing a band key, with
        their estimated similarity, only those at or above the lowest threshold in use.

        A low threshold bands into many short bands, and templated texts then share a band with
        hundreds of rows each: the pairs are walked in compiled code, each one compared once, and
        only the close ones are kept (listing every band's pairs first took gigabytes).
        """
        n, bands = keys.shape
        # only the earlier entries of buckets the chunk has: the index may hold many chunks' worth
        chunk_buckets = _key_frame(keys, positions).select("band", "key").unique()
        earlier = self.keys.join(chunk_buckets, on=["band", "key"], how="semi").sort("kept")
        kept_positions = np.unique(earlier["kept"].to_numpy())
        table = np.vstack([sigs, *(self.sigs[int(k)][None] for k in kept_positions)])
        entry_band = np.concatenate(
            [earlier["band"].to_numpy(), np.tile(np.arange(bands, dtype=np.int32), n)]
        )
        entry_key = np.concatenate([earlier["key"].to_numpy(), keys.reshape(-1)])
        entry_pos = np.concatenate([earlier["kept"].to_numpy(), np.repeat(positions.astype(np.int64), bands)])
        # an earlier row's signature sits after the chunk's own, in position order
        entry_sig = np.concatenate(
            [n + np.searchsorted(kept_positions, earlier["kept"].to_numpy()), np.repeat(np.arange(n), bands)]
        )
        order = np.lexsort((entry_pos, entry_key, entry_band))
        lowest = min([self.config.threshold, *(t for _, t in self.config.length_thresholds)])
        rows, others, similarity = _close_pairs(
            entry_band[order],
            entry_key[order],
            entry_pos[order],
            entry_sig[order],
            table,
            self.size,
            n,
            lowest,
        )
        by_pair = np.lexsort((others, rows))
        rows, others, similarity = rows[by_pair], others[by_pair], similarity[by_pair]
        grouped: dict[int, list[tuple[int, float]]] = {}
        for row, kept, value in zip(rows.tolist(), others.tolist(), similarity.tolist(), strict=True):
            grouped.setdefault(row, []).append((kept, value))
        return grouped

    def _sharing(self, keys: list[int]) -> dict[int, None]:
        """Kept rows sharing one of these sentences, in order of their position, leaving out
        sentences held by more than `sentence_bucket` kept rows."""
        cap = self.config.sentence_bucket
        buckets = (self.sentences.get(key, ()) for key in keys)
        return dict.fromkeys(sorted({kept for bucket in buckets if len(bucket) <= cap for kept in bucket}))

    def _remember_sentences(self, position: int, keys: list[int], words: int) -> None:
        # a longer kept row can never share min_shared of its words with a text under verify_below
        if words * self.config.min_shared >= self.config.verify_below:
            return
        for key in keys:
            bucket = self.sentences.setdefault(key, [])
            if len(bucket) <= self.config.sentence_bucket:  # one over the cap marks it as too common
                bucket.append(position)

    def _best_near(
        self,
        candidates: dict[int, float],
        words: int | None,
        tokens: list[str] | None,
        shared: dict[int, None],
    ) -> Match | None:
        """The kept candidate that passes its threshold (a candidate sharing a sentence needs none)
        and, for short pairs, the verifier with the fewest replaced words; among equals the most
        similar, then the earliest kept row. A short copy can be one edit from several kept rows
        (a sentence left after a removal may stand in another review too); its own original is
        then the one it changed least."""
        best: tuple[int, int, int, float] | None = None  # (replaced, order, kept, similarity)
        ranked = sorted(candidates.items(), key=lambda pair: (-pair[1], pair[0]))
        for order, (kept, similarity) in enumerate(ranked):
            if kept not in self.sigs:  # rows dropped earlier in this chunk are not in sigs
                continue
            shorter = None if words is None else min(words, self.words[kept])
            threshold = self.config.threshold if shorter is None else self.config.threshold_for(shorter)
            if similarity < threshold and kept not in shared:
                continue
            checked = tokens is not None and shorter is not None and shorter < self.config.verify_below
            replaced = one_edit_apart(tokens, self.tokens[kept], self.config) if checked else 0
            if replaced is not None and (best is None or (replaced, order) < best[:2]):
                best = (replaced, order, kept, similarity)
            if best is not None and best[0] == 0:  # nothing comes closer
                break
        return None if best is None else Match("near", best[2], best[3])


def _key_frame(keys: np.ndarray, positions: np.ndarray) -> pl.DataFrame:
    n, bands = keys.shape
    return pl.DataFrame(
        {
            "band": np.tile(np.arange(bands, dtype=np.int32), n),
            "key": keys.reshape(-1),
            "kept": np.repeat(positions.astype(np.int64), bands),
        }
    )
