import json

import numpy as np
import polars as pl
import pytest

from ecinstruct_builder.config import task_config
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.sources.amazon2014 import Amazon2014
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.tasks.sr import (
    LETTERS,
    SequentialRecommendation,
    item_texts,
    ordinal,
    place_target,
    walk_negatives,
)
from ecinstruct_builder.templates import load_templates, render_fields

RATINGS = Amazon2018.tables["amazon2018_ratings"]
META18 = Amazon2018.tables["amazon2018_meta"]
META14 = Amazon2014.tables["amazon2014_meta"]


def rating(category: str, user: str, item: str, timestamp: int) -> dict:
    return {"category": category, "item": item, "user": user, "rating": 5.0, "timestamp": timestamp}


def ring(category: str, size: int = 25, per_user: int = 5) -> list[dict]:
    """User k rates items k..k+per_user-1 (mod size) in order: every user and item has per_user ratings."""
    prefix = category[0]
    return [
        rating(category, f"{prefix}U{u:02d}", f"{prefix}{(u + j) % size:02d}", 100 * u + j)
        for u in range(size)
        for j in range(per_user)
    ]


def meta(category: str, asin: str, title: str | None = None, line: int = 1, **fields) -> dict:
    return {
        "category": category,
        "asin": asin,
        "title": title or f"{category} item {asin}",
        "brand": "Acme",
        "categories": [category, "Sub"],
        "line": line,
        **fields,
    }


def ring_meta(category: str, size: int = 25) -> list[dict]:
    return [meta(category, f"{category[0]}{i:02d}", line=i + 1) for i in range(size)]


def text_of(category: str, asin: str) -> str:
    return f"{category} item {asin}, {category}, Sub, Acme"


def build(
    ratings: list[dict], meta18: list[dict], meta14: list[dict] = (), ind=("Home",), ood=(), seed=1, **params
) -> pl.DataFrame:
    tables = {
        "amazon2018_ratings": pl.DataFrame(ratings, schema=RATINGS).lazy(),
        "amazon2018_meta": pl.DataFrame(meta18, schema=META18).lazy(),
        "amazon2014_meta": pl.DataFrame(list(meta14), schema=META14).lazy(),
    }
    # raw reviewer ids, so the tests can name users; published rows use pseudonyms (test below)
    privacy = {"pseudonymise_ids": False}
    table = {"ind_categories": list(ind), "ood_categories": list(ood), "privacy": privacy, **params}
    recipe = task_config(SequentialRecommendation(), table)
    return SequentialRecommendation().build(tables, recipe, seed=seed).collect()


def texts(meta18: list[dict], meta14: list[dict] = (), item_words: int = 25, **params) -> dict[str, str]:
    frame = item_texts(
        pl.DataFrame(meta18, schema=META18).lazy(),
        pl.DataFrame(list(meta14), schema=META14).lazy(),
        item_words,
        **params,
    )
    return dict(frame.select("item", "text").collect().iter_rows())


def rows_of(out: pl.DataFrame, group_key: str) -> list[dict]:
    return out.filter(pl.col("group_key") == group_key).to_dicts()


def items_used(out: pl.DataFrame) -> set[str]:
    """Every ASIN in a history, a target or an option."""
    return set(out["source_ids"].explode()) | set(out["option_items"].explode())


@pytest.fixture(scope="module")
def mixed() -> pl.DataFrame:
    """Two in-domain categories and one out-of-domain category, 25 users and items each."""
    ratings = ring("Home") + ring("Sports") + ring("Tools")
    return build(
        ratings,
        ring_meta("Home") + ring_meta("Sports") + ring_meta("Tools"),
        ind=("Home", "Sports"),
        ood=("Tools",),
    )


def test_schema_is_the_builders(mixed):
    assert mixed.schema == pl.Schema(SequentialRecommendation().schema())


def test_in_domain_users_give_train_validation_test_and_ood_users_only_test(mixed):
    counts = mixed.group_by("category", "official_split").len().sort("category", "official_split")
    assert counts.rows() == [
        ("Home", "test", 25),
        ("Home", "train", 25),
        ("Home", "validation", 25),
        ("Sports", "test", 25),
        ("Sports", "train", 25),
        ("Sports", "validation", 25),
        ("Tools", "test", 25),
    ]
    assert [r["official_split"] for r in rows_of(mixed, "Home:HU00")] == ["train", "validation", "test"]
    assert mixed["group_key"].to_list() == sorted(mixed["group_key"].to_list())  # rows come user by user


def test_targets_and_histories_are_leave_one_out_in_time_order(mixed):
    train, validation, test = rows_of(mixed, "Home:HU00")  # bought H00, H01, H02, H03, H04 in that order
    assert [train["product_id"], validation["product_id"], test["product_id"]] == ["H02", "H03", "H04"]
    assert train["history"] == [f"1st: {text_of('Home', 'H00')}", f"2nd: {text_of('Home', 'H01')}"]
    assert len(validation["history"]) == 3 and validation["history"][2] == f"3rd: {text_of('Home', 'H02')}"
    assert test["history"][3] == f"4th: {text_of('Home', 'H03')}"
    assert train["source_ids"] == ["Home:HU00", "H00", "H01", "H02"]
    assert train["content_key"] == "H00 H01 H02"
    assert train["category"] == train["domain"] == "Home"
    assert train["source"] == "amazon2018+amazon2014"


def test_label_is_the_letter_of_the_target_option(mixed):
    for row in mixed.iter_rows(named=True):
        slot = LETTERS.index(row["label"])
        assert row["options"][slot] == f"{row['label']}: {text_of(row['category'], row['product_id'])}"
        assert row["option_items"][slot] == row["product_id"]
        assert [o[:3] for o in row["options"]] == [f"{letter}: " for letter in LETTERS]
    assert mixed["label"].n_unique() > 5  # the target's slot is shuffled, not fixed


def test_negatives_are_distinct_and_never_the_users_last_three_items(mixed):
    histories = {row["group_key"]: row for row in mixed.filter(pl.col("official_split") == "test").to_dicts()}
    for row in mixed.iter_rows(named=True):
        test_row = histories[row["group_key"]]
        last_three = set(test_row["source_ids"][-3:])
        negatives = [item for item in row["option_items"] if item != row["product_id"]]
        assert len(set(row["option_items"])) == 20 and len(negatives) == 19
        assert not last_three & set(negatives)


def test_ood_users_draw_from_their_own_category_and_ind_users_from_all_ind_categories(mixed):
    ood_items = {i for items in mixed.filter(pl.col("category") == "Tools")["option_items"] for i in items}
    home_items = {i for items in mixed.filter(pl.col("category") == "Home")["option_items"] for i in items}
    assert {i[0] for i in ood_items} == {"T"}
    assert {i[0] for i in home_items} == {"H", "S"}


def test_same_input_same_output_and_the_seed_changes_the_draws():
    data = ring("Home"), ring_meta("Home")
    first, second, other = build(*data), build(*data), build(*data, seed=2)
    assert first.equals(second)
    assert first["candidate_id"].to_list() == other["candidate_id"].to_list()
    assert first["options"].to_list() != other["options"].to_list()


def test_iterative_core_removes_what_a_single_pass_keeps():
    # HW has 5 ratings, but one is from UX who has only 4: once UX goes, HW has 4 and must go too.
    extra = [rating("Home", f"HU{u:02d}", "HW", 1000 + u) for u in range(4)]
    extra += [rating("Home", "UX", item, t) for t, item in enumerate(["HW", "H00", "H01", "H02"])]
    data = ring("Home") + extra, [*ring_meta("Home"), meta("Home", "HW")]
    out = build(*data)
    assert not rows_of(out, "Home:UX")
    assert "HW" not in items_used(out)
    assert rows_of(build(*data, core=4), "Home:UX")  # with a 4-core both stay


def test_items_without_metadata_are_dropped_before_the_core():
    meta18 = [m for m in ring_meta("Home") if m["asin"] not in {"H07", "H08", "H09"}]
    meta14 = [
        {"category": "Home", "asin": "H08", "title": "Old lamp", "brand": "Oldco", "line": 1},
        {"category": "Home", "asin": "H09", "title": None, "brand": "Nameless", "line": 2},
    ]
    out = build(ring("Home", per_user=7), meta18, meta14)  # 7 ratings each: losing two items keeps the core
    assert "H07" not in items_used(out) and "H09" not in items_used(out)
    assert "H08" in items_used(out)
    assert any(o.endswith(": Old lamp, Oldco") for opts in out["options"] for o in opts)  # 2014 title


def test_duplicate_rating_lines_count_once():
    extra = [rating("Home", "UX", item, t) for t, item in enumerate(["H00", "H01", "H02", "H03"])]
    extra.append(rating("Home", "UX", "H03", 3))  # the same line twice is not a fifth interaction
    out = build(ring("Home") + extra, ring_meta("Home"))
    assert not rows_of(out, "Home:UX")


def test_ties_in_time_go_by_item_id_and_history_is_capped():
    ratings = [r for r in ring("Home") if r["user"] != "HU00"]
    ratings += [rating("Home", "HU00", f"H0{j}", 7) for j in reversed(range(5))]  # same time, reversed input
    out = build(ratings, ring_meta("Home"), max_history=4)
    test = rows_of(out, "Home:HU00")[-1]
    assert test["source_ids"] == ["Home:HU00", "H00", "H01", "H02", "H03"]  # H04 is past the cap


def test_item_words_is_a_recipe_parameter():
    out = build(ring("Home"), ring_meta("Home"), item_words=3)
    assert out["history"][0].to_list() == [
        "1st: Home item H00...",
        "2nd: Home item H01...",
    ]  # "H00," loses ","


def test_no_ratings_give_an_empty_frame_with_the_schema():
    out = build([], ring_meta("Home"))
    assert out.height == 0
    assert out.schema == pl.Schema(SequentialRecommendation().schema())


def test_short_histories_with_a_small_core_give_only_the_candidates_they_can():
    extra = [rating("Home", "UY", "H00", 1), rating("Home", "UY", "H01", 2)]
    out = build(ring("Home") + extra, ring_meta("Home"), core=2)
    (only,) = rows_of(out, "Home:UY")
    assert only["official_split"] == "test"
    assert only["history"] == [f"1st: {text_of('Home', 'H00')}"]


@pytest.mark.parametrize(("size", "expected"), [(21, 0), (22, 66)])
def test_a_pool_needs_19_items_besides_the_users_last_three(size, expected):
    out = build(ring("Home", size=size), ring_meta("Home", size=size))
    assert out.height == expected


def test_items_with_the_same_text_are_one_option():
    meta18 = ring_meta("Home")
    meta18[1]["title"] = meta18[0]["title"]  # H00 and H01 now read the same
    out = build(ring("Home"), meta18)
    for options in out["options"]:
        assert len({o[3:] for o in options}) == 20
    assert "H01" not in set(out["option_items"].explode())  # the lower ASIN stands for both


def test_empty_ind_list_means_every_category_not_ood():
    data = ring("Home") + ring("Garden"), ring_meta("Home") + ring_meta("Garden")
    out = build(*data, ind=(), ood=("Garden",))
    assert out.group_by("category").len().sort("category").rows() == [("Garden", 25), ("Home", 75)]


def test_categories_outside_the_recipe_are_ignored():
    out = build(ring("Home") + ring("Garden"), ring_meta("Home") + ring_meta("Garden"), ind=("Home",))
    assert out["category"].unique().to_list() == ["Home"]


def test_a_category_on_both_sides_is_a_recipe_error():
    with pytest.raises(RecipeError, match="'Home' is both in-domain and out-of-domain"):
        build(ring("Home"), ring_meta("Home"), ind=("Home",), ood=("Home",))


def test_item_text_joins_clean_title_two_category_levels_and_brand():
    title = '<b>Big</b> "Red" Lamp \nShade for <2 m<br/>'  # "<2" is no tag
    levels = ["Home & Kitchen", "Lighting", "Lamps"]
    found = texts([meta("Home", "A1", title, brand="Acme", categories=levels)])
    assert found == {"A1": "Big Red Lamp Shade for <2 m, Home & Kitchen, Lighting, Acme"}


def test_item_text_falls_back_to_2014_for_missing_or_oversized_title_and_brand():
    meta18 = [
        meta("Home", "A1", "x" * 2000, brand="", categories=[]),
        meta("Home", "A2", "Kept title", brand="y" * 2000, categories=None),
    ]
    meta14 = [
        {
            "category": "Home",
            "asin": "A1",
            "title": "Old title",
            "brand": "Oldco",
            "categories": [["Ignored", "Levels"]],
            "line": 1,
        }
    ]
    assert texts(meta18, meta14) == {"A1": "Old title, Oldco", "A2": "Kept title"}


def test_item_text_is_cut_to_the_word_limit_and_the_last_line_wins():
    meta18 = [
        meta("Home", "A1", "first version", line=1, categories=[], brand=None),
        meta("Home", "A1", "one two three. four", line=2, categories=[], brand=None),
        meta("Home", "A2", "short", categories=[], brand=None),
    ]
    assert texts(meta18, item_words=3) == {"A1": "one two three...", "A2": "short"}


def test_ordinals():
    numbers = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 50, 101, 111, 112]
    suffixes = ["st", "nd", "rd", "th", "th", "th", "th", "st", "nd", "rd", "th", "st", "th", "th"]
    expected = [f"{n}{suffix}" for n, suffix in zip(numbers, suffixes, strict=True)]
    assert pl.select(ordinal(pl.Series(numbers))).to_series().to_list() == expected


def test_a_row_renders_as_ecinstruct_writes_it(mixed):
    row = rows_of(mixed, "Home:HU00")[0]
    rendered = render_fields(load_templates("SR").compiled(), row)
    first, second = "Home item H00, Home, Sub, Acme", "Home item H01, Home, Sub, Acme"
    assert rendered["input"] == f"['1st: {first}', '2nd: {second}']"  # Python's str(list)
    assert rendered["options"] == json.dumps(row["options"])
    assert json.loads(rendered["options"])[0].startswith("A: ")
    assert rendered["output"] == row["label"]


def test_a_walk_skips_excluded_positions_keeps_its_order_and_never_wraps():
    start, step = np.array([2, 0, 0]), np.array([3, 1, 1])
    size = np.array([100, 21, 21])
    excluded = np.array([[5, 11, -1], [-1, -1, -1], [0, 1, 2]])
    negatives, complete = walk_negatives(start, step, size, excluded)
    # 2, 5 (excluded), 8, 11 (excluded), 14, ...: the first 19 open positions in walk order
    assert negatives[0].tolist() == [2, 8, *range(14, 14 + 3 * 17, 3)]
    assert complete.tolist() == [True, True, False]  # 21 positions hold 19; 21 minus 3 do not
    assert negatives[1].tolist() == list(range(19))


def test_the_target_goes_to_its_slot_between_the_negatives_in_walk_order():
    negatives = np.arange(100, 119)[None, :].repeat(3, axis=0)
    options = place_target(negatives, np.array([7, 7, 7]), np.array([0, 5, 19]))
    assert options[0].tolist() == [7, *range(100, 119)]
    assert options[1].tolist() == [100, 101, 102, 103, 104, 7, *range(105, 119)]
    assert options[2].tolist() == [*range(100, 119), 7]


def test_reviewers_are_published_as_keyed_pseudonyms():
    ratings, meta = ring("Home"), ring_meta("Home")
    plain = build(ratings, meta, core=3)
    tables = {
        "amazon2018_ratings": pl.DataFrame(ratings, schema=RATINGS).lazy(),
        "amazon2018_meta": pl.DataFrame(meta, schema=META18).lazy(),
        "amazon2014_meta": pl.DataFrame([], schema=META14).lazy(),
    }

    def with_key(key: str) -> pl.DataFrame:
        config = task_config(
            SequentialRecommendation(), {"core": 3, "ind_categories": ["Home"], "privacy": {"key": key}}
        )
        return SequentialRecommendation().build(tables, config, seed=1).collect()

    first, again, other = with_key("k1"), with_key("k1"), with_key("k2")
    users = set(pl.DataFrame(ratings, schema=RATINGS)["user"])
    published = {key.split(":")[1] for key in first["group_key"]}
    assert published and not published & users and first.height == plain.height
    assert first["group_key"].to_list() == again["group_key"].to_list()  # stable for one key
    assert set(first["group_key"]).isdisjoint(other["group_key"])  # another key, other pseudonyms


OLD_ONLY = {
    "category": "Home",
    "asin": "B9",
    "title": "Old only",
    "brand": "Oldco",
    "categories": None,
    "line": 1,
}


def test_items_of_2014_metadata_only_are_admitted_unless_the_recipe_asks_for_2018():
    meta18 = [meta("Home", "A1", "New")]
    assert set(texts(meta18, [OLD_ONLY])) == {"A1", "B9"}
    assert set(texts(meta18, [OLD_ONLY], items="2018")) == {"A1"}


def test_notebook_item_text_ends_each_part_with_a_dot_and_joins_with_spaces():
    title = '<b>Big</b> "Red" Lamp. \nShade...'
    levels = ["Home & Kitchen", "Lighting.", "Lamps"]
    found = texts([meta("Home", "A1", title, brand="Acme", categories=levels)], item_text="notebook")
    assert found == {"A1": "Big Red Lamp. Shade. Home & Kitchen. Lighting. Acme."}


def test_notebook_item_text_falls_back_to_2014_only_for_empty_fields_and_cuts_on_spaces():
    meta18 = [
        meta("Home", "A1", "x" * 2000, brand="", categories=[]),  # too long: empty, no fallback
        meta("Home", "A2", "one two  three four", brand=None, categories=[]),
    ]
    meta14 = [{**OLD_ONLY, "asin": "A1"}]
    # A2: the double space is an empty word, so three words end after "two "
    found = texts(meta18, meta14, item_words=3, item_text="notebook")
    assert found == {"A1": "Oldco.", "A2": "one two ..."}
