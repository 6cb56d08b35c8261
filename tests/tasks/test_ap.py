from esci_amazonqa_rows import build, qa_row

from ecinstruct_builder.config import task_config
from ecinstruct_builder.tasks.ap import AnswerabilityPrediction
from ecinstruct_builder.templates import load_templates, render_fields

AP = AnswerabilityPrediction()


def test_answerable_questions_are_yes_the_others_no():
    out = build(AP, [qa_row(1, is_answerable=1), qa_row(2, is_answerable=0)])
    assert out["label"].to_list() == ["yes", "no"]
    assert out["options"].to_list() == [[], []]


def test_every_question_type_counts_but_rows_missing_a_field_do_not():
    out = build(
        AP,
        [
            qa_row(1, question_type="yesno"),
            qa_row(2, question_type="descriptive", answers=[]),
            qa_row(3, question_text=None),
            qa_row(4, review_snippets=None),
            qa_row(5, is_answerable=None),
        ],
    )
    assert out["source_ids"].to_list() == [["train:1", "qid:101"], ["train:2", "qid:102"]]


def test_recipe_categories_select_rows_and_no_categories_keeps_all():
    rows = [
        qa_row(1, category="Sports_and_Outdoors"),
        qa_row(2, category="Cell_Phones_and_Accessories"),
        qa_row(3, category="Electronics"),
    ]
    recipe = task_config(
        AP, {"ind_categories": ["Sports_and_Outdoors"], "ood_categories": ["Cell_Phones_and_Accessories"]}
    )
    assert build(AP, rows, recipe=recipe)["domain"].to_list() == [
        "Sports_and_Outdoors",
        "Cell_Phones_and_Accessories",
    ]
    assert build(AP, rows).height == 3


def test_keys_lineage_and_official_split():
    row = build(AP, [qa_row(7, split="validation", asin="B0Q", qid=None)]).row(0, named=True)
    assert row["official_split"] == "validation"
    assert row["group_key"] == row["product_id"] == "B0Q"
    assert row["category"] == row["domain"] == "Electronics"
    assert row["source_ids"] == ["validation:7"]  # a missing qid leaves no empty id behind
    assert row["content_key"] == "question 7?\nsnippet 7a\nsnippet 7b"
    assert row["source"] == "amazonqa"


def test_a_repeated_question_is_two_candidates_told_apart_by_its_document():
    out = build(AP, [qa_row(1, question_text="Is it loud?"), qa_row(2, question_text="Is it loud?")])
    assert out["candidate_id"].n_unique() == 2
    assert out["content_key"].n_unique() == 2


def test_output_is_deterministic_sorted_and_in_the_builder_schema():
    rows = [qa_row(3, split="train"), qa_row(1, split="test"), qa_row(2, split="train")]
    first, second, reordered = build(AP, rows), build(AP, rows), build(AP, rows[::-1])
    assert first.equals(second) and first.equals(reordered)
    assert first["source_ids"].list.first().to_list() == ["test:1", "train:2", "train:3"]
    assert first.schema == AP.schema()


def test_row_renders_through_the_template():
    row = qa_row(1, question_text="Does the lid seal?", review_snippets=["The lid clicks shut.", "No leaks."])
    rendered = render_fields(load_templates("AP").compiled(), build(AP, [row]).row(0, named=True))
    assert rendered == {
        "input": '{"question": "Does the lid seal?", "document": ["The lid clicks shut.", "No leaks."]}',
        "options": "",
        "output": "yes",
    }
