import json

from esci_amazonqa_rows import build, esci_row

from ecinstruct_builder.tasks.mpc import MPC_OPTIONS, MulticlassProductClassification
from ecinstruct_builder.templates import load_templates, render_fields

MPC = MulticlassProductClassification()


def test_each_esci_judgement_maps_to_its_full_option_string():
    out = build(MPC, [esci_row(i, label=label) for i, label in enumerate("ESCI")])
    assert out["label"].to_list() == MPC_OPTIONS
    assert [option[:2] for option in MPC_OPTIONS] == ["A:", "B:", "C:", "D:"]
    assert out["options"].to_list() == [MPC_OPTIONS] * 4


def test_only_rows_of_the_locale_with_query_title_and_known_label_are_candidates():
    out = build(
        MPC,
        [
            esci_row(1),
            esci_row(2, product_locale="es"),
            esci_row(3, query=None),
            esci_row(4, product_title=None),
            esci_row(5, label=None),
            esci_row(6, label="X"),
            esci_row(7, small_version=0, large_version=1),  # MPC uses every US row, not only the small set
        ],
    )
    assert out["source_ids"].to_list() == [["1"], ["7"]]


def test_locale_is_a_recipe_parameter():
    out = build(MPC, [esci_row(1), esci_row(2, product_locale="es")], locale="es")
    assert out["source_ids"].to_list() == [["2"]]


def test_esci_split_is_the_official_split():
    out = build(MPC, [esci_row(1, split="train"), esci_row(2, split="test"), esci_row(3, split="other")])
    assert out["official_split"].to_list() == ["train", "test", None]


def test_keys_and_lineage():
    row = build(MPC, [esci_row(9, query_id=4, product_id="B0X")]).row(0, named=True)
    assert row["group_key"] == row["product_id"] == "B0X"
    assert row["category"] is None and row["domain"] is None
    assert row["content_key"] == "query 4\nTitle 9"
    assert row["source"] == "esci"
    assert MPC.ood_axis == "none"


def test_output_is_deterministic_sorted_and_in_the_builder_schema():
    rows = [esci_row(i, label=label) for i, label in zip([5, 2, 8], "SCE", strict=True)]
    first, second, reordered = build(MPC, rows), build(MPC, rows), build(MPC, rows[::-1])
    assert first.equals(second) and first.equals(reordered)
    assert first["source_ids"].to_list() == [["2"], ["5"], ["8"]]
    assert first["candidate_id"].n_unique() == 3
    assert first.schema == MPC.schema()


def test_row_renders_through_the_template():
    row = build(MPC, [esci_row(1, label="S", query="usb cable", product_title="Braided charging cord")])
    rendered = render_fields(load_templates("MPC").compiled(), row.row(0, named=True))
    assert rendered["input"] == '{"query": "usb cable", "product title": "Braided charging cord"}'
    assert json.loads(rendered["options"]) == MPC_OPTIONS
    assert rendered["output"] == MPC_OPTIONS[1]
