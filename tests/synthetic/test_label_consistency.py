"""The synthetic sources' text agrees with their labels: a review's tone with its stars, an ESCI
product's title with its judgement, an answerable question's snippets with its answer.

The generator writes from sentence templates, so a sentence's tone is known by the template it
matches; everything is read back from the files written, as the adapters see them.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import polars as pl
import pytest

from ecinstruct_builder.synthetic import generate
from ecinstruct_builder.synthetic import text as T


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic")
    generate(folder)
    return folder


def _template(sentence: str) -> re.Pattern[str]:
    # A placeholder stands for words within one sentence; case is ignored (edited copies lower-case).
    literal = [re.escape(part) for part in re.split(r"\{\w+\}", sentence)]
    return re.compile(r"[^.!?]*?".join(literal), re.IGNORECASE)


POSITIVE = [_template(s) for s in (*T.POSITIVE, *(s for n in (4, 5) for s in T.SHORT_REVIEWS[n]))]
NEGATIVE = [_template(s) for s in (*T.NEGATIVE, *(s for n in (1, 2) for s in T.SHORT_REVIEWS[n]))]
FOREIGN = {
    tone: {s for tones in T.FOREIGN_REVIEWS.values() for s in tones[tone]}
    for tone in ("positive", "neutral", "negative")
}


def _tone_errors(stars: int, review: str) -> list[str]:
    """What in `review` contradicts `stars`: praise under three stars or fewer, complaints over three."""
    praise = [p.pattern for p in POSITIVE if p.search(review)]
    complaints = [p.pattern for p in NEGATIVE if p.search(review)]
    foreign = {tone for tone, pool in FOREIGN.items() if any(s in review for s in pool)}
    errors = []
    if stars <= 3 and (praise or "positive" in foreign):
        errors.append(f"{stars} stars, praise: {praise or 'foreign'}")
    if stars >= 4 and (complaints or foreign & {"neutral", "negative"}):
        errors.append(f"{stars} stars, complaints: {complaints or 'foreign'}")
    if stars <= 2 and foreign & {"positive", "neutral"}:
        errors.append(f"{stars} stars, a foreign text that is not negative")
    return errors


def _records(lines: list[bytes]) -> list[dict]:
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:  # the planted broken lines
            continue
    return [r for r in records if isinstance(r, dict)]


def _reviews(path: Path) -> list[dict]:
    return [r for r in _records(gzip.decompress(path.read_bytes()).splitlines()) if "reviewText" in r]


def test_every_amazon2018_review_text_has_the_tone_of_its_rating(out: Path) -> None:
    files = sorted((out / "amazon2018").glob("*.json.gz"))
    reviews = [r for path in files if not path.name.startswith("meta_") for r in _reviews(path)]
    assert {int(r["overall"]) for r in reviews} == {1, 2, 3, 4, 5}
    # the test sees the tone: most reviews match a template of their side
    toned = [r for r in reviews if any(p.search(r["reviewText"]) for p in POSITIVE + NEGATIVE)]
    assert len(toned) > 0.8 * len(reviews)
    wrong = [(r["asin"], e) for r in reviews for e in _tone_errors(int(r["overall"]), r["reviewText"])]
    assert wrong == []


def test_copied_reviews_keep_the_rating_of_the_review_they_copy(out: Path) -> None:
    reviews = _reviews(out / "amazon2018" / "Electronics.json.gz")
    ratings: dict[str, set[float]] = {}
    for review in reviews:
        ratings.setdefault(review["reviewText"], set()).add(review["overall"])
    copied = [text for text, _ in ratings.items() if sum(r["reviewText"] == text for r in reviews) > 1]
    assert copied  # the quirk is there: exact copies of a review text
    assert {text: ratings[text] for text in copied if len(ratings[text]) > 1} == {}


def test_amazon2023_review_text_has_the_tone_of_its_rating(out: Path) -> None:
    reviews = [
        review
        for path in sorted((out / "amazon2023").glob("*.jsonl"))
        if not path.name.startswith("meta_")
        for review in _records(path.read_bytes().splitlines())
    ]
    assert reviews
    assert [e for r in reviews for e in _tone_errors(int(r["rating"]), r["text"])] == []


def _noun(title: str) -> str | None:
    """The catalogue noun a product title names: the first one in it (a part named after it, as in
    "Webcam with Charging Cable", may be a noun too)."""
    lower = title.lower()
    found = [(lower.find(n.lower()), -len(n), n) for v in T.CATEGORIES.values() for n in v.nouns]
    return min((f for f in found if f[0] >= 0), default=(0, 0, None))[2]


def test_every_us_esci_title_fits_its_label_for_the_query(out: Path) -> None:
    examples = pl.read_parquet(out / "esci" / "shopping_queries_dataset_examples.parquet")
    products = pl.read_parquet(out / "esci" / "shopping_queries_dataset_products.parquet")
    us = examples.filter(pl.col("product_locale") == "us").join(
        products, on=["product_locale", "product_id"], how="left"
    )
    category = {n: c for c, v in T.CATEGORIES.items() for n in v.nouns}
    wrong, checked = [], 0
    for (query_id,), rows in us.group_by(["query_id"], maintain_order=True):
        exact = rows.filter(pl.col("esci_label") == "E")["product_title"].to_list()
        nouns = {_noun(t) for t in exact} - {None}
        if len(nouns) != 1:  # a garbled title can hide the noun; such a query is not judged here
            continue
        (noun,) = nouns
        for label, title in rows.select("esci_label", "product_title").iter_rows():
            other = _noun(title)
            if other is None or "\ufffd" in title or "Ã" in title:
                continue
            checked += 1
            fits = {
                "E": other == noun,
                "S": other != noun and category[other] == category[noun],
                "C": "Replacement" in title and f"for {noun.title()}".lower() in title.lower(),
                "I": category[other] != category[noun],
            }[label]
            if not fits:
                wrong.append((query_id, label, title))
    assert checked > 500
    assert wrong == []


def test_answerable_questions_have_the_answer_in_a_snippet_and_the_others_none(out: Path) -> None:
    rows = [
        row
        for path in sorted((out / "amazonqa").glob("*-qar.jsonl"))
        for row in _records(path.read_bytes().splitlines())
        if "answers" in row
    ]
    assert {r["is_answerable"] for r in rows} == {0, 1}
    for row in rows:
        snippets = " ".join(row["review_snippets"])
        holds = [a["answerText"] in snippets for a in row["answers"]]
        assert holds[0] if row["is_answerable"] else not any(holds), row["qid"]
