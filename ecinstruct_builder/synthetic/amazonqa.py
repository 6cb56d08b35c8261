"""AmazonQA: `amazonqa/{train,val,test}-qar.jsonl`, uncompressed JSON lines with every upstream field.

Splits are product-disjoint (each split draws its ASINs from its own id range). Rows come grouped by
category and product; questions repeat across rows (~7%), `is_answerable` is 0/1, and answers carry
`helpful` as [helpful votes, total votes], with total 0 on some.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import text
from .common import Profile, asin, binary_junk, dumps, power_law_int, record_sink, rng_for, truncated

CATEGORIES = (
    "Electronics",
    "Home_and_Kitchen",
    "Sports_and_Outdoors",
    "Tools_and_Home_Improvement",
    "Cell_Phones_and_Accessories",
)
SPLITS = ("train", "val", "test")
REAL_ROWS = {"train": 738_776, "val": 92_183, "test": 92_726}
# Upstream spreads rows over 17 categories; these five carry them all here, in similar proportions.
CATEGORY_SHARE = {
    "Electronics": 0.35,
    "Home_and_Kitchen": 0.22,
    "Sports_and_Outdoors": 0.14,
    "Tools_and_Home_Improvement": 0.12,
    "Cell_Phones_and_Accessories": 0.17,
}
DEMO_ROWS = {"train": 80, "val": 25, "test": 25}
# Demo files that need more rows: answer generation keeps only about half of the rows (descriptive,
# answerable, voted helpful) of its two training categories, and the out-of-domain category is read
# only from its test file.
DEMO_OVERRIDES = {
    ("train", "Electronics"): 105,
    ("train", "Home_and_Kitchen"): 105,
    ("test", "Cell_Phones_and_Accessories"): 45,
}
DESCRIPTIVE_SHARE = 0.85
ANSWERABLE_SHARE = 0.7
REPEAT_SHARE = 0.07
# Caps the long tail of questions per product: templates repeat when one product gets too many.
MAX_QUESTIONS_PER_PRODUCT = 30

PLANTED_BAD_LINES = {"amazonqa/train-qar.jsonl": 2}  # one truncated JSON line, one line of binary junk
_PLANT_AFTER = 13


def rows_for(profile: Profile, split: str, category: str) -> int:
    demo = DEMO_OVERRIDES.get((split, category), DEMO_ROWS[split])
    return profile.count(round(REAL_ROWS[split] * CATEGORY_SHARE[category]), demo)


def _answers(rng: random.Random, item: text.Product, question_type: str) -> list[dict[str, Any]]:
    answers = []
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
        answer, answer_type = text.answer_text(rng, item, question_type)
        total = 0 if rng.random() < 0.3 else power_law_int(rng, 4, 1.5, 900)
        helpful = total - rng.randint(0, total // 2)  # most voters find an answer helpful
        answers.append({"answerText": answer, "answerType": answer_type, "helpful": [helpful, total]})
    return answers


def _snippets(rng: random.Random, item: text.Product, profile: Profile, answer: str | None) -> list[str]:
    """Review chunks retrieved for the question; when it is answerable, one of them holds the answer."""
    count, words = ((2, 3), (12, 28)) if profile.is_demo else ((1, 10), (40, 100))
    snippets = [
        text.review_text(rng, item, rng.choice((5, 5, 4, 3, 1)), rng.randint(*words))
        for _ in range(rng.randint(*count))
    ]
    if answer is not None:
        slot = rng.randrange(len(snippets))
        snippets[slot] = f"{snippets[slot]} {answer}"
    return snippets


@dataclass
class _Questions:
    """Question texts of one category: recent ones (for deliberate repeats) and the current product's."""

    recent: deque[str] = field(default_factory=lambda: deque(maxlen=100))
    asked: set[str] = field(default_factory=set)  # by the current product

    def new_product(self) -> None:
        self.asked.clear()

    def next(self, rng: random.Random, item: text.Product) -> tuple[str, str]:
        question_type = "descriptive" if rng.random() < DESCRIPTIVE_SHARE else "yesno"
        if self.recent and rng.random() < REPEAT_SHARE:
            return rng.choice(self.recent), question_type
        question = text.question_text(rng, item, question_type)
        for _ in range(3):  # one shopper rarely asks what another just asked about the same product
            if question not in self.asked:
                break
            question = text.question_text(rng, item, question_type)
        self.asked.add(question)
        self.recent.append(question)
        return question, question_type


def row(
    rng: random.Random, profile: Profile, item: text.Product, product_id: str, qid: int, questions: _Questions
) -> dict[str, Any]:
    """One AmazonQA row (question, retrieved review snippets, answers, baseline fields)."""
    question, question_type = questions.next(rng, item)
    answers = _answers(rng, item, question_type)
    answerable = int(rng.random() < ANSWERABLE_SHARE)
    snippets = _snippets(rng, item, profile, answers[0]["answerText"] if answerable else None)
    sentences = [s.strip() + "." for snippet in snippets for s in snippet.split(".") if s.strip()]
    return {
        "asin": product_id,
        "category": item.category,
        "questionText": question,
        "questionType": question_type,
        "review_snippets": snippets,
        "answers": answers,
        "is_answerable": answerable,
        "qid": qid,
        "top_sentences_IR": sentences[:3],
        "top_review_wilson": snippets[:1],
        "top_review_helpful": snippets[-1:],
        "random_sentence": [rng.choice(sentences)],
    }


def write_split(out_dir: Path, profile: Profile, seed: int, progress: bool, split: str) -> tuple[str, int]:
    relative = f"amazonqa/{split}-qar.jsonl"
    rng = rng_for(seed, relative)
    plant = PLANTED_BAD_LINES.get(relative, 0)
    qid = SPLITS.index(split) * 10**9  # qids stay unique across the three files
    with record_sink(out_dir, relative, None, progress) as sink:
        for category in CATEGORIES:
            target = rows_for(profile, split, category)
            namespace = 600 + 10 * SPLITS.index(split) + CATEGORIES.index(category)
            questions = _Questions()
            written = product = 0
            # Upstream has ~6 questions per product; the demo spreads its rows over more products.
            per_product = 2.0 if profile.is_demo else 6.0
            while written < target:
                item = text.product(category, product, seed, namespace=f"amazonqa-{split}")
                product_id = asin(namespace, product, seed)
                questions.new_product()
                count = power_law_int(rng, per_product, 1.6, MAX_QUESTIONS_PER_PRODUCT)
                for _ in range(min(count, target - written)):
                    line = dumps(row(rng, profile, item, product_id, qid, questions))
                    sink.write(line)
                    qid += 1
                    written += 1
                    if plant and sink.rows == _PLANT_AFTER:
                        sink.write_bytes(truncated(line))
                        sink.write_bytes(binary_junk(rng))
                product += 1
    return relative, sink.rows


def write(out_dir: Path, profile: Profile, seed: int, progress: bool) -> dict[str, int]:
    """Write the three AmazonQA split files."""
    return dict(write_split(out_dir, profile, seed, progress, split) for split in SPLITS)
