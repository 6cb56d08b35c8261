"""Parsers: free model text -> structured answer, or None (invalid)."""

from __future__ import annotations

import json

import pytest

from ecinstruct_builder.evaluate.parsers import (
    NONE,
    parse_answer_text,
    parse_choice,
    parse_labels,
    parse_options,
    parse_ranking,
    parse_triples,
    parse_yes_no,
)

SA = parse_options(
    json.dumps(["A: very positive", "B: positive", "C: neutral", "D: negative", "E: very negative"])
)


def test_parse_options_reads_json_python_literals_and_lists() -> None:
    assert parse_options('["A: Yes.", "B: no way"]') == {"A": "yes", "B": "no way"}
    assert parse_options("['A: one', 'B: two']") == {"A": "one", "B": "two"}
    assert parse_options(["A: one", "B: two"]) == {"A": "one", "B": "two"}
    assert parse_options("") == {}
    assert parse_options("not a list") == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B", "B"),
        ("  B.  ", "B"),
        ("(B)", "B"),
        ("B)", "B"),
        ("B: positive", "B"),
        ("A: very negative", "A"),  # scored on the letter, as ECInstruct does
        ("positive", "B"),  # exactly one option's wording
        ("Very Positive.", "A"),
        ("'C'", "C"),
        ("B positive", None),
        ("Answer: B", None),
        ("b", None),
        ("F", None),  # not an option
        ("BA", None),
        ("", None),
        ("I think it is neutral", None),
    ],
)
def test_parse_choice(text: str, expected: str | None) -> None:
    assert parse_choice(text, SA) == expected


def test_parse_choice_without_options_accepts_any_capital_letter() -> None:
    assert parse_choice("T", {}) == "T"
    assert parse_choice("positive", {}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("Yes", "yes"),
        (" NO.", "no"),
        ("Yes, both listings describe one product.", "yes"),
        ("**No**", "no"),
        ("yesterday", None),
        ("maybe", None),
        ("The answer is yes", None),
        ("", None),
    ],
)
def test_parse_yes_no(text: str, expected: str | None) -> None:
    assert parse_yes_no(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B,A,C", ("B", "A", "C")),
        (" B, A ,C ", ("B", "A", "C")),
        ("B > A > C", ("B", "A", "C")),
        ("B A C.", ("B", "A", "C")),
        ("B,A", ("B", "A")),  # leaves C out: valid, scores lower
        ("B,B,A", None),  # repeated item
        ("B,D", None),  # D is not listed
        ("first B then A", None),
        ("", None),
    ],
)
def test_parse_ranking(text: str, expected: tuple[str, ...] | None) -> None:
    assert parse_ranking(text, {"A", "B", "C"}) == expected


def test_parse_ranking_without_items_accepts_any_letters() -> None:
    assert parse_ranking("D,B,A,C") == ("D", "B", "A", "C")


def test_parse_triples_normalises_and_sorts() -> None:
    text = json.dumps(
        [
            {"attribute": "Size", "value": None, "source": "None"},
            {"attribute": "color", "value": "  Dark   Red ", "source": "Product Title"},
        ]
    )
    assert parse_triples(text) == (("color", "dark red", "product title"), ("size", NONE, NONE))


def test_parse_triples_collapses_duplicates_and_reads_python_literals() -> None:
    text = (
        "[{'attribute': 'color', 'value': 'red', 'source': 'product title'}, "
        "{'attribute': 'color', 'value': 'Red', 'source': 'product title'}]"
    )
    assert parse_triples(text) == (("color", "red", "product title"),)


def test_parse_triples_ignores_text_around_the_list() -> None:
    text = 'Sure! [{"attribute": "color", "value": "red", "source": "product title"}] Hope this helps.'
    assert parse_triples(text) == (("color", "red", "product title"),)


def test_parse_triples_reads_a_fenced_block_and_empty_lists() -> None:
    fenced = (
        'Here you go:\n```json\n[{"attribute": "brand", "value": "acme", "source": "product brand"}]\n```'
    )
    assert parse_triples(fenced) == (("brand", "acme", "product brand"),)
    assert parse_triples("[]") == ()
    assert parse_triples('[{"attribute": "a", "value": "", "source": 12}]') == (("a", NONE, "12"),)


@pytest.mark.parametrize(
    "text",
    [
        "no list here",
        '{"attribute": "color", "value": "red", "source": "title"}',
        '[{"attribute": "color", "value": "red"}]',  # no source
        '["color: red"]',
        '[{"attribute": "", "value": "red", "source": "title"}]',
        "[oops",
    ],
)
def test_parse_triples_invalid(text: str) -> None:
    assert parse_triples(text) is None


def test_parse_labels() -> None:
    assert parse_labels('["I", "e", "S"]') == ("I", "E", "S")
    assert parse_labels('["E", "X"]') is None
    assert parse_labels("[]") is None
    assert parse_labels(None) is None


def test_parse_answer_text() -> None:
    assert parse_answer_text(" It works. ") == " It works. "
    assert parse_answer_text("  \n") is None
