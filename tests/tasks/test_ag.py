import pytest
from esci_amazonqa_rows import answer, build, qa_row

from ecinstruct_builder.config import task_config
from ecinstruct_builder.tasks.ag import AnswerGeneration
from ecinstruct_builder.templates import load_templates, render_fields

AG = AnswerGeneration()


def gold(answers: list[dict]) -> list[str]:
    return build(AG, [qa_row(1, answers=answers)])["label"].to_list()


def test_gold_is_the_answer_with_most_helpful_votes():
    assert gold([answer("few", [1, 3]), answer("most", [4, 6]), answer("some", [2, 2])]) == ["most"]


def test_first_answer_wins_a_tie():
    assert gold([answer("first", [3, 3]), answer("second", [3, 5])]) == ["first"]


def test_answers_without_votes_in_total_are_ignored():
    assert gold([answer("no total", [9, 0]), answer("voted", [1, 2])]) == ["voted"]


def test_answers_with_missing_text_or_vote_counts_are_ignored():
    assert gold(
        [answer(None, [9, 9]), answer("short list", [8]), answer(None, None), answer("ok", [1, 1])]
    ) == ["ok"]


@pytest.mark.parametrize(
    "answers",
    [
        [answer("nobody found it helpful", [0, 4])],
        [answer("no votes", [5, 0])],
        [],
        None,
    ],
)
def test_question_is_skipped_without_a_helpful_answer(answers):
    row = qa_row(1)
    row["answers"] = answers
    assert build(AG, [row]).height == 0


def test_only_descriptive_answerable_questions_are_candidates():
    out = build(
        AG,
        [
            qa_row(1),
            qa_row(2, question_type="yesno"),
            qa_row(3, is_answerable=0),
            qa_row(4, review_snippets=None),
        ],
    )
    assert out["source_ids"].to_list() == [["train:1", "qid:101"]]


def test_recipe_categories_select_rows():
    rows = [qa_row(1, category="Electronics"), qa_row(2, category="Home_and_Kitchen")]
    out = build(AG, rows, recipe=task_config(AG, {"ind_categories": ["Home_and_Kitchen"]}))
    assert out["domain"].to_list() == ["Home_and_Kitchen"]


def test_keys_determinism_and_schema():
    rows = [qa_row(2, split="test", asin="B9"), qa_row(1)]
    first, second = build(AG, rows), build(AG, rows)
    assert first.equals(second)
    assert first.schema == AG.schema()
    assert first["official_split"].to_list() == ["test", "train"]
    assert first["group_key"].to_list() == ["B9", "B1"]
    assert first["content_key"].to_list()[0] == "question 2?\nsnippet 2a\nsnippet 2b"


def test_row_renders_through_the_template():
    row = qa_row(
        1,
        question_text="How long is the cord?",
        review_snippets=["The cord reaches my desk."],
        answers=[answer("About two metres.", [2, 2])],
    )
    rendered = render_fields(load_templates("AG").compiled(), build(AG, [row]).row(0, named=True))
    assert rendered == {
        "input": '{"question": "How long is the cord?", "document": ["The cord reaches my desk."]}',
        "options": "",
        "output": "About two metres.",
    }
