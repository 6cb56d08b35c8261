"""The clean stage of one task wired into the splitter: rejects, decontamination, cost, selection."""

import numpy as np
import polars as pl
import pytest
from select_helpers import plain_selection

from ecinstruct_builder.clean.dedup import shingle_hashes, signatures
from ecinstruct_builder.clean.stage import REJECT_SCHEMA, TaskCleaner
from ecinstruct_builder.config import SplitConfig, TaskConfig, task_config
from ecinstruct_builder.select import select_rows
from ecinstruct_builder.tasks.base import CANDIDATE_SCHEMA, TaskBuilder

ITEMS = "kettle blender lamp backpack charger toaster vacuum speaker drill mug pan tent jacket mouse"
ADJECTIVES = "sturdy cheap quiet loud heavy light solid flimsy bright compact elegant reliable"
OWNERS = "wife son office kitchen garage brother mother dorm studio sister"
VERDICTS = [
    "works perfectly",
    "stopped working after a month",
    "arrived broken",
    "exceeded my expectations",
    "does the job",
    "feels cheaply made",
    "is easy to clean",
    "heats up quickly",
]
PARTS = (
    "the battery handle cable button screen lid switch cord box color size weight noise price warranty "
    "seller delivery manual plastic metal glass rubber surface corner edge strap pocket zipper wheel "
    "light sound power speed setting timer display remote filter motor blade bowl base stand"
)
GERMAN = (
    "Der Wasserkocher ist sehr leise und das Wasser kocht schnell, ich bin wirklich sehr zufrieden damit."
)
SPANISH = "La batidora funciona muy bien y es muy fácil de limpiar después de cada uso, la recomiendo."


class Reviews(TaskBuilder):
    abbr = "DU"
    name = "Dummy_Reviews"
    title = "Dummy Reviews"
    group = "test"
    tables = ()
    fields = {"review": pl.String}
    language_fields = ("review",)  # the language filter judges it by default

    def build(self, tables, recipe, seed):  # pragma: no cover - candidates are made by the tests
        raise NotImplementedError


def review(rng: np.random.Generator) -> str:
    """An invented English review; the ten random parts at the end keep unrelated reviews far apart."""
    return (
        f"I bought this {rng.choice(ADJECTIVES.split())} {rng.choice(ITEMS.split())} for my "
        f"{rng.choice(OWNERS.split())} and it {rng.choice(VERDICTS)}. "
        f"I also checked the {' '.join(rng.choice(PARTS.split(), size=10))}."
    )


def candidates(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """Candidates from (candidate id, review, product, category) tuples."""
    return pl.DataFrame(
        [
            {
                "candidate_id": cid,
                "source": "synthetic",
                "source_ids": [cid],
                "product_id": product,
                "category": category,
                "domain": category,
                "group_key": product,
                "content_key": text,
                "official_split": None,
                "label": "A",
                "options": [],
                "review": text,
            }
            for cid, text, product, category in rows
        ],
        schema={**CANDIDATE_SCHEMA, "review": pl.String},
    )


# the recipe-wide [filters] and [dedup] of the stage tests, written as the task's own overrides
TASK = {
    "filters": {"min_words": {"review": 5}, "language": {"engine": "fasttext", "languages": ["en"]}},
    "dedup": {"unit": "word", "ngram": 3},
    "ind_categories": ["Electronics", "Home"],
}


@pytest.fixture
def recipe():
    def make(sizes: dict | None = None) -> TaskConfig:
        return task_config(Reviews(), {**TASK, **({"sizes": sizes} if sizes else {})}, seed=1)

    return make


def select(config: TaskConfig, frame: pl.DataFrame) -> tuple[pl.DataFrame, TaskCleaner]:
    """What the build does for one task: prepare every candidate, then select with the expensive steps."""
    builder = Reviews()
    cleaner = TaskCleaner.for_task(builder, config, 1)
    selected, _ = select_rows(cleaner.prepare(frame), builder, config, 1, SplitConfig(), cleaner)
    return selected, cleaner


def rejects_by_id(cleaner: TaskCleaner) -> dict[str, dict]:
    frame = cleaner.rejects_frame()
    assert frame.schema == pl.Schema(REJECT_SCHEMA)
    return {row["candidate_id"]: row for row in frame.iter_rows(named=True)}


def test_cheap_filters_reject_with_task_stage_and_reason(recipe):
    rng = np.random.default_rng(1)
    frame = candidates(
        [
            ("good", "<p>" + review(rng) + "</p>", "p1", "Home"),
            ("short", "Nice lamp", "p2", "Home"),
            ("garbled", review(rng) + " \ufffd", "p3", "Home"),
            ("html", review(rng) + " &lt;br&gt;", "p4", "Home"),
            ("blank", "  <br/> ", "p5", "Home"),
            ("debris", '<span class="a-size-medium a-color-secondary"', "p6", "Home"),
            ("empty", "   ", "p7", "Home"),
        ]
    )
    cleaner = TaskCleaner.for_task(Reviews(), recipe(), 1)
    kept = cleaner.prepare(frame)
    assert kept["candidate_id"].to_list() == ["good"]
    assert not kept["review"][0].startswith("<p>")  # the cleaned text is what moves on
    rejects = rejects_by_id(cleaner)
    assert {cid: (r["stage"], r["reason"]) for cid, r in rejects.items()} == {
        "short": ("filter", "too_short:review"),
        "garbled": ("filter", "garbled:review:replacement_char"),
        "html": ("filter", "html:review"),
        "blank": ("filter", "markup_only:review"),
        "debris": ("filter", "markup_only:review"),  # a tag cut before its `>` is markup too
        "empty": ("filter", "empty:review"),
    }
    assert {r["task"] for r in rejects.values()} == {"Dummy_Reviews"}
    assert all(r["cluster_id"] is None and r["kept_id"] is None for r in rejects.values())
    assert [(s.step, s.rows) for s in cleaner.report().funnel] == [
        ("candidates", 7),
        ("filter:required", 4),
        ("filter:length", 3),
        ("filter:garbled", 2),
        ("filter:html", 1),
        ("filter:options", 1),
    ]


def test_duplicate_and_language_rejects_name_the_kept_row(recipe):
    rng = np.random.default_rng(2)
    original = review(rng) + " " + review(rng)
    words = original.split()
    near = " ".join([*words[:-3], "spare", *words[-2:]])  # one word of about 60 changed
    frame = candidates(
        [
            ("a-original", original, "p1", "Home"),
            ("b-exact", original.upper().replace(".", " !"), "p1", "Home"),
            ("c-near", near, "p1", "Home"),
            ("d-german", GERMAN, "p1", "Home"),
            ("e-other", review(rng), "p1", "Home"),
        ]
    )
    selected, cleaner = select(recipe(), frame)
    assert sorted(selected["candidate_id"]) == ["a-original", "e-other"]
    rejects = rejects_by_id(cleaner)
    exact, close, german = rejects["b-exact"], rejects["c-near"], rejects["d-german"]
    assert (exact["stage"], exact["reason"], exact["kept_id"], exact["cluster_id"], exact["similarity"]) == (
        "dedup",
        "duplicate:exact",
        "a-original",
        "DU-cluster-a-original",
        1.0,
    )
    assert (close["stage"], close["reason"], close["kept_id"], close["cluster_id"]) == (
        "dedup",
        "duplicate:near",
        "a-original",
        "DU-cluster-a-original",
    )
    assert 0.8 <= close["similarity"] < 1.0
    assert (german["stage"], german["reason"], german["kept_id"]) == ("filter", "language:review=de", None)
    assert {r["split"] for r in rejects.values()} == set(selected["split"])  # one product, one split
    report = cleaner.report()
    assert {(d.stage, d.reason): d.rows for d in report.dropped} == {
        ("dedup", "duplicate:exact"): 1,
        ("dedup", "duplicate:near"): 1,
        ("filter", "language:review=de"): 1,
    }


def test_texts_that_differ_only_in_markup_are_exact_duplicates(recipe):
    rng = np.random.default_rng(3)
    text = review(rng)
    first, second = text.split(". ", 1)
    frame = candidates(
        [
            ("a", f"{first}. {second}", "p1", "Home"),
            ("b", f"{first}.<br/><br/>{second}", "p1", "Home"),
            ("c", f"&quot;{first}.&quot;&nbsp;{second}", "p1", "Home"),
        ]
    )
    selected, cleaner = select(recipe(), frame)
    assert selected["candidate_id"].to_list() == ["a"]
    assert {cid: r["reason"] for cid, r in rejects_by_id(cleaner).items()} == {
        "b": "duplicate:exact",
        "c": "duplicate:exact",
    }


def corpus(n: int, seed: int, copies: int = 0, foreign: int = 0) -> pl.DataFrame:
    """`n` English reviews over 2 categories, one product each, plus `copies` verbatim or lightly
    edited copies on other products (so copies land in other splits) and `foreign` German and
    Spanish reviews."""
    rng = np.random.default_rng(seed)
    rows = [(f"r{i:05d}", review(rng), f"p{i}", ("Electronics", "Home")[i % 2]) for i in range(n)]
    for k in range(copies):
        _, text, _, category = rows[int(rng.integers(0, n))]
        if k % 2:
            text = text.replace(" the ", " the new ", 1)
        rows.append((f"c{k:05d}", text, f"q{k}", category))
    for k in range(foreign):
        rows.append(
            (f"f{k:05d}", (GERMAN, SPANISH)[k % 2] + f" {k}", f"f{k}", ("Electronics", "Home")[k % 2])
        )
    return candidates(rows)


def near_or_exact_pairs(evaluation: pl.DataFrame, train: pl.DataFrame, threshold: float) -> int:
    """Evaluation rows whose content is an exact duplicate (normalised) or whose estimated Jaccard
    with some train row reaches the threshold, computed afresh from the rows alone."""
    texts = pl.concat([train["content_key"], evaluation["content_key"]])
    hashes, offsets, digests = shingle_hashes(texts, "word", 3)
    sigs = signatures(hashes, offsets, 128, seed=1)
    train_sigs, eval_sigs = sigs[: train.height], sigs[train.height :]
    similarity = (eval_sigs[:, None, :] == train_sigs[None, :, :]).mean(axis=2)
    exact = np.isin(digests[train.height :], digests[: train.height])
    return int(np.sum(exact | (similarity.max(axis=1, initial=0.0) >= threshold)))


@pytest.mark.parametrize("sizes", [None, {"train": 300, "validation": 60, "test": 60}])
def test_no_evaluation_row_duplicates_a_train_row(recipe, sizes):
    frame = corpus(800, seed=4, copies=300)
    selected, cleaner = select(recipe(sizes), frame)
    train = selected.filter(pl.col("split") == "train")
    evaluation = selected.filter(pl.col("split") != "train")
    assert train.height and evaluation.height
    # LSH finds a pair right at the threshold with probability about 0.95 (16 bands of 8 rows), so
    # this is a measured property of this seeded set: with equal-weight banding (9 x 13) it failed
    assert near_or_exact_pairs(evaluation, train, threshold=0.8) == 0
    # ... and it is the decontamination that made it so: the planted copies did cross splits
    removed = cleaner.rejects_frame().filter(pl.col("stage") == "decontaminate")
    assert removed.height >= 10
    assert set(removed["reason"]) == {"contaminated:exact", "contaminated:near"}
    assert set(removed["split"]) <= {"validation", "test"}
    assert set(removed["kept_id"]) <= set(train["candidate_id"])


def test_rows_offered_past_the_quota_do_not_count_as_kept(recipe):
    frame = corpus(200, seed=8)
    everything, _ = select(recipe(), frame)
    home = everything.filter(pl.col("domain") == "Home").sort("bucket", "candidate_id")
    # a cap of 10 takes 5 Home train rows but offers more; the 6th is offered and not selected
    unselected = home.filter(pl.col("split") == "train").row(5, named=True)
    victim = home.filter(pl.col("split") == "validation").row(0, named=True)
    copied = frame.with_columns(
        pl.when(pl.col("candidate_id") == victim["candidate_id"])
        .then(pl.lit(unselected["review"]))
        .otherwise(pl.col(name))
        .alias(name)
        for name in ("review", "content_key")
    )
    selected, cleaner = select(recipe({"train": 10}), copied)
    assert unselected["candidate_id"] not in set(selected["candidate_id"])
    # the validation copy duplicates no selected train row, so it must stay
    assert victim["candidate_id"] in set(selected["candidate_id"])
    assert cleaner.rejects_frame().filter(pl.col("kept_id") == unselected["candidate_id"]).is_empty()


def test_expensive_steps_touch_about_the_rows_needed(recipe):
    frame = corpus(4000, seed=5, copies=40, foreign=40)
    selected, cleaner = select(recipe({"train": 200, "validation": 25, "test": 25}), frame)
    needed = 250
    assert selected.height == needed
    touched = cleaner.report().touched
    assert set(touched) == {"language", "dedup"}
    # quotas of 25 split over 2 categories are offered in chunks of at least 16 rows
    assert needed <= touched["dedup"] <= touched["language"] <= 1.3 * needed < frame.height / 10


def test_selection_equals_running_the_expensive_steps_on_every_row_first(recipe):
    frame = corpus(1500, seed=6, foreign=150)
    rng = np.random.default_rng(6)
    # copies on the same product stay in its split: duplicates the selection must skip over
    english = frame.filter(pl.col("candidate_id").str.starts_with("r"))
    copies = english.sample(200, seed=6).with_columns(
        candidate_id=pl.col("candidate_id") + "-copy",
        review=pl.col("review").str.to_uppercase(),
        content_key=pl.col("content_key").str.to_uppercase(),
    )
    frame = pl.concat([frame, copies]).sample(fraction=1.0, seed=int(rng.integers(0, 100)), shuffle=True)
    capped = recipe({"train": 120, "validation": 30, "test": 30})
    lazy, _ = select(capped, frame)

    # reference: the expensive steps on every candidate (no caps), then the caps on the survivors
    everything, _ = select(recipe(), frame)
    reference, _, _ = plain_selection(
        everything.select(frame.columns),
        Reviews(),
        sizes={"train": 120, "validation": 30, "test": 30},
        **TASK,
    )
    assert lazy.height == 180
    assert lazy.select("candidate_id", "split").equals(reference.select("candidate_id", "split"))
    assert not lazy["candidate_id"].str.starts_with("f").any()
    assert not lazy["candidate_id"].str.ends_with("-copy").any()


@pytest.mark.parametrize("text", ["cleaned", "raw"])
def test_language_filter_judges_the_text_before_cleaning_when_asked(monkeypatch, text):
    # a stand-in engine that calls a text German when it still holds the markup cleaning strips
    def detect(engine, seed):
        return lambda texts: [("de", 1.0) if "<b>" in t else ("en", 1.0) for t in texts]

    monkeypatch.setattr("ecinstruct_builder.clean.filters.detector", detect)
    rng = np.random.default_rng(3)
    rows = [(f"c{i}", ("<b>" if i % 2 else "") + review(rng), f"p{i}", "Home") for i in range(40)]
    language = {"engine": "langdetect", "min_words": 0, "min_confidence": 0.0, "text": text}
    config = task_config(Reviews(), {**TASK, "filters": {"language": language}}, seed=1)
    selected, cleaner = select(config, candidates(rows))
    assert not [c for c in selected.columns if c.startswith("_raw")]
    assert not selected["review"].str.contains("<b>").any()  # what is rendered is the cleaned text
    dropped = set(rejects_by_id(cleaner))
    assert dropped == ({f"c{i}" for i in range(1, 40, 2)} if text == "raw" else set())
