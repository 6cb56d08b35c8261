"""Near-duplicate detection on review-length text: recall per kind of edit and precision against
unrelated reviews that share a template, per shingle setting, threshold and length (not a test;
prints a Markdown report).

The labelled set is `review_copies.labelled_set`: per length band (15-20, 20-40, 40-80 words),
families of three unrelated reviews that share their sentence templates, and four copies of one of
them (one phrase reworded, a sentence added, a sentence removed, case and punctuation changed); no
two families share a sentence, except in the stock families, whose members each also say one stock
sentence ("Love it."), reported apart. The originals go into ecbuild's `DuplicateIndex` first, in
random order, then the copies. Recall counts a copy as found when it is matched to its own
original. Precision three ways (docs/benchmarks.md): strict (a flag is right only for a copy
matched to its own original), "original or its copy" (also a copy matched to another copy of its
original; the target is judged on this one) and drop-correctness (the dropped row is a copy,
whatever it was matched to; the count beside it is the originals dropped, rows wrongly lost). In
all three a flag whose two texts are equal after normalisation is right, whatever their families.

Two grids, on the tuning seed: shingle Jaccard alone (one threshold decides), and the span verifier
around the chosen setting, one key changed at a time (`verify = "spans"`: the threshold only selects
candidate pairs, the word alignment decides). Then the chosen settings on a held-out seed
(`--seed` + 1), all bands at once, with their cost.

    python benchmarks/near_dup_short.py [--families 1000] [--stock-families 500] [--seed 1]
        [--chosen-only] [--verify-only]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # review_copies beside this file
from review_copies import BUCKETS, EDITS, Doc, labelled_set, sentence_key

from ecinstruct_builder.clean.dedup import DedupConfig, DuplicateIndex

SHINGLES = (("word", 2), ("word", 3), ("char", 6))
THRESHOLDS = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)
# the recipes' setting for reviews and answers (SA, AP, AG)
CHOSEN = DedupConfig(
    unit="word",
    ngram=3,
    threshold=0.8,
    length_thresholds=((40, 0.4), (80, 0.65)),
    verify="spans",
    sentence_candidates=True,
    sentence_bucket=2,
)
# the setting before the verifier
PREVIOUS = DedupConfig(unit="word", ngram=3, threshold=0.8, length_thresholds=((40, 0.8), (80, 0.65)))


@dataclass
class Score:
    recall: dict[str, float]  # per edit
    precision: float  # strict: a copy matched to its own original
    flagged: int
    false: int
    family_false: int  # flags other than a copy matched to its original or to another copy of it
    originals: int  # of the false flags, reviews that are no copy at all (wrongly dropped rows)
    seconds: float


def labelled(count: int, seed: int, bands: tuple[tuple[int, int], ...], stock: int) -> list[Doc]:
    """Originals of every band in random order, then the copies in random order."""
    rng = np.random.default_rng(seed)
    drawn = labelled_set(count, stock, bands, seed)
    originals, copies = drawn.originals, drawn.copies
    print(f"\n(seed {seed}: {drawn.redrawn:,} sentence templates drawn again, their filling already written)")
    return [originals[i] for i in rng.permutation(len(originals))] + [
        copies[i] for i in rng.permutation(len(copies))
    ]


def decide(docs: list[Doc], config: DedupConfig) -> tuple[list, float]:
    """The index's decision for every doc, in order, and the seconds it took."""
    index = DuplicateIndex(config)
    began = time.perf_counter()
    matches = index.add_chunk(pl.Series([d.text for d in docs], dtype=pl.String))
    return matches, time.perf_counter() - began


def tally(
    docs: list[Doc], matches: list, seconds: float, low: int = 0, high: int = 10**9, stock: bool | None = None
) -> Score:
    """Recall per edit and precision, counted on the docs from reviews of [low, high) words (and of
    stock families only, or of the others only, when `stock` is given). A flag whose dropped and
    kept texts are the same after normalisation is right whatever their families: the one is a
    copy of the other."""
    found = dict.fromkeys(EDITS, 0)
    total = dict.fromkeys(EDITS, 0)
    flagged = false = family_false = originals = 0
    for doc, match in zip(docs, matches, strict=True):
        if not low <= doc.words < high or stock not in (None, doc.stock):
            continue
        if doc.edit:
            total[doc.edit] += 1
        if match is None:
            continue
        flagged += 1
        kept = docs[match.kept_position]
        if doc.edit and (kept.family, kept.member, kept.edit) == (doc.family, 0, ""):
            found[doc.edit] += 1
        elif sentence_key(doc.text) != sentence_key(kept.text):
            false += 1
            originals += not doc.edit
            family_false += not (doc.edit and (kept.family, kept.member) == (doc.family, 0))
    recall = {edit: found[edit] / total[edit] if total[edit] else float("nan") for edit in EDITS}
    precision = (flagged - false) / flagged if flagged else 1.0
    return Score(recall, precision, flagged, false, family_false, originals, seconds)


def score(docs: list[Doc], config: DedupConfig) -> Score:
    return tally(docs, *decide(docs, config))


def row(label: str, s: Score) -> str:
    recalls = " | ".join(f"{s.recall[edit]:.3f}" for edit in EDITS)
    family = (s.flagged - s.family_false) / s.flagged if s.flagged else 1.0
    dropped = (s.flagged - s.originals) / s.flagged if s.flagged else 1.0
    return (
        f"| {label} | {recalls} | {s.precision:.4f} ({s.false}/{s.flagged}) | {family:.4f} "
        f"({s.family_false}) | {dropped:.4f} ({s.originals}) |"
    )


def in_band(docs: list[Doc], low: int, high: int) -> list[Doc]:
    return [doc for doc in docs if low <= doc.words < high]


def jaccard_grid(tuning: list[Doc], header: str, rule: str) -> None:
    """Shingle Jaccard alone, one table per length band, on the tuning seed."""
    for low, high in BUCKETS:
        docs = in_band(tuning, low, high)
        print(f"\n#### {low}-{high} words, shingle Jaccard alone: {len(docs):,} reviews\n")
        print("| shingles, threshold " + header)
        print(rule)
        for unit, n in SHINGLES:
            for threshold in THRESHOLDS:
                config = DedupConfig(unit=unit, ngram=n, threshold=threshold)
                print(row(f"{unit} {n}-grams, {threshold}", score(docs, config)), flush=True)


def verifier_settings(high: int) -> list[tuple[str, DedupConfig]]:
    """The chosen setting and, one key at a time, its neighbours, with the span verifier on for
    reviews under `high` words (the chosen setting verifies under 40 only)."""
    below = max(high, CHOSEN.verify_below)

    def floored(floor: float) -> tuple[tuple[int, float], ...]:  # `floor` under `below` words
        return ((below, floor), *((w, t) for w, t in CHOSEN.length_thresholds if w > below))

    base = replace(CHOSEN, verify_below=below, length_thresholds=floored(0.4))
    out = [("the recipes' setting", CHOSEN)] if base != CHOSEN else []
    out.append((f"verifier below {below} words" if base != CHOSEN else "the recipes' setting", base))
    out += [
        (f"candidate floor {floor}", replace(base, length_thresholds=floored(floor))) for floor in (0.3, 0.5)
    ]
    out += [("char 6-grams", replace(base, unit="char", ngram=6))]
    out += [(f"span_gap {gap}", replace(base, span_gap=gap)) for gap in (2, 4)]
    out += [("max_spans 2", replace(base, max_spans=2))]
    out += [(f"max_replaced {share}", replace(base, max_replaced=share)) for share in (0.1, 0.3)]
    out += [(f"min_shared {share}", replace(base, min_shared=share)) for share in (0.2, 0.5)]
    out += [(f"sentence_bucket {cap}", replace(base, sentence_bucket=cap)) for cap in (1, 4, 8)]
    out += [("no sentence candidates", replace(base, sentence_candidates=False))]
    return out


def verifier_grid(tuning: list[Doc], header: str, rule: str) -> None:
    """The span verifier's keys around the chosen setting, one table per length band, on the
    tuning seed."""
    for low, high in BUCKETS:
        docs = in_band(tuning, low, high)
        print(f"\n#### {low}-{high} words, span verifier: {len(docs):,} reviews\n")
        print("| setting (one key changed) " + header)
        print(rule)
        for label, config in verifier_settings(high):
            print(row(label, score(docs, config)), flush=True)


def tiers(config: DedupConfig) -> str:
    text = ", ".join(f"< {w} words: {t}" for w, t in config.length_thresholds)
    return f"{config.unit} {config.ngram}-grams, {text}, else {config.threshold}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000, help="families per length band")
    parser.add_argument(
        "--stock-families", type=int, help="stock-sentence families per band (default: half of --families)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the tuning seed; seed + 1 is held out")
    parser.add_argument("--chosen-only", action="store_true", help="skip the grids, run the chosen settings")
    parser.add_argument("--verify-only", action="store_true", help="skip the shingle-Jaccard grid")
    args = parser.parse_args()
    if args.stock_families is None:
        args.stock_families = args.families // 2
    header = (
        "| "
        + " | ".join(f"recall, {edit}" for edit in EDITS)
        + " | strict precision (false / flagged) | precision, original or its copy (false)"
        + " | drop-correctness (originals dropped) |"
    )
    rule = "|---" * (len(EDITS) + 4) + "|"
    if not args.chosen_only:
        tuning = labelled(args.families, args.seed, BUCKETS, args.stock_families)
        if not args.verify_only:
            jaccard_grid(tuning, header, rule)
        verifier_grid(tuning, header, rule)
    docs = labelled(args.families, args.seed + 1, BUCKETS, args.stock_families)
    print(f"\n### The chosen settings on all lengths at once: {len(docs):,} reviews (seed {args.seed + 1})\n")
    print("| setting " + header + " docs/s |")
    print(rule + "---|")
    DuplicateIndex(CHOSEN).add_chunk(pl.Series(["warm up the compiled kernels"]))
    verified = f"{tiers(CHOSEN)}, span verifier below {CHOSEN.verify_below} words"
    for label, config in (
        (f"{verified}, sentence candidates, bucket cap {CHOSEN.sentence_bucket} (chosen)", CHOSEN),
        (f"{verified} (no sentence candidates)", replace(CHOSEN, sentence_candidates=False)),
        (f"{tiers(PREVIOUS)} (before the verifier)", PREVIOUS),
        ("word 3-grams, 0.8 everywhere (first)", DedupConfig(unit="word", ngram=3, threshold=0.8)),
    ):
        matches, seconds = decide(docs, config)
        print(row(label, tally(docs, matches, seconds)) + f" {len(docs) / seconds:,.0f} |")
        for low, high in BUCKETS:
            band = f"... {low}-{high} words"
            print(row(band, tally(docs, matches, seconds, low, high)) + " |")
            print(row(f"{band}, stock families only", tally(docs, matches, seconds, low, high, True)) + " |")


if __name__ == "__main__":
    main()
