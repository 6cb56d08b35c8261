"""Every filter's exact reason strings (null = keep) and the recipe errors of `build_filters`."""

import re

import polars as pl
import pytest

from ecinstruct_builder.clean.filters import (
    FiltersConfig,
    Garbled,
    Language,
    LeftoverHtml,
    Required,
    ValidOptions,
    WordCount,
    build_filters,
    has_words,
)
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.schema import parse

COLUMNS = {"label", "options", "review", "title", "tags"}


def frame(**columns: list) -> pl.DataFrame:
    schema = {name: pl.List(pl.String) if name in ("tags", "options") else pl.String for name in columns}
    return pl.DataFrame(columns, schema=schema)


def test_required_names_the_first_empty_field_label_first():
    rows = frame(
        label=["5", None, "", "4", "4", "3"],
        review=["ok", "ok", "ok", "   ", None, "ok"],
        tags=[["a"], ["a"], ["a"], ["a"], [], [""]],
    )
    assert Required(("review", "tags")).reasons(rows).to_list() == [
        None,
        "empty:label",
        "empty:label",
        "empty:review",
        "empty:review",
        "empty:tags",  # a list of empty strings joins to an empty text
    ]


def test_word_count_minimum_and_maximum_per_field():
    rows = frame(review=["one two three", "one two", "a b c d e", None], title=["x y", "x y", "x", "x"])
    check = WordCount(minimum={"review": 3}, maximum={"review": 4, "title": 1})
    assert check.reasons(rows).to_list() == [
        "too_long:title",
        "too_short:review",
        "too_long:review",
        None,  # a missing field is the required filter's business
    ]


def test_word_count_counts_list_items_together():
    rows = frame(tags=[["red", "blue green"], ["red"]])
    assert WordCount(minimum={"tags": 3}, maximum={}).reasons(rows).to_list() == [None, "too_short:tags"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("clean text, naïve café ½", None),
        ("broken \ufffd char", "garbled:review:replacement_char"),
        ("cafÃ© latte", "garbled:review:mojibake"),
        ("it\u00e2\u20ac\u2122s fine", "garbled:review:mojibake"),  # ’ read as CP1252
        ("no\u00c2\u00a0break", "garbled:review:mojibake"),  # no-break space read as Latin-1
        ("bell\x07 ring", "garbled:review:control_char"),
        ("nul\x00byte", "garbled:review:control_char"),
        ("tab\tand\nnewline\r", None),  # ordinary whitespace is not garbage
        (None, None),
    ],
)
def test_garbled_reasons(text, reason):
    assert Garbled(("review",)).reasons(frame(review=[text])).to_list() == [reason]


def test_garbled_reports_the_first_field_and_kind():
    rows = frame(review=["fine", "bad\ufffd\x01"], tags=[["Ã©"], ["ok"]])
    assert Garbled(("review", "tags")).reasons(rows).to_list() == [
        "garbled:tags:mojibake",
        "garbled:review:replacement_char",
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>bold</b>", "html:review"),
        ("a &amp; b", "html:review"),
        ("&#8217; quote", "html:review"),
        ("x < 3 and y > 2", None),
        ("AT&T phone", None),
    ],
)
def test_leftover_html(text, reason):
    assert LeftoverHtml(("review",)).reasons(frame(review=[text])).to_list() == [reason]


def test_invalid_options_accepts_the_option_or_its_letter():
    rows = frame(
        label=["B", "bar", "C", "anything", "x"],
        options=[["A: foo", "B: bar"], ["foo", "bar"], ["A: foo", "B: bar"], [], ["y", "z"]],
    )
    assert ValidOptions().reasons(rows).to_list() == [None, None, "invalid_options", None, "invalid_options"]


ENGLISH = "This kettle boils water quickly and the handle stays cool, I am very happy with it."
GERMAN = "Der Wasserkocher ist sehr leise und das Wasser kocht schnell, ich bin sehr zufrieden."
SPANISH = "La batidora funciona muy bien y es fácil de limpiar, la recomiendo a todos."


def test_language_reason_names_the_field_and_the_language():
    rows = frame(review=[ENGLISH, GERMAN, ENGLISH, ""], title=["electric kettle", "kettle", SPANISH, GERMAN])
    check = Language(("review", "title"), engine="fasttext")
    assert check.reasons(rows).to_list() == [
        None,
        "language:review=de",
        "language:title=es",
        "language:title=de",
    ]


def test_language_accepts_every_listed_language_and_skips_short_texts():
    rows = frame(review=[ENGLISH, GERMAN, SPANISH])
    assert Language(("review",), languages=("en", "de")).reasons(rows).to_list() == [
        None,
        None,
        "language:review=es",
    ]
    assert Language(("review",), min_chars=200).reasons(rows).to_list() == [None, None, None]


def build(config: dict, text_fields=("review", "title"), required=("review",)):
    """The chain from a `[filters]` table, parsed the way a recipe is."""
    return build_filters(parse(FiltersConfig, config, "filters"), text_fields, required, COLUMNS, seed=3)


def test_build_filters_default_chain_and_order():
    chain = build(
        {"min_words": {"review": 10}, "language": {"engine": "langdetect", "languages": ["en", "fr"]}}
    )
    assert [f.name for f in chain] == ["required", "length", "garbled", "html", "options", "language"]
    assert [f.expensive for f in chain] == [False] * 5 + [True]
    required, _, garbled, *_, language = chain
    assert required.fields == ("review",) and garbled.fields == ("review", "title")
    # the language filter checks the required fields unless told otherwise, seeded from the recipe
    assert (language.fields, language.languages, language.engine, language.seed) == (
        ("review",),
        ("en", "fr"),
        "langdetect",
        3,
    )


def test_build_filters_language_true_means_the_defaults():
    (language,) = [f for f in build({"language": True}) if f.expensive]
    assert language == Language(("review",), ("en",), engine="fasttext", min_confidence=0.5, seed=3)


def test_build_filters_can_switch_filters_off():
    chain = build({"required": False, "garbled": False, "html": False, "options": False, "language": False})
    assert chain == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"profanity": True}, "filters: unknown key 'profanity'"),
        ({"min_words": {"body": 3}}, "filters names field 'body', which this task does not have"),
        ({"max_words": {"review": "ten"}}, "filters.max_words.review must be an integer, got 'ten'"),
        ({"min_words": {"review": -5}}, "filters.min_words.review must be an integer >= 0, got -5"),
        ({"min_words": 10}, "filters.min_words must be a table of integer, got 10"),
        ({"language": {"colour": "red"}}, "filters.language: unknown key 'colour'"),
        ({"language": "en"}, "filters.language must be a table or boolean, got 'en'"),
        ({"language": {"languages": "en"}}, "filters.language.languages must be a list of string, got 'en'"),
        ({"language": {"languages": ["english"]}}, "'english' is not an ISO 639 language code"),
        ({"language": {"min_confidence": 2}}, "min_confidence must be a number >= 0 and <= 1, got 2"),
        ({"language": {"fields": ["body"]}}, "filters.language.fields names field 'body'"),
        ({"language": {"engine": "cld3"}}, "filters.language.engine must be one of 'fasttext'"),
    ],
)
def test_build_filters_config_errors(config, message):
    with pytest.raises(RecipeError, match=re.escape(message)):
        build(config)


def test_word_limits_beyond_the_anchored_pattern_still_work():
    frame = pl.DataFrame({"text": [" ".join(["w"] * 6000), "a b"]})
    assert frame.select(has_words(pl.col("text"), 5000))["text"].to_list() == [True, False]
