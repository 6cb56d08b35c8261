import json

import polars as pl
import pytest

from ecinstruct_builder.clean.variants import VARIANT_REASON
from ecinstruct_builder.config import SplitConfig, load_recipe, task_config
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.select import select_task
from ecinstruct_builder.sources.amazon_google import AmazonGoogle
from ecinstruct_builder.synthetic import generate
from ecinstruct_builder.tasks.pm import ProductMatching
from ecinstruct_builder.templates import load_templates, render_fields

SCHEMAS = AmazonGoogle.tables


def product(side: str, ident: str, line: int = 1, **values) -> dict:
    return {"side": side, "id": ident, "title": f"title of {ident}", "line": line, **values}


def pm_tables(products: list[dict], mapping: list[tuple]) -> dict[str, pl.LazyFrame]:
    return {
        "amazon_google_products": pl.DataFrame(products, schema=SCHEMAS["amazon_google_products"]).lazy(),
        "amazon_google_mapping": pl.DataFrame(
            [{"id_amazon": a, "id_google": g, "line": i} for i, (a, g) in enumerate(mapping, 2)],
            schema=SCHEMAS["amazon_google_mapping"],
        ).lazy(),
    }


def build_frame(products: list[dict], mapping: list[tuple], seed: int = 1, **params) -> pl.DataFrame:
    tables = pm_tables(products, mapping)
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


def test_pairs_that_read_the_same_are_one_example_when_duplicates_are_shown(tmp_path):
    # g0 and g1 are one Google record under two ids, both mapped to a0: two pairs by ids, one as shown
    twin = {"title": "photo suite", "description": "edit photos", "price": "9.99"}
    products = [
        *catalogue(4, 0),
        product("google", "g0", 1, **twin),
        product("google", "g1", 2, **twin),
        *[product("google", f"g{i}", i) for i in range(2, 6)],
    ]
    mapping = [("a0", "g0"), ("a0", "g1"), ("a1", "g2")]
    by_ids = build_frame(products, mapping)
    assert by_ids["label"].value_counts().sort("label").rows() == [("no", 3), ("yes", 3)]
    assert by_ids["copy_key"].is_null().all()
    shown = build_frame(products, mapping, duplicates="shown")
    positives = shown.filter(pl.col("label") == "yes")
    assert positives.height == 3 and positives["copy_key"].n_unique() == 2
    assert shown.filter(pl.col("label") == "no").height == 2  # as many as distinct positives
    # selection keeps one of the twins and rejects the other, naming the one it kept
    builder = ProductMatching()
    tables = pm_tables(products, mapping)
    config = task_config(builder, {"duplicates": "shown"})
    selection = select_task(builder, tables, config, 1, SplitConfig(), tmp_path)
    assert selection.selected.filter(pl.col("label") == "yes").height == 2
    reject = selection.rejects.row(0, named=True)
    assert selection.rejects.height == 1 and reject["reason"] == VARIANT_REASON
    assert {reject["candidate_id"], reject["kept_id"]} == set(positives["candidate_id"].head(2))


def test_negatives_never_read_like_a_positive_when_duplicates_are_shown():
    # every Google record reads like a0's match, so no negative with a0 may be drawn; others can
    twin = {"title": "same", "description": None, "price": None}
    amazon = [product("amazon", "a0", 0, title="x"), product("amazon", "a1", 1, title="y")]
    google = [product("google", f"g{i}", i, **twin) for i in range(4)]
    out = build_frame(amazon + google, [("a0", "g0")], duplicates="shown")
    negatives = out.filter(pl.col("label") == "no")
    assert negatives.height == 1 and negatives["source_ids"].to_list()[0][0] == "a1"


def test_real_sized_amazon_google_gives_the_published_pm_sizes_with_the_faithful_recipe(tmp_path):
    generate(tmp_path / "raw", scale=1.0, sources=("amazon_google",))
    adapter = AmazonGoogle()
    pieces: dict[str, list[pl.LazyFrame]] = {table: [] for table in adapter.tables}
    for file in adapter.discover(tmp_path / "raw" / adapter.name, {}):
        for table, frame in adapter.read_file(file, {}, Quarantine()):
            pieces[table].append(frame.lazy())
    tables = {t: adapter.finalize(t, pl.concat(p)).collect().lazy() for t, p in pieces.items()}
    products = tables["amazon_google_products"].group_by("side").len().collect()
    assert dict(products.iter_rows()) == {"amazon": 1363, "google": 3226}  # records, as upstream counts
    assert tables["amazon_google_mapping"].collect().height == 1300
    builder = ProductMatching()
    for name, expected in (("ecinstruct-faithful", (2022, 253, 253)), ("ecinstruct", None)):
        recipe = load_recipe(name)
        selection = select_task(builder, tables, recipe.task("PM"), recipe.seed, recipe.split, tmp_path)
        sizes = dict(selection.selected["split"].value_counts().iter_rows())
        yes = selection.selected.filter(pl.col("label") == "yes").height
        if expected:  # 1,264 of the 1,300 gold pairs read differently, plus as many negatives
            assert (sizes["train"], sizes["validation"], sizes["test"]) == expected
            assert yes + selection.rejects.filter(pl.col("reason") == VARIANT_REASON).height == 1300
            assert selection.selected.height == 2 * 1264
        else:  # our recipe keeps every gold pair with its own ids, split by hash
            assert selection.split.candidates == 2 * 1300
