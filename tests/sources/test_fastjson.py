"""Native JSON-lines reading gives the tables and quarantine the Python readers give, line for line.

Each adapter is run twice on the same awkward file: as shipped (Arrow decodes what it can) and with
Arrow switched off (every line through the Python reader, the reference). Chunks are made tiny so
that chunk boundaries, halving and the per-line fallback are all exercised.
"""

from __future__ import annotations

import ast
import gzip
import json
import random
from pathlib import Path

import polars as pl
import pytest

from ecinstruct_builder.io import iter_lines
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.sources import _fastjson
from ecinstruct_builder.sources import amazon2014 as amazon2014_module
from ecinstruct_builder.sources import amazon2018 as amazon2018_module
from ecinstruct_builder.sources import amazonqa as amazonqa_module
from ecinstruct_builder.sources import mave as mave_module
from ecinstruct_builder.sources.amazon2014 import Amazon2014, repr_to_json
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.sources.amazonqa import AmazonQA
from ecinstruct_builder.sources.base import InputFile
from ecinstruct_builder.sources.mave import Mave

# where each adapter finds its per-line Python reader (the reference)
PYTHON_READER = {
    Amazon2018: (amazon2018_module, "record_row"),
    Amazon2014: (amazon2014_module, "record_row"),
    Mave: (mave_module, "record_row"),
    AmazonQA: (amazonqa_module, "record_row"),
}
GOOD_REVIEW = {"asin": "B0A", "reviewerID": "U1", "overall": 5.0, "reviewText": "fine", "unixReviewTime": 1}


def review(**fields: object) -> str:
    return json.dumps({**GOOD_REVIEW, **fields})


def write(path: Path, lines: list[bytes | str], end: bytes = b"\n") -> Path:
    data = end.join(line.encode() if isinstance(line, str) else line for line in lines)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def read(adapter, file: InputFile, options: dict) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    quarantine = Quarantine()
    frames = [frame for _, frame in adapter.read_file(file, options, quarantine)]
    return (pl.concat(frames) if frames else None), quarantine.frame()


def native_and_python(adapter, file: InputFile, options: dict, monkeypatch: pytest.MonkeyPatch):
    """(native result, reference result, lines the native run sent to the Python reader)."""
    monkeypatch.setattr(_fastjson, "CHUNK_BYTES", 700)
    monkeypatch.setattr(_fastjson, "BLOCK_LINES", 2)
    module, name = PYTHON_READER[type(adapter)]
    python_row = getattr(module, name)
    sent: list[int] = []

    def counting(*args, **kwargs):
        sent.append(args[4])  # the line number
        return python_row(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    native = read(adapter, file, options)
    monkeypatch.setattr(module, name, python_row)
    monkeypatch.setattr(_fastjson, "_arrow", lambda payload, schema: None)
    reference = read(adapter, file, options)
    monkeypatch.undo()
    return native, reference, sent


def assert_same(native, reference) -> None:
    (rows, quarantine), (ref_rows, ref_quarantine) = native, reference
    assert (rows is None) == (ref_rows is None)
    if rows is not None:
        assert rows.equals(ref_rows), (rows, ref_rows)
    assert quarantine.equals(ref_quarantine), (quarantine, ref_quarantine)


def test_line_chunks_number_lines_as_iter_lines_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fastjson, "CHUNK_BYTES", 16)
    lines = [b'{"a": 1}', b"", b"  ", b"\x0c", b'{"b": "\xff"}', b'{"c": 2}\r', b"x" * 40, b"last"]
    path = write(tmp_path / "f.jsonl.gz", lines)
    expected = [(n, raw) for n, raw in iter_lines(path)]
    got = [(chunk.first, chunk.block) for chunk in _fastjson.line_chunks(path)]
    rebuilt = [(first + i, line) for first, block in got for i, line in enumerate(block.split(b"\n"))]
    assert [(n, raw.rstrip(b"\r")) for n, raw in rebuilt] == expected
    capped = [c.block for c in _fastjson.line_chunks(path, max_lines=3)]
    assert b"\n".join(capped).split(b"\n") == [b'{"a": 1}', b"", b"  "]


def test_reviews_native_equals_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [
        review(style={"Size:": " L", "Color:": ' "red", 2,3'}, vote="1,234", verified=True),
        review(style={"n": {"x": "y"}}),  # not all strings: Python writes the JSON
        review(style=""),  # a string, which Arrow refuses: Python reads it as none
        review(vote=5),
        review(vote=" 12"),
        review(overall="5"),  # quarantined: not a number
        review(asin=""),  # quarantined: missing asin
        '{"asin": "B0X", "asin": "B0Y", "overall": 4}',  # a repeated key: the last one wins
        review(reviewText="\ud800"),  # a lone surrogate
        b'{"asin": "B0\xff"}',
        review() + review(),  # two objects on one line
        "",
        "   ",
        review(unixReviewTime=1.5e9),
        review(reviewText="\\ud83d\\ude00 ok", summary='he said "style": {"a": "b"}'),
        review(style={"a": "b"}, other={"style": "x"}),
        review(style={"a": "x}y"}),
    ]
    path = write(tmp_path / "Tools.json.gz", lines, end=b"\r\n")
    native, reference, sent = native_and_python(
        Amazon2018(), InputFile(path, "Tools"), {"review_max_lines": 17}, monkeypatch
    )
    assert_same(native, reference)
    assert native[0].height == 10 and native[1].height == 5
    assert len(sent) < 14  # most lines never reach Python


def meta(**fields: object) -> str:
    return json.dumps({"asin": "B0M", "title": "Pan", "rank": "#5 in Home", **fields})


def test_meta_native_equals_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = '<tr><a href="/dp/B01234ABCD">x</a> asin=B09876ZYXW, asin: b0aaaaaaaa</tr>'
    lines = [
        meta(rank=["#1 in A", "", "#2 in B"], details={"Weight:": "2 lb", "Parts:": 3}, price="$1,299.00"),
        meta(rank=None, description=["", "Fish &amp; chips"], feature=["", "light"]),
        meta(rank=7),  # quarantined
        meta(details={"rank": "inside"}, title="Tom &amp; Jerry"),
        meta(tech1={"rank": "nested"}, rank="#3"),
        json.dumps({"asin": "B0Q", "tech1": {"x": "1", "rank": "nested"}}),  # the record has no rank
        meta(tech1={"x": 1}),
        meta(similar_item=table, main_cat='<img src="x" alt="Sports &amp; Outdoors"/>'),
        meta(similar_item="<b>asin: B0CAFEÉBABE</b> asin B0FACADE12"),
        meta(description="one string"),
        meta(price="\x1c$5"),
        meta(details=""),
        '{"asin": "B0N", "rank": "a", "rank": ["b"]}',
    ]
    path = write(tmp_path / "meta_Home.json.gz", lines)
    native, reference, sent = native_and_python(Amazon2018(), InputFile(path, "Home"), {}, monkeypatch)
    assert_same(native, reference)
    assert native[0].height == 12 and len(sent) < 13


def test_2014_literals_native_equals_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = [
        {"asin": "B01", "title": 'Screen 15.6" wide', "price": 9.5, "salesRank": {"Toys": 12}},
        {
            "asin": "B02",
            "title": "Kid's bike",
            "categories": [["A", "B"], ["C"]],
            "related": {"also_bought": ["B03"]},
        },
        {"asin": "B04", "description": "tab\there", "brand": "Acme &amp; Co"},
        {"asin": "B05", "salesRank": {"Toys": 1.5}},
        {"asin": "B06", "related": {"also_viewed": ["B07", None]}},
    ]
    lines = [repr(r) for r in records] + [
        "{'asin': 'B08', 'x': True}",
        json.dumps({"asin": "B09"}),
        "{'asin': (1,",
    ]
    path = write(tmp_path / "meta_Toys.json.gz", lines)
    native, reference, _ = native_and_python(Amazon2014(), InputFile(path, "Toys"), {}, monkeypatch)
    assert_same(native, reference)
    assert native[0]["asin"].to_list() == ["B01", "B02", "B04", "B05", "B08", "B09"]


def test_mave_and_amazonqa_native_equal_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = {"value": "red", "pid": 0, "begin": 0, "end": 3}
    good = {"id": "B1", "category": "Shoes", "paragraphs": [{"text": "red", "source": "title"}]}
    mave_lines = [
        json.dumps({**good, "attributes": [{"key": "Color", "evidences": [evidence]}]}),
        json.dumps({**good, "attributes": [{"key": "Color", "evidences": [{**evidence, "pid": 3}]}]}),
        json.dumps({**good, "attributes": [{"key": "Color", "evidences": [None]}]}),
        json.dumps({**good, "attributes": [{"key": "Color", "evidences": [{**evidence, "pid": True}]}]}),
        json.dumps({**good, "paragraphs": [None], "attributes": []}),
    ]
    path = write(tmp_path / "mave_positives.jsonl", mave_lines)
    native, reference, _ = native_and_python(Mave(), InputFile(path), {}, monkeypatch)
    assert_same(native, reference)
    assert native[0].height == 1

    qa = {"qid": 1, "asin": "B1", "category": "Toys", "questionText": "q?", "questionType": "yesno"}
    qa |= {
        "review_snippets": ["s"],
        "answers": [{"answerText": "yes", "helpful": [1, None]}],
        "is_answerable": 1,
    }
    qa_lines = [
        json.dumps(qa),
        json.dumps({**qa, "category": "Books", "qid": "junk"}),  # another category: skipped, not quarantined
        json.dumps({**qa, "is_answerable": True}),
        json.dumps({**qa, "is_answerable": 2}),
        json.dumps({**qa, "answers": [{"answerText": None}]}),
        json.dumps({**qa, "review_snippets": ["a", None]}),
    ]
    path = write(tmp_path / "train-qar.jsonl", qa_lines)
    file = InputFile(path, split="train")
    native, reference, _ = native_and_python(AmazonQA(), file, {"categories": ["Toys"]}, monkeypatch)
    assert_same(native, reference)
    assert native[0]["is_answerable"].to_list() == [1, 1] and native[1].height == 3


def test_object_text_is_pythons_json_dumps() -> None:
    rng = random.Random(3)
    alphabet = ["a", ",", ":", '"', "\\", "{", "}", " ", "é", "1", "\n", "\x01", "😀", "/"]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    objects = [{}, {"a": ","}, {"k": ",", "m": "x"}, {"a": 1, "b": -20}, {"x": "a,"}]
    objects += [
        {text(): rng.choice([rng.randint(-(10**6), 10**6), text()]) for _ in range(4)} for _ in range(500)
    ]
    compact = pl.Series([json.dumps(o) for o in objects]).str.json_path_match("$")
    got = pl.select(_fastjson.object_text(pl.lit(compact))).to_series().to_list()
    assert got == [json.dumps(o, ensure_ascii=False) for o in objects]
    nested = pl.Series(['{"a":{"b":"c"}}', '{"a":1.5}', '{"a":[1]}'])
    assert pl.select(_fastjson.object_text(pl.lit(nested))).to_series().to_list() == [None] * 3


def test_repr_to_json_is_exact_or_leaves_the_line_for_python() -> None:
    rng = random.Random(5)
    pieces = ["a", "'", '"', " ", "é", "\\", "\t", "True"]

    def value(depth: int = 0) -> object:
        kind = rng.randrange(6 if depth < 2 else 3)
        if kind == 0:
            return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        if kind == 1:
            return rng.choice([0, -3, 10**12, 2.5, 1e-05, 1e16])
        if kind == 2:
            return rng.choice([True, None, "x"])
        if kind == 3:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {f"k{i}": value(depth + 1) for i in range(rng.randint(0, 3))}

    records = [{"asin": "B0", "v": value()} for _ in range(400)]
    lines = pl.Series([repr(r) for r in records])
    translated = repr_to_json(lines).to_list()
    exact = 0
    for line, text in zip(lines.to_list(), translated, strict=True):
        try:
            parsed = json.loads(text)
        except ValueError:
            continue  # left for ast.literal_eval
        assert parsed == ast.literal_eval(line)
        exact += 1
    assert exact > 150  # most lines need no Python at all


def test_object_column_is_pythons_json_dumps_whatever_the_spelling() -> None:
    spellings = [
        '{"style": {"Size:": " L", "Color:": " \\"red\\"\\tx"}}',  # as json.dumps writes it
        '{"style": {"Size:": "caf\\u00e9 \\/ x"}}',  # escapes Python would not write
        '{"style": {"a":"b","c":"d"}}',  # compact separators
        '{"style": {"a": "b", "a": "c"}}',  # a repeated key: the last value, at the first place
        '{"style": {"n": 12, "m": -3}}',
        '{"x": 1, "style": {}}',
        '{"style": {"n": {"deep": "er"}}}',  # not flat: left to Python
    ]
    decoded = pl.DataFrame({"text": spellings, "style": [{"k": 1}] * len(spellings)})
    got = _fastjson.object_column(decoded, "style", "style").to_list()
    expected = [json.dumps(json.loads(s)["style"], ensure_ascii=False) for s in spellings[:-1]]
    assert got == [*expected, None]
