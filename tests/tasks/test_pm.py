import json

import polars as pl
import pytest

from ecinstruct_builder.config import task_config
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.sources.amazon_google import AmazonGoogle
from ecinstruct_builder.tasks.pm import ProductMatching
from ecinstruct_builder.templates import load_templates, render_fields

SCHEMAS = AmazonGoogle.tables


def product(side: str, ident: str, line: int = 1, **values) -> dict:
    return {"side": side, "id": ident, "title": f"title of {ident}", "line": line, **values}


def build_frame(products: list[dict], mapping: list[tuple], seed: int = 1, **params) -> pl.DataFrame:
    tables = {
        "amazon_google_products": pl.DataFrame(products, schema=SCHEMAS["amazon_google_products"]).lazy(),
        "amazon_google_mapping": pl.DataFrame(
            [{"id_amazon": a, "id_google": g, "line": i} for i, (a, g) in enumerate(mapping, 2)],
            schema=SCHEMAS["amazon_google_mapping"],
        ).lazy(),
    }
    return ProductMatching().build(tables, task_config(ProductMatching(), params), seed=seed).collect()


def labelled_pairs(out: pl.DataFrame) -> set[tuple[str, str, str]]:
    return {(a, g, label) for (a, g), label in zip(out["source_ids"].to_list(), out["label"], strict=True)}


def catalogue(n_amazon: int, n_google: int) -> list[dict]:
    return [product("amazon", f"a{i}", i) for i in range(n_amazon)] + [
        product("google", f"g{i}", i) for i in range(n_google)
    ]


def test_gold_pairs_are_deduplicated_positives_and_unknown_ids_are_ignored():
    mapping = [("a0", "g0"), ("a0", "g0"), ("a1", "g1"), ("a1", "nowhere"), ("gone", "g2"), (None, "g3")]
    out = build_frame(catalogue(2, 4), mapping)
    positives = {(a, g) for a, g, label in labelled_pairs(out) if label == "yes"}
    assert positives == {("a0", "g0"), ("a1", "g1")}


def test_negatives_match_the_positive_count_and_are_never_known_matches():
    mapping = [("a0", "g0"), ("a1", "g1"), ("a2", "g2"), ("a3", "g9")]
    out = build_frame(catalogue(5, 10), mapping)
    negatives = {(a, g) for a, g, label in labelled_pairs(out) if label == "no"}
    assert len(negatives) == 4
    assert negatives.isdisjoint(mapping)
    assert set(out["label"]) == {"yes", "no"}


def test_negatives_reach_the_count_over_several_rounds_when_needed():
    # a0 matches both Google records, so the only non-matches are a1-g0 and a1-g1:
    # one pairing round can hold only one of them.
    out = build_frame(catalogue(2, 2), [("a0", "g0"), ("a0", "g1")])
    negatives = {(a, g) for a, g, label in labelled_pairs(out) if label == "no"}
    assert negatives == {("a1", "g0"), ("a1", "g1")}


def test_fewer_negatives_when_no_more_non_matches_exist():
    out = build_frame(catalogue(1, 1), [("a0", "g0")])
    assert labelled_pairs(out) == {("a0", "g0", "yes")}


def test_negative_pairing_depends_on_the_seed_only():
    mapping = [(f"a{i}", f"g{i}") for i in range(6)]
    first, again = (
        build_frame(catalogue(8, 8), mapping, seed=1),
        build_frame(catalogue(8, 8), mapping, seed=1),
    )
    other = build_frame(catalogue(8, 8), mapping, seed=2)
    assert first.equals(again)
    assert labelled_pairs(first) != labelled_pairs(other)


def test_descriptions_are_cut_to_the_word_limit():
    products = [
        product("amazon", "a0", description="one two  three four five"),
        product("amazon", "a1", description="one  two three"),
        product("amazon", "a2", description="Fast. Small. Cheap. Extra"),
        product("amazon", "a3", description=None),
        product("google", "g0"),
    ]
    out = build_frame(products, [("a0", "g0"), ("a1", "g0"), ("a2", "g0"), ("a3", "g0")], description_words=3)
    assert out.sort("product_id")["description1"].to_list() == [
        "one two  three...",
        "one  two three",  # not longer than the limit: unchanged
        "Fast. Small. Cheap...",  # no "...." after a full stop
        None,
    ]


def test_default_limit_is_fifty_words():
    words = [f"w{i}" for i in range(60)]
    out = build_frame(
        [product("amazon", "a0", description=" ".join(words)), product("google", "g0")], [("a0", "g0")]
    )
    assert out["description1"].item() == " ".join(words[:50]) + "..."


@pytest.mark.parametrize("bad", [0, "50", True])
def test_description_words_must_be_a_positive_integer(bad):
    with pytest.raises(RecipeError, match="description_words"):
        build_frame(catalogue(1, 1), [("a0", "g0")], description_words=bad)


def test_repeated_records_keep_their_first_line():
    products = [
        product("amazon", "a0"),
        product("google", "g0", 1, title="first"),
        product("google", "g0", 2, title="second"),
    ]
    out = build_frame(products, [("a0", "g0")])
    assert out["title2"].to_list() == ["first"]


def test_lineage_keys_and_schema():
    out = build_frame(catalogue(3, 3), [("a1", "g2")])
    row = out.filter(pl.col("label") == "yes").row(0, named=True)
    assert row["source_ids"] == ["a1", "g2"]
    assert row["product_id"] == row["group_key"] == "a1"
    assert row["category"] is row["domain"] is row["official_split"] is None
    assert row["options"] == []
    assert row["source"] == "amazon_google"
    assert out["candidate_id"].n_unique() == out.height == 2
    assert out.schema == pl.Schema(ProductMatching().schema())
    assert ProductMatching.ood_axis == "none"


def test_row_renders_through_the_template_with_nulls_as_json_null():
    products = [
        product(
            "amazon",
            "a0",
            title="Photo Suite 9",
            description="edit photos",
            manufacturer="Acme",
            price="49.99",
        ),
        product("google", "g0", title="acme photo suite 9", price="44.5 gbp"),
    ]
    row = build_frame(products, [("a0", "g0")]).row(0, named=True)
    rendered = render_fields(load_templates("PM").compiled(), row)
    assert json.loads(rendered["input"]) == {
        "product 1": {
            "title": "Photo Suite 9",
            "description": "edit photos",
            "manufacturer": "Acme",
            "price": "49.99",
        },
        "product 2": {
            "title": "acme photo suite 9",
            "description": None,
            "manufacturer": None,
            "price": "44.5 gbp",
        },
    }
    assert rendered["input"].startswith(
        '{"product 1": {"title": "Photo Suite 9", "description": "edit photos"'
    )
    assert rendered["options"] == ""
    assert rendered["output"] == "yes"
