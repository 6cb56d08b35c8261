"""Near-duplicate detection on review-length text: recall per kind of edit and precision against
unrelated reviews that share a template, per shingle setting, threshold and length (not a test;
prints a Markdown report).

The labelled set is `review_copies.families`: per length band (15-20, 20-40, 40-80 words), families
of three unrelated reviews that share their sentence templates, and four copies of one of them (one
phrase reworded, a sentence added, a sentence removed, case and punctuation changed). The originals
go into ecbuild's `DuplicateIndex` first, in random order, then the copies. Recall counts a copy
as found when it is matched to its own original. Precision three ways (docs/benchmarks.md): strict
(a flag is right only for a copy matched to its own original), "original or its copy" (also a copy
matched to another copy of its original; the target is judged on this one) and drop-correctness
(the dropped row is a copy, whatever it was matched to; the count beside it is the originals
dropped, rows wrongly lost).

Two grids, on the tuning seed: shingle Jaccard alone (one threshold decides), and the span verifier
(`verify = "spans"`: the threshold only selects candidate pairs, the word alignment decides). Then
the chosen settings on a held-out seed (`--seed` + 1), all bands at once, with their cost, for
each sentence-bucket cap in `--caps`.

    python benchmarks/near_dup_short.py [--families 1000] [--seed 1] [--chosen-only] [--verify-only]
        [--caps 1 2 4 8 32]
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
from review_copies import BUCKETS, EDITS, Doc, families

from ecinstruct_builder.clean.dedup import DedupConfig, DuplicateIndex

SHINGLES = (("word", 2), ("word", 3), ("char", 6))
THRESHOLDS = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)
# the verifier grid: candidate floors and span gaps, every pair verified (verify_below above 80)
VERIFY_SHINGLES = (("word", 3), ("char", 6))
FLOORS = (0.25, 0.3, 0.4)
GAPS = (2, 3)
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


def labelled(count: int, seed: int, bands: tuple[tuple[int, int], ...]) -> list[Doc]:
    """Originals of every band in random order, then the copies in random order."""
    rng = np.random.default_rng(seed)
    originals: list[Doc] = []
    copies: list[Doc] = []
    for k, (low, high) in enumerate(bands):
        o, c = families(count, low, high, seed * 100 + k)
        offset = k * count  # families of different bands are different families
        originals += [Doc(d.text, d.family + offset, d.member, d.edit, d.words) for d in o]
        copies += [Doc(d.text, d.family + offset, d.member, d.edit, d.words) for d in c]
    return [originals[i] for i in rng.permutation(len(originals))] + [
        copies[i] for i in rng.permutation(len(copies))
    ]


def decide(docs: list[Doc], config: DedupConfig) -> tuple[list, float]:
    """The index's decision for every doc, in order, and the seconds it took."""
    index = DuplicateIndex(config)
    began = time.perf_counter()
    matches = index.add_chunk(pl.Series([d.text for d in docs], dtype=pl.String))
    return matches, time.perf_counter() - began


def tally(docs: list[Doc], matches: list, seconds: float, low: int = 0, high: int = 10**9) -> Score:
    """Recall per edit and precision, counted on the docs from reviews of [low, high) words."""
    found = dict.fromkeys(EDITS, 0)
    total = dict.fromkeys(EDITS, 0)
    flagged = false = family_false = originals = 0
    for doc, match in zip(docs, matches, strict=True):
        if not low <= doc.words < high:
            continue
        if doc.edit:
            total[doc.edit] += 1
        if match is None:
            continue
        flagged += 1
        kept = docs[match.kept_position]
        if doc.edit and (kept.family, kept.member, kept.edit) == (doc.family, 0, ""):
            found[doc.edit] += 1
        else:
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


def grid(args: argparse.Namespace, header: str, rule: str, verify: bool) -> None:
    """One table per length band, on the tuning seed."""
    for low, high in BUCKETS:
        docs = labelled(args.families, args.seed, ((low, high),))
        kind = "span verifier, every pair verified" if verify else "shingle Jaccard alone"
        print(f"\n#### {low}-{high} words, {kind}: {len(docs):,} reviews\n")
        print(("| shingles, candidate floor, span gap " if verify else "| shingles, threshold ") + header)
        print(rule)
        settings = (
            [
                (
                    f"{unit} {n}-grams, {floor}, {gap}",
                    DedupConfig(
                        unit=unit, ngram=n, threshold=floor, verify="spans", verify_below=1000, span_gap=gap
                    ),
                )
                for unit, n in VERIFY_SHINGLES
                for floor in FLOORS
                for gap in GAPS
            ]
            if verify
            else [
                (f"{unit} {n}-grams, {threshold}", DedupConfig(unit=unit, ngram=n, threshold=threshold))
                for unit, n in SHINGLES
                for threshold in THRESHOLDS
            ]
        )
        for label, config in settings:
            print(row(label, score(docs, config)), flush=True)


def tiers(config: DedupConfig) -> str:
    text = ", ".join(f"< {w} words: {t}" for w, t in config.length_thresholds)
    return f"{config.unit} {config.ngram}-grams, {text}, else {config.threshold}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000, help="families per length band")
    parser.add_argument("--seed", type=int, default=1, help="the tuning seed; seed + 1 is held out")
    parser.add_argument("--chosen-only", action="store_true", help="skip the grids, run the chosen settings")
    parser.add_argument("--verify-only", action="store_true", help="skip the shingle-Jaccard grid")
    parser.add_argument(
        "--caps",
        type=int,
        nargs="*",
        default=[1, 2, 4, 8, 32],
        help="sentence bucket caps to run (chosen table; the recipes use 2)",
    )
    args = parser.parse_args()
    header = (
        "| "
        + " | ".join(f"recall, {edit}" for edit in EDITS)
        + " | strict precision (false / flagged) | precision, original or its copy (false)"
        + " | drop-correctness (originals dropped) |"
    )
    rule = "|---" * (len(EDITS) + 4) + "|"
    if not args.chosen_only:
        if not args.verify_only:
            grid(args, header, rule, verify=False)
        grid(args, header, rule, verify=True)
    docs = labelled(args.families, args.seed + 1, BUCKETS)
    print(f"\n### The chosen settings on all lengths at once: {len(docs):,} reviews (seed {args.seed + 1})\n")
    print("| setting " + header + " docs/s |")
    print(rule + "---|")
    DuplicateIndex(CHOSEN).add_chunk(pl.Series(["warm up the compiled kernels"]))
    verified = f"{tiers(CHOSEN)}, span verifier below {CHOSEN.verify_below} words"
    sentences = [
        (f"{verified}, sentence candidates, bucket cap {cap}", replace(CHOSEN, sentence_bucket=cap))
        for cap in args.caps
    ]
    for label, config in (
        *sentences,
        (f"{verified} (no sentence candidates)", replace(CHOSEN, sentence_candidates=False)),
        (f"{tiers(PREVIOUS)} (before the verifier)", PREVIOUS),
        ("word 3-grams, 0.8 everywhere (first)", DedupConfig(unit="word", ngram=3, threshold=0.8)),
    ):
        matches, seconds = decide(docs, config)
        print(row(label, tally(docs, matches, seconds)) + f" {len(docs) / seconds:,.0f} |")
        for low, high in BUCKETS:
            print(row(f"... of which {low}-{high} words", tally(docs, matches, seconds, low, high)) + " |")


if __name__ == "__main__":
    main()
