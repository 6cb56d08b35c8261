"""What the language filter (English wanted) does to English catalogue text and to non-English
text, per engine and setting (not a test; prints a Markdown report).

The labelled set is `lang_catalogue.catalogue_texts`: English titles dominated by brand names,
model numbers and gift-card names, English shopping queries, German / French / Spanish / Italian
title snippets, English reviews and reviews in six other languages. Each engine labels every text
once; every (min_confidence, min_words) setting is then applied to those answers with the filter's
own decision functions (`judged`, `foreign`), so the table says what the shipped filter would do.

    python benchmarks/langid_scope.py [--texts 5000] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lang_catalogue beside this file
from lang_catalogue import KINDS, catalogue_texts

from ecinstruct_builder.clean.filters import Language, foreign, judged
from ecinstruct_builder.clean.langid import ENGINES, detector

MIN_CONFIDENCE = (0.5, 0.8, 0.9, 0.95)
MIN_WORDS = (1, 5, 6, 7, 8)
DEFAULTS = Language(fields=())


def detections(engine: str, texts: list[str]) -> tuple[list[tuple[str, float]], float] | None:
    """The engine's answer for every text and its texts per second (None if not installed)."""
    try:
        detect = detector(engine, seed=1)
        detect(texts[:1])  # load the model outside the timing
    except Exception as exc:  # an optional engine that is missing is reported, not fatal
        print(f"{engine}: not run ({exc})", file=sys.stderr)
        return None
    began = time.perf_counter()
    answers = detect(texts)
    return answers, len(texts) / (time.perf_counter() - began)


def shares(data: list[tuple[str, str, str]], answers: list[tuple[str, float]], conf: float, words: int):
    """Per kind, the share of texts the filter drops."""
    dropped = {kind: [0, 0] for kind in KINDS}
    for (kind, _, text), (lang, prob) in zip(data, answers, strict=True):
        drop = judged(text, DEFAULTS.min_chars, words) and foreign(lang, prob, ("en",), conf)
        dropped[kind][0] += drop
        dropped[kind][1] += 1
    return {kind: hit / total for kind, (hit, total) in dropped.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = catalogue_texts(args.texts, args.seed)
    texts = [text for _, _, text in data]
    counts = {kind: sum(k == kind for k, _, _ in data) for kind in KINDS}
    print(f"{len(data)} texts: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()) + "\n")
    print(
        "| engine | texts/s | min_confidence | min_words | English titles dropped | English queries "
        "dropped | non-English titles kept | English reviews dropped | non-English reviews removed |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for engine in ENGINES:
        found = detections(engine, texts)
        if found is None:
            continue
        answers, speed = found
        for conf in MIN_CONFIDENCE:
            for words in MIN_WORDS:
                s = shares(data, answers, conf, words)
                print(
                    f"| {engine} | {speed:,.0f} | {conf} | {words} | {s['english_title']:.2%} | "
                    f"{s['english_query']:.2%} | {1 - s['foreign_title']:.2%} | "
                    f"{s['english_review']:.2%} | {s['foreign_review']:.2%} |"
                )


if __name__ == "__main__":
    main()
