from esci_amazonqa_rows import build, esci_row

from ecinstruct_builder.tasks.psi import ProductSubstituteIdentification
from ecinstruct_builder.templates import load_templates, render_fields

PSI = ProductSubstituteIdentification()


def test_only_substitutes_are_yes():
    out = build(PSI, [esci_row(i, label=label) for i, label in enumerate("ESCI")])
    assert out["label"].to_list() == ["no", "yes", "no", "no"]
    assert out["options"].to_list() == [[]] * 4


def test_rows_outside_the_locale_or_without_a_known_label_are_not_candidates():
    out = build(
        PSI,
        [
            esci_row(1, label="S"),
            esci_row(2, label="S", product_locale="jp"),
            esci_row(3, label=None),
            esci_row(4, query=None),
        ],
    )
    assert out["source_ids"].to_list() == [["1"]]


def test_keys_split_and_schema():
    out = build(PSI, [esci_row(3, split="test", product_id="B07"), esci_row(1)])
    assert out["source_ids"].to_list() == [["1"], ["3"]]
    assert out["official_split"].to_list() == ["train", "test"]
    assert out["group_key"].to_list() == ["P1", "B07"]
    assert out["domain"].to_list() == [None, None]
    assert out.schema == PSI.schema()
    assert out.equals(build(PSI, [esci_row(3, split="test", product_id="B07"), esci_row(1)]))


def test_row_renders_through_the_template():
    row = build(PSI, [esci_row(1, label="S", query="desk lamp", product_title="Clip-on reading light")])
    rendered = render_fields(load_templates("PSI").compiled(), row.row(0, named=True))
    assert rendered == {
        "input": '{"query": "desk lamp", "product": "Clip-on reading light"}',
        "options": "",
        "output": "yes",
    }
