import polars as pl

from ecinstruct_builder.config import task_config
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.tasks.sa import SENTIMENT_OPTIONS, SentimentAnalysis

TEN_WORDS = "one two three four five six seven eight nine ten"


def build(rows: list[dict], **params) -> pl.DataFrame:
    reviews = pl.DataFrame(rows, schema=Amazon2018.tables["amazon2018_reviews"])
    builder = SentimentAnalysis()
    return builder.build(
        {"amazon2018_reviews": reviews.lazy()}, task_config(builder, params), seed=1
    ).collect()


def review(line: int, overall: float | None, text: str | None = TEN_WORDS, asin: str = "B01") -> dict:
    return {
        "category": "Electronics",
        "asin": asin,
        "reviewer_id": "U1",
        "overall": overall,
        "review_text": text,
        "line": line,
    }


def test_star_ratings_map_to_options_five_to_a_one_to_e():
    out = build([review(i, float(stars)) for i, stars in enumerate([5, 4, 3, 2, 1])])
    assert out["label"].to_list() == SENTIMENT_OPTIONS
    assert out["rating"].to_list() == [5, 4, 3, 2, 1]
    assert out["options"].to_list() == [SENTIMENT_OPTIONS] * 5


def test_reviews_without_text_or_a_whole_star_rating_are_not_candidates():
    out = build(
        [
            review(1, 5.0, "short reviews are left to the length filter"),
            review(2, None),
            review(3, 3.5),
            review(4, 4.0, None),
            review(5, 0.0),
            review(6, 6.0),
        ]
    )
    assert out["source_ids"].to_list() == [["Electronics:1"]]


def test_lineage_and_keys():
    row = build([review(7, 1.0, asin="B99")]).row(0, named=True)
    assert row["product_id"] == row["group_key"] == "B99"
    assert row["category"] == row["domain"] == "Electronics"
    assert row["content_key"] == TEN_WORDS
    assert row["official_split"] is None
    assert row["source"] == "amazon2018"


def test_candidate_ids_are_stable_and_distinct():
    rows = [review(1, 5.0), review(2, 5.0)]
    first, second = build(rows), build(rows)
    assert first["candidate_id"].to_list() == second["candidate_id"].to_list()
    assert first["candidate_id"].n_unique() == 2
