import json

import polars as pl
import pytest

from ecinstruct_builder.config import task_config
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.tasks.prp import RELATION_OPTIONS, ProductRelationPrediction
from ecinstruct_builder.templates import load_templates, render_fields


def item(
    asin: str, title: str | None = None, line: int = 1, category: str = "Electronics", **relations
) -> dict:
    """A meta row; `relations` are also_buy / also_view / similar_item lists."""
    return {
        "category": category,
        "asin": asin,
        "title": f"Title {asin}" if title is None else title,
        "line": line,
        **relations,
    }


def build_frame(rows: list[dict], **params) -> pl.DataFrame:
    meta = pl.DataFrame(rows, schema=Amazon2018.tables["amazon2018_meta"])
    builder = ProductRelationPrediction()
    return builder.build({"amazon2018_meta": meta.lazy()}, task_config(builder, params), seed=1).collect()


def pairs(out: pl.DataFrame) -> list[tuple[str, str, str]]:
    return [
        (a, b, label)
        for (a, b), label in zip(out["source_ids"].to_list(), out["label"].to_list(), strict=True)
    ]


def test_each_relation_maps_to_its_letter():
    out = build_frame(
        [
            item("A1", also_buy=["B1"], line=1),
            item("A2", also_view=["B2"], line=2),
            item("A3", similar_item=["B3"], line=3),
            item("B1", line=4),
            item("B2", line=5),
            item("B3", line=6),
        ]
    )
    assert pairs(out) == [("A1", "B1", "A"), ("A2", "B2", "B"), ("A3", "B3", "C")]
    assert out["options"].to_list() == [RELATION_OPTIONS] * 3


def test_pairs_are_unordered_with_the_smaller_asin_as_product_one():
    out = build_frame([item("Z9", "Zed", also_buy=["A0"], line=1), item("A0", "Aye", line=2)])
    row = out.row(0, named=True)
    assert row["source_ids"] == ["A0", "Z9"]
    assert (row["title1"], row["title2"]) == ("Aye", "Zed")
    assert row["product_id"] == row["group_key"] == "A0"


def test_same_pair_in_one_relation_from_both_sides_is_one_example():
    out = build_frame([item("A1", also_view=["B1", "B1"], line=1), item("B1", also_view=["A1"], line=2)])
    assert pairs(out) == [("A1", "B1", "B")]


def test_pair_listed_in_two_relations_is_dropped():
    out = build_frame(
        [
            item("A1", also_buy=["B1", "C1"], line=1),
            item("B1", similar_item=["A1"], line=2),
            item("C1", line=3),
        ]
    )
    assert pairs(out) == [("A1", "C1", "A")]


def test_partner_must_be_in_the_same_category_meta():
    out = build_frame(
        [
            item("A1", also_buy=["GONE", "B1"], line=1),
            item("B1", category="Tools", line=1),  # only in another category's file
        ]
    )
    assert out.height == 0


def test_titles_must_be_present_non_blank_and_different():
    out = build_frame(
        [
            item("A1", "Same", also_buy=["B1", "C1", "D1", "E1", "A1"], line=1),
            item("B1", "Same", line=2),
            item("C1", "   ", line=3),
            item("D1", line=4) | {"title": None},
            item("E1", "Other", line=5),
        ]
    )
    assert pairs(out) == [("A1", "E1", "A")]


def test_duplicate_asin_rows_keep_the_last_line():
    out = build_frame(
        [
            item("A1", "Old title", also_view=["C1"], line=1),
            item("A1", "New title", also_buy=["B1"], line=3),
            item("B1", line=2),
            item("C1", line=4),
        ]
    )
    assert pairs(out) == [("A1", "B1", "A")]
    assert out["title1"].to_list() == ["New title"]


def test_lineage_and_keys():
    row = build_frame(
        [
            item("A1", "Lamp", similar_item=["B1"], line=1, category="Tools"),
            item("B1", "Shade", line=2, category="Tools"),
        ]
    ).row(0, named=True)
    assert row["category"] == row["domain"] == "Tools"
    assert row["content_key"] == "Lamp\nShade"
    assert row["official_split"] is None
    assert row["source"] == "amazon2018"


def test_output_is_sorted_deterministic_and_in_schema():
    rows = [item("C1", also_buy=["A1"], line=1), item("A1", also_view=["B1"], line=2), item("B1", line=3)]
    first, second = build_frame(rows), build_frame(list(reversed(rows)))
    assert first.equals(second)
    assert first["source_ids"].to_list() == [["A1", "B1"], ["A1", "C1"]]
    assert first["candidate_id"].n_unique() == 2
    assert first.schema == pl.Schema(ProductRelationPrediction().schema())


def test_unknown_parameter_is_rejected():
    with pytest.raises(RecipeError, match="unknown key"):
        build_frame([], min_words=3)


def test_row_renders_through_the_template():
    row = build_frame([item("A1", "Desk lamp", also_buy=["B1"]), item("B1", 'Bulb 60" pack', line=2)]).row(
        0, named=True
    )
    rendered = render_fields(load_templates("PRP").compiled(), row)
    assert rendered["input"] == '{"Product 1": "Desk lamp", "Product 2": "Bulb 60\\" pack"}'
    assert json.loads(rendered["options"]) == RELATION_OPTIONS
    assert rendered["output"] == "A"


def two_kettles(second_relation: str) -> list[dict]:
    """Two "Kettle" listings, each related to its own "Mug" listing: A1-B1 also_buy, A2-B2 the other."""
    return [
        item("A1", "Kettle", also_buy=["B1"], line=1),
        item("A2", "Kettle", line=2, **{second_relation: ["B2"]}),
        item("B1", "Mug", line=3),
        item("B2", "Mug", line=4),
    ]


def test_title_keyed_pairs_merge_listings_that_share_both_titles():
    # one pair by titles, two by ASINs
    rows = two_kettles("also_buy")
    assert len(build_frame(rows)) == 2
    out = build_frame(rows, pair_key="titles")
    assert (out["title1"].to_list(), out["title2"].to_list()) == (["Kettle"], ["Mug"])
    assert pairs(out) == [("A1", "B1", "A")]  # lineage: the first listing that gave the titles


def test_title_keyed_pairs_drop_a_title_pair_under_two_relations_across_listings():
    # A1-B1 is also_buy and A2-B2 also_view: distinct ASIN pairs, but one ambiguous title pair
    rows = two_kettles("also_view")
    assert sorted(label for *_, label in pairs(build_frame(rows))) == ["A", "B"]
    assert build_frame(rows, pair_key="titles").is_empty()


@pytest.mark.parametrize("pair_key", ["asins", "titles"])
def test_blank_titles_are_kept_when_asked(pair_key):
    rows = [item("A1", "", also_buy=["B1"], line=1), item("B1", "Mug", line=2), item("C1", "", line=3)]
    rows[0]["also_view"] = ["C1"]  # two blank titles are equal: never a pair
    assert build_frame(rows, pair_key=pair_key).is_empty()
    out = build_frame(rows, pair_key=pair_key, blank_titles=True)
    assert (out["title1"].to_list(), out["title2"].to_list(), out["label"].to_list()) == (
        [""],
        ["Mug"],
        ["A"],
    )
