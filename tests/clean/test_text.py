"""Text cleaning: HTML tags and entities, whitespace, NFKD-to-ASCII folding, list columns, nulls."""

import polars as pl
import pytest

from ecinstruct_builder.clean.text import CleanConfig, clean_columns
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.schema import parse

DEFAULT = CleanConfig()


def clean(values: list, config: CleanConfig = DEFAULT, dtype: pl.DataType = pl.String) -> list:
    frame = pl.DataFrame({"text": values}, schema={"text": dtype})
    return clean_columns(frame, ("text",), config)["text"].to_list()


def test_tags_are_removed_and_leave_a_word_boundary():
    assert clean(["<p>Sturdy<br/>lid</p>", "<div class='x'>Fits < 3 cups</div>"]) == [
        "Sturdy lid",
        "Fits < 3 cups",
    ]


def test_named_and_numeric_entities_are_decoded():
    assert clean(["Tom &amp; Jerry &quot;mug&quot; &#233;t&#xE9;", "5&nbsp;stars"]) == [
        'Tom & Jerry "mug" été',
        "5 stars",  # the decoded no-break space is whitespace too
    ]


def test_escaped_markup_is_decoded_but_not_stripped():
    # decoding runs after tag stripping, so escaped markup survives for the leftover-HTML filter
    assert clean(["&lt;b&gt;bold&lt;/b&gt;"]) == ["<b>bold</b>"]


def test_whitespace_runs_collapse_and_ends_are_trimmed():
    assert clean(["  two\n\nlines\tand   spaces  ", "   "]) == ["two lines and spaces", ""]


def test_nfkd_folding_keeps_base_letters_and_drops_the_rest():
    config = CleanConfig(nfkd_ascii=True)
    assert clean(["Café naïve ﬁsh", "日本 cable"], config) == ["Cafe naive fish", "cable"]


def test_nfkd_folding_is_off_by_default():
    assert clean(["Crème brûlée"]) == ["Crème brûlée"]


def test_switching_steps_off_leaves_the_text_alone():
    raw = "<b>a</b>  &amp;  b"
    assert clean([raw], CleanConfig(html=False)) == ["<b>a</b> &amp; b"]
    assert clean([raw], CleanConfig(whitespace=False)) == [" a   &  b"]
    assert clean([raw], CleanConfig(html=False, whitespace=False)) == [raw]


def test_nulls_stay_null_and_empty_stays_empty():
    assert clean([None, "", "&amp;"]) == [None, "", "&"]


def test_list_columns_are_cleaned_item_by_item():
    values = [["<i>red</i> &amp; blue", None, "  big  "], None, []]
    assert clean(values, dtype=pl.List(pl.String)) == [["red & blue", None, "big"], None, []]


def test_only_named_text_columns_change():
    frame = pl.DataFrame({"a": [" x "], "b": [" y "], "n": [3]})
    out = clean_columns(frame, ("a", "n"), CleanConfig())
    assert out.to_dicts() == [{"a": "x", "b": " y ", "n": 3}]


def test_clean_config_rejects_unknown_options():
    assert parse(CleanConfig, {"nfkd_ascii": True}, "clean") == CleanConfig(nfkd_ascii=True)
    with pytest.raises(RecipeError, match="clean: unknown key 'lowercase'"):
        parse(CleanConfig, {"lowercase": True}, "clean")
