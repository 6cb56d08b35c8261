import json

import polars as pl
import pytest

from ecinstruct_builder.config import task_config
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.sources.mave import Mave
from ecinstruct_builder.tasks.ave import AttributeValueExtraction
from ecinstruct_builder.templates import load_templates, render_fields


def evidence(value: str | None, pid: int) -> dict:
    return {"value": value, "pid": pid, "begin": 0, "end": len(value or "")}


def line(
    number: int, attributes: list[dict], paragraphs: list[tuple[str, str]] | None = None, **extra
) -> dict:
    """A flattened MAVE line; `paragraphs` are (source, text) pairs."""
    paragraphs = [("title", "Trail Runner 2, blue")] if paragraphs is None else paragraphs
    return {
        "id": "P1",
        "category": "Running Shoes",
        "split": "train",
        "polarity": "positive",
        "paragraphs": [{"source": source, "text": text} for source, text in paragraphs],
        "attributes": attributes,
        "line": number,
        **extra,
    }


def attribute(key: str | None, *evidences: dict) -> dict:
    return {"key": key, "evidences": list(evidences)}


def build_frame(rows: list[dict], **params) -> pl.DataFrame:
    mave = pl.DataFrame(rows, schema=Mave.tables["mave"])
    return (
        AttributeValueExtraction()
        .build({"mave": mave.lazy()}, task_config(AttributeValueExtraction(), params), seed=1)
        .collect()
    )


def render(row: dict) -> dict[str, str]:
    return render_fields(load_templates("AVE").compiled(), row)


def test_input_groups_paragraphs_by_source_in_first_seen_order():
    paragraphs = [
        ("title", "Trail Runner"),
        ("feature", "mesh upper"),
        ("title", "size 9"),
        ("brand", "Acme"),
    ]
    row = build_frame([line(1, [attribute("Color")], paragraphs)]).row(0, named=True)
    expected = {
        "product title": "Trail Runner, size 9",
        "product feature": "mesh upper",
        "product brand": "Acme",
        "target attributes": "Color",
    }
    assert render(row)["input"] == json.dumps(expected, ensure_ascii=False)


def test_label_lists_unique_lowercased_triples_in_first_seen_order():
    paragraphs = [("title", "Blue Trail Runner"), ("Description", "A BLUE shoe"), ("title", "blue")]
    attrs = [
        attribute("Color", evidence("Blue", 0), evidence("blue", 2), evidence("BLUE", 1), evidence("Blue", 0))
    ]
    out = build_frame([line(1, attrs, paragraphs)])
    assert json.loads(out["label"].item()) == [
        {"attribute": "color", "value": "blue", "source": "product title"},
        {"attribute": "color", "value": "blue", "source": "product description"},
    ]


def test_attribute_without_evidence_gives_none_and_keys_join_with_and():
    attrs = [attribute("Color", evidence("blue", 0)), attribute("Heel Height")]
    row = build_frame([line(1, attrs, polarity="negative")]).row(0, named=True)
    assert json.loads(row["label"]) == [
        {"attribute": "color", "value": "blue", "source": "product title"},
        {"attribute": "heel height", "value": "None", "source": "None"},
    ]
    assert row["target_attributes"] == "Color and Heel Height"
    assert row["domain"] == "color"  # the first attribute is the line's IND/OOD key


def test_label_is_exactly_json_dumps_of_the_triples():
    tricky = 'Say "hi"\\ back\nnow café ✓'
    row = build_frame([line(1, [attribute("Note", evidence(tricky, 0))], [("title", tricky)])]).row(
        0, named=True
    )
    triples = [{"attribute": "note", "value": tricky.lower(), "source": "product title"}]
    assert row["label"] == json.dumps(triples, ensure_ascii=False)
    assert render(row)["output"] == row["label"]


@pytest.mark.parametrize(
    "attrs",
    [
        [attribute("Color", evidence("blue", 5))],  # pid past the paragraphs
        [attribute("Color", evidence("blue", -1))],  # negative pid would wrap around in Python
        [attribute("Color", evidence(None, 0))],
        [attribute(None)],
        [],
    ],
    ids=["pid-out-of-range", "negative-pid", "no-value", "no-key", "no-attributes"],
)
def test_lines_without_a_trustworthy_label_are_not_candidates(attrs):
    out = build_frame([line(1, attrs), line(2, [attribute("Color", evidence("blue", 0))])])
    assert out["source_ids"].to_list() == [["train:positive:2"]]


def test_paragraph_without_a_source_is_left_out_of_the_input():
    row = build_frame([line(1, [attribute("Color")], [("title", "Runner"), (None, "stray")])]).row(
        0, named=True
    )
    assert row["sections"] == [{"key": "product title", "text": "Runner"}]


def test_lineage_and_keys():
    rows = [line(4, [attribute("Color")], split=None, polarity="negative", id="B0X")]
    row = build_frame(rows).row(0, named=True)
    assert row["product_id"] == row["group_key"] == "B0X"
    assert row["category"] == "Running Shoes"
    assert row["official_split"] is None
    assert row["source_ids"] == ["negative:4"]
    assert row["content_key"] == "product title: Trail Runner 2, blue\ntarget attributes: Color"
    assert row["options"] == []
    assert AttributeValueExtraction.ood_axis == "holdout"


def test_official_split_comes_from_the_mave_split():
    out = build_frame(
        [line(1, [attribute("Color")], split="test"), line(2, [attribute("Color")], split="validation")]
    )
    assert out["official_split"].to_list() == ["test", "validation"]


def test_output_is_deterministic_sorted_and_in_schema():
    rows = [line(i, [attribute("Color", evidence("blue", 0))], id=f"P{9 - i}") for i in range(4)]
    first, second = build_frame(rows), build_frame(list(reversed(rows)))
    assert first.equals(second)
    assert first["product_id"].to_list() == ["P6", "P7", "P8", "P9"]
    assert first["candidate_id"].n_unique() == 4
    assert first.schema == pl.Schema(AttributeValueExtraction().schema())


def test_unknown_parameter_is_rejected():
    with pytest.raises(RecipeError, match="unknown key"):
        build_frame([], words=3)


def test_row_renders_through_the_template():
    row = build_frame([line(1, [attribute("Color", evidence("blue", 0))])]).row(0, named=True)
    assert render(row) == {
        "input": '{"product title": "Trail Runner 2, blue", "target attributes": "Color"}',
        "options": "",
        "output": '[{"attribute": "color", "value": "blue", "source": "product title"}]',
    }
