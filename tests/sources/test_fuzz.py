"""Fuzzing every adapter through `run_fetch`: line-level corruption inside otherwise valid files,
file-level damage, and harmless variants (BOM, CRLF...) that must be read intact, each in a fresh tiny
source dir.

For every input the outcome must be one of: every good record arrives and every bad line is in the
quarantine with its file, line and a reason; or fetch fails with an EcbuildError whose message is one
line naming the damaged file (what the CLI prints, exit 1). Anything else is a traceback (another
exception) or a silent loss (a good record missing, a bad line not quarantined where it was, a U+FFFD
that was not in the input). The counts are printed (`pytest -s`) and recorded in docs/robustness.md.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest

from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.errors import EcbuildError
from ecinstruct_builder.fetch import run_fetch

CATEGORY = "Widgets"
MAPPING = "Amzon_GoogleProducts_perfectMapping.csv"
GOOD_LINES = 4  # good records per corrupted file; the bad line goes before the first, among or after them
PLACEHOLDER = "@@BAD@@"


@dataclass(frozen=True)
class JsonFile:
    """A JSON-lines file of one adapter and how to make its records."""

    path: str  # under the source dir
    table: str
    id_column: str  # table column holding a record's id
    record: Callable[[str], dict]  # id -> a good record
    id_key: str  # the record key that becomes `id_column`
    number_key: str  # a known field that must be typed (receives NaN, Infinity...)
    int_key: str | None = None  # a known Int64 field (receives an integer too big for 64 bits)
    literal: bool = False  # Python-literal lines (the 2014 metadata)

    def line(self, record: dict) -> bytes:
        return (repr(record) if self.literal else json.dumps(record)).encode("utf-8")


@dataclass(frozen=True)
class CsvFile:
    """A CSV of one adapter: header, and how to make a good record's fields from an id."""

    path: str
    table: str
    id_column: str
    header: bytes | None  # None: no header (the 2018 ratings)
    fields: Callable[[str], list[str]]
    quoted: bool = True

    def line(self, fields: list[str]) -> bytes:
        if not self.quoted:
            return ",".join(fields).encode()
        return ",".join(f'"{value}"' for value in fields).encode()


@dataclass(frozen=True)
class BinaryFile:
    path: str
    write: Callable[[Path], None]


SourceFile = JsonFile | CsvFile | BinaryFile


def _review18(key: str) -> dict:
    return {"asin": key, "reviewerID": "R1", "overall": 4.0, "reviewText": "Works.", "unixReviewTime": 1}


def _qa(key: str) -> dict:
    return {
        "qid": sum(map(ord, key)) * 100 + len(key),
        "asin": f"B0{key}",
        "category": CATEGORY,
        "questionText": "Does it fold?",
        "questionType": "yesno",
        "review_snippets": ["It folds."],
        "answers": [{"answerText": "Yes.", "answerType": "Y", "helpful": [1, 2]}],
        "is_answerable": 1,
    }


def _mave(key: str) -> dict:
    return {
        "id": key,
        "category": "Kettles",
        "paragraphs": [{"text": "Steel kettle 1.7 L", "source": "title"}],
        "attributes": [
            {"key": "Capacity", "evidences": [{"value": "1.7 L", "pid": 0, "begin": 13, "end": 18}]}
        ],
    }


def _esci(folder: Path) -> None:
    pl.DataFrame(
        {
            "example_id": [1, 2],
            "query": ["fan", "lamp"],
            "query_id": [1, 2],
            "product_id": ["P1", "P2"],
            "product_locale": ["us", "us"],
            "esci_label": ["E", "I"],
            "small_version": [1, 1],
            "large_version": [1, 1],
            "split": ["train", "test"],
        }
    ).write_parquet(folder / "shopping_queries_dataset_examples.parquet")
    pl.DataFrame(
        {
            "product_id": ["P1", "P2"],
            "product_title": ["Fan", "Lamp"],
            "product_description": pl.Series([None, None], dtype=pl.String),
            "product_bullet_point": pl.Series([None, None], dtype=pl.String),
            "product_brand": ["A &amp; B", None],
            "product_color": pl.Series([None, None], dtype=pl.String),
            "product_locale": ["us", "us"],
        }
    ).write_parquet(folder / "shopping_queries_dataset_products.parquet")


def _parquet_writer(name: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        scratch = path.parent / ".scratch"
        scratch.mkdir()
        _esci(scratch)
        (scratch / name).rename(path)
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()

    return write


# Every adapter's files: the source name and its files, the first of which gets the line corruption.
SOURCES: dict[str, list[SourceFile]] = {
    "amazon2018": [
        JsonFile(
            f"{CATEGORY}.json.gz",
            "amazon2018_reviews",
            "asin",
            _review18,
            "asin",
            "overall",
            "unixReviewTime",
        ),
        JsonFile(
            f"meta_{CATEGORY}.json.gz",
            "amazon2018_meta",
            "asin",
            lambda k: {"asin": k, "title": "Kettle", "category": ["Home &amp; Kitchen"]},
            "asin",
            "title",
        ),
        CsvFile(
            f"{CATEGORY}.csv",
            "amazon2018_ratings",
            "user",
            None,
            lambda k: ["B0ITEM0001", k, "4.0", "1500000000"],
            quoted=False,
        ),
    ],
    "amazon2014": [
        JsonFile(
            f"meta_{CATEGORY}.json.gz",
            "amazon2014_meta",
            "asin",
            lambda k: {"asin": k, "title": "Lamp", "price": 3.5, "categories": [["Home"]]},
            "asin",
            "price",
            literal=True,
        ),
    ],
    "amazon2023": [
        JsonFile(
            f"{CATEGORY}.jsonl",
            "amazon2023_reviews",
            "asin",
            lambda k: {
                "rating": 5.0,
                "text": "Good.",
                "asin": k,
                "parent_asin": "B1",
                "user_id": "U1",
                "timestamp": 1,
            },
            "asin",
            "rating",
            "timestamp",
        ),
        JsonFile(
            f"meta_{CATEGORY}.jsonl",
            "amazon2023_meta",
            "parent_asin",
            lambda k: {"parent_asin": k, "title": "Mug", "average_rating": 4.5, "rating_number": 3},
            "parent_asin",
            "average_rating",
            "rating_number",
        ),
    ],
    "amazonqa": [
        JsonFile("train-qar.jsonl", "amazonqa", "asin", _qa, "asin", "qid", "qid"),
        JsonFile("val-qar.jsonl", "amazonqa", "asin", lambda k: _qa(f"{k}0"), "asin", "qid"),
        JsonFile("test-qar.jsonl", "amazonqa", "asin", lambda k: _qa(f"{k}1"), "asin", "qid"),
    ],
    "mave": [
        JsonFile("mave_positives.jsonl", "mave", "id", _mave, "id", "id"),
        JsonFile("mave_negatives.jsonl", "mave", "id", lambda k: _mave(f"n{k}"), "id", "id"),
    ],
    "esci": [
        CsvFile(
            "shopping_queries_dataset_sources.csv",
            "esci",
            "query_source",
            b"query_id,source",
            lambda k: [k.removeprefix("q"), "behavioral"],
            quoted=False,
        ),
        BinaryFile(
            "shopping_queries_dataset_examples.parquet",
            _parquet_writer("shopping_queries_dataset_examples.parquet"),
        ),
        BinaryFile(
            "shopping_queries_dataset_products.parquet",
            _parquet_writer("shopping_queries_dataset_products.parquet"),
        ),
    ],
    "amazon_google": [
        CsvFile(
            "Amazon.csv",
            "amazon_google_products",
            "id",
            b'"id","title","description","manufacturer","price"',
            lambda k: [k, "photo suite", "edit photos", "maker", "9.99"],
        ),
        CsvFile(
            "GoogleProducts.csv",
            "amazon_google_products",
            "id",
            b'"id","name","description","manufacturer","price"',
            lambda k: [f"g{k}", "photo suite", "", "", "9.99 gbp"],
        ),
        CsvFile(
            "Amzon_GoogleProducts_perfectMapping.csv",
            "amazon_google_mapping",
            "id_amazon",
            b'"idAmazon","idGoogleBase"',
            lambda k: [k, f"g{k}"],
        ),
    ],
}


def _gz(path: str, data: bytes) -> bytes:
    return gzip.compress(data, mtime=0) if path.endswith(".gz") else data


def _key(spec: SourceFile, index: int) -> str:
    return f"q{index + 1}" if isinstance(spec, CsvFile) and spec.table == "esci" else f"K{index:04d}x"


def _good_lines(spec: JsonFile | CsvFile) -> list[bytes]:
    records = [_key(spec, i) for i in range(GOOD_LINES)]
    if isinstance(spec, JsonFile):
        return [spec.line(spec.record(key)) for key in records]
    return [spec.line(spec.fields(key)) for key in records]


# --- line-level corruptions: (name, make a bad line from the file's spec) -------------------------


def _json_variant(spec: JsonFile, key: str, value: object, raw: bytes | None = None) -> bytes:
    record = spec.record("BADREC")
    if value is _DELETE:
        del record[key]
    else:
        record[key] = PLACEHOLDER if raw is not None else value
    line = spec.line(record)
    quoted = (f"'{PLACEHOLDER}'" if spec.literal else f'"{PLACEHOLDER}"').encode()
    return line.replace(quoted, raw) if raw is not None else line


_DELETE = object()
_RNG = random.Random(14)
_JUNK = [
    bytes(_RNG.choice([b for b in range(256) if b not in (10, 13)]) for _ in range(40)) for _ in range(3)
]


def _json_corruptions(spec: JsonFile) -> list[tuple[str, bytes]]:
    good = spec.line(spec.record("BADREC"))
    quote = b"'" if spec.literal else b'"'
    cases = [
        ("truncated", good[: len(good) // 2]),
        ("invalid UTF-8 in a string", _json_variant(spec, spec.id_key, None, quote + b"caf\xe9" + quote)),
        ("overlong UTF-8", _json_variant(spec, spec.id_key, None, quote + b"a\xc0\xafb" + quote)),
        ("invalid UTF-8 in an unknown field", _json_variant(spec, "zz", None, quote + b"\xff\xfe" + quote)),
        ("NaN", _json_variant(spec, spec.number_key, None, b"NaN")),
        ("Infinity", _json_variant(spec, spec.number_key, None, b"Infinity")),
        ("-Infinity", _json_variant(spec, spec.number_key, None, b"-Infinity")),
        ("number too big for a double", _json_variant(spec, spec.number_key, None, b"1e999")),
        ("id is a number", _json_variant(spec, spec.id_key, 12345)),
        ("id is a list", _json_variant(spec, spec.id_key, ["x"])),
        ("id missing", _json_variant(spec, spec.id_key, _DELETE)),
        ("nested 5,000 deep", _json_variant(spec, "zz", None, b"[" * 5000 + b"]" * 5000)),
        ("array", b"[1, 2]"),
        ("null", b"null"),
        ("two objects on a line", good + b" " + good),
        ("open brace", b"{"),
        ("NUL byte", good[:10] + b"\x00" + good[10:]),
        ("UTF-16", good.decode().encode("utf-16")),
        ("byte-order mark mid-file", b"\xef\xbb\xbf" + good),
        *((f"binary junk {i}", junk) for i, junk in enumerate(_JUNK)),
    ]
    if not spec.literal:  # both are fine in a Python literal
        cases.append(("lone surrogate", _json_variant(spec, spec.id_key, None, b'"\\ud800"')))
        cases.append(("control character in a string", _json_variant(spec, spec.id_key, None, b'"a\x01b"')))
    else:
        cases.append(("a call, not a literal", _json_variant(spec, spec.id_key, None, b"__import__('os')")))
    if spec.int_key:
        cases.append(
            (
                "integer beyond 64 bits",
                _json_variant(spec, spec.int_key, None, b"123456789012345678901234567890"),
            )
        )
    return cases


def _csv_corruptions(spec: CsvFile) -> list[tuple[str, bytes]]:
    good = spec.fields("BADREC")
    cases = [
        ("too few fields", spec.line(good[:-1])),
        ("too many fields", spec.line([*good, "extra"])),
        ("NUL byte", spec.line(good)[:3] + b"\x00" + spec.line(good)[3:]),
        # a NUL first, so that junk can never pass for a record by chance
        *((f"binary junk {i}", b"\x00" + junk.replace(b'"', b"'")) for i, junk in enumerate(_JUNK)),
        ("UTF-16", spec.line(good).decode().encode("utf-16")),
    ]
    if spec.quoted:
        cases.append(("unclosed quote", b'"BADREC","a title with an unclosed quote'))
    if spec.table == "esci":
        cases += [("query_id not an integer", b"abc,behavioral"), ("source not a label", b"9,\xff\xfe")]
    if spec.table == "amazon2018_ratings":
        cases += [
            ("rating is NaN", spec.line(["B0ITEM0001", "BADREC", "NaN", "1"])),
            ("rating is inf", spec.line(["B0ITEM0001", "BADREC", "inf", "1"])),
            ("rating not a number", spec.line(["B0ITEM0001", "BADREC", "x", "1"])),
            ("invalid UTF-8", spec.line(["B0ITEM0001", "BAD\xe9", "4.0", "1"]).replace(b"\xc3\xa9", b"\xe9")),
        ]
    return cases


# --- the runs ------------------------------------------------------------------------------------


@dataclass
class Tally:
    tried: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def fail(self, kind: str, case: str, detail: str) -> None:
        self.outcomes[kind] += 1
        self.failures.append(f"{kind}: {case}: {detail}")


def _recipe(tmp: Path, source: str) -> Path:
    categories = f'categories = ["{CATEGORY}"]\n' if source.startswith("amazon20") else ""
    path = tmp / "recipe.toml"
    path.write_text(f'name = "fuzz"\norigin = "bundled"\n[sources.{source}]\n{categories}')
    return path


def _write(folder: Path, spec: SourceFile, lines: list[bytes] | None = None) -> None:
    target = folder / spec.path
    if isinstance(spec, BinaryFile):
        spec.write(target)
        return
    body = list(lines if lines is not None else _good_lines(spec))
    if isinstance(spec, CsvFile) and spec.header is not None:
        body.insert(0, spec.header)
    target.write_bytes(_gz(spec.path, b"\n".join(body) + b"\n"))


def _arrived(workdir: Path, files: list[SourceFile]) -> set[tuple[str, str]]:
    found = set()
    for spec in files:
        if isinstance(spec, BinaryFile):
            continue
        table = pl.read_parquet(workdir / "sources" / f"{spec.table}.parquet")
        if spec.table == "esci":  # a sources.csv record arrives as the query_source of its query
            ids = table.filter(pl.col("query_source").is_not_null())["query_id"]
        else:
            ids = table[spec.id_column].drop_nulls()
        found |= {(spec.table, str(value)) for value in ids}
        _assert_no_replacement_character(table)
    return found


def _assert_no_replacement_character(table: pl.DataFrame) -> None:
    text = [name for name, dtype in table.schema.items() if dtype == pl.String]
    if text:
        assert not table.select(pl.any_horizontal(pl.col(text).str.contains("\ufffd"))).to_series().any()


def _expected(files: list[SourceFile]) -> set[tuple[str, str]]:
    expected = set()
    for spec in files:
        if isinstance(spec, BinaryFile):
            continue
        for index in range(GOOD_LINES):
            key = _key(spec, index)
            if isinstance(spec, JsonFile):
                value = str(spec.record(key)[spec.id_key])
            else:
                value = (
                    key.removeprefix("q")
                    if spec.table == "esci"
                    else spec.fields(key)[0 if spec.table != "amazon2018_ratings" else 1]
                )
            expected.add((spec.table, value))
    if any(isinstance(spec, CsvFile) and spec.table == "esci" for spec in files):
        expected = {item for item in expected if item[0] != "esci"} | {("esci", "1"), ("esci", "2")}
    return expected


def _fetch(tmp: Path, source: str) -> tuple[str, object]:
    """("ok", workdir) or ("error", message) or ("traceback", exception)."""
    recipe = load_recipe(str(_recipe(tmp, source)))
    workdir = tmp / "work"
    try:
        run_fetch(recipe, workdir, tmp / "src", progress=False)
    except EcbuildError as exc:
        return "error", str(exc)
    except Exception as exc:  # anything else is a traceback: exactly what this test counts
        return "traceback", exc
    return "ok", workdir


def _line_case(tmp: Path, tally: Tally, source: str, name: str, bad: bytes, position: int) -> None:
    files = SOURCES[source]
    target = files[0]
    assert not isinstance(target, BinaryFile)
    folder = tmp / "src" / source
    folder.mkdir(parents=True)
    lines = _good_lines(target)
    lines.insert(position, bad)
    for spec in files:
        _write(folder, spec, lines if spec is target else None)
    header = 1 if isinstance(target, CsvFile) and target.header is not None else 0
    case = f"{source}/{target.path} line {position + 1 + header}: {name}"
    detail = _run(tmp, tally, source, case, target.path)
    if detail is None:
        return None
    arrived, expected = _arrived(detail, files), _expected(files)
    if arrived != expected:
        return tally.fail("silent loss", case, f"missing {expected - arrived}, extra {arrived - expected}")
    quarantine = pl.read_parquet(detail / "sources" / "quarantine.parquet")
    where = quarantine.filter(pl.col("file").str.ends_with(target.path)).select("line", "reason").rows()
    if [line for line, _ in where] != [position + 1 + header] or not all(reason for _, reason in where):
        return tally.fail("silent loss", case, f"quarantine holds {where}")
    tally.outcomes["quarantined"] += 1


def _run(tmp: Path, tally: Tally, source: str, case: str, named: str) -> Path | None:
    """Fetch one input and count it; the workdir when fetch succeeded, None when it failed (a clean
    error naming `named`, or not: both are tallied here)."""
    tally.tried += 1
    outcome, detail = _fetch(tmp, source)
    if outcome == "traceback":
        tally.fail("traceback", case, repr(detail))
    elif outcome == "error":
        _clean_error(tally, case, str(detail), named)
    else:
        assert isinstance(detail, Path)
        return detail
    return None


def _clean_error(tally: Tally, case: str, message: str, name: str) -> None:
    if "\n" in message or Path(name).name not in message:
        return tally.fail("unclear error", case, message)
    tally.outcomes["clean error"] += 1


# --- file-level damage: (name, applies to a file?, make the damage at the path) -------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "no-such-target")


def _truncated_gzip(path: Path) -> None:
    data = gzip.compress(
        b"".join(b'{"asin": "B%08d", "reviewerID": "R"}\n' % i for i in range(3000)), mtime=0
    )
    path.write_bytes(data[: len(data) // 2])


def _corrupt_middle(path: Path, spec: SourceFile) -> None:
    _write(path.parent, spec)
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 8):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _utf16(path: Path, spec: SourceFile) -> None:
    _write(path.parent, spec)
    text = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    path.write_bytes(_gz(path.name, text.decode().encode("utf-16")))


FILE_DAMAGE: list[tuple[str, Callable[[SourceFile], bool], Callable[[Path, SourceFile], None]]] = [
    ("missing", lambda spec: True, lambda path, spec: None),
    ("empty", lambda spec: True, lambda path, spec: path.write_bytes(b"")),
    ("only blank lines", lambda spec: True, lambda path, spec: path.write_bytes(b"\n \n\r\n")),
    ("gzip of nothing", lambda spec: True, lambda path, spec: path.write_bytes(gzip.compress(b"", mtime=0))),
    (
        "Git LFS pointer",
        lambda spec: True,
        lambda path, spec: path.write_bytes(
            b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 123\n"
        ),
    ),
    ("a folder", lambda spec: True, lambda path, spec: path.mkdir()),
    ("a FIFO", lambda spec: True, lambda path, spec: _fifo(path)),
    ("a dangling link", lambda spec: True, lambda path, spec: _dangling(path)),
    ("random bytes", lambda spec: True, lambda path, spec: path.write_bytes(_JUNK[0] * 20)),
    ("truncated gzip", lambda spec: spec.path.endswith(".gz"), lambda path, spec: _truncated_gzip(path)),
    # gzip has a checksum; Parquet pages have none by default, so flipped bytes there can pass as data
    ("corrupt bytes mid-file", lambda spec: spec.path.endswith(".gz"), _corrupt_middle),
    ("UTF-16 file", lambda spec: not isinstance(spec, BinaryFile), _utf16),
    (
        "header only",
        lambda spec: isinstance(spec, CsvFile) and spec.header is not None,
        lambda path, spec: path.write_bytes(spec.header + b"\n"),
    ),
    (
        "truncated Parquet",
        lambda spec: spec.path.endswith(".parquet"),
        lambda path, spec: (spec.write(path), path.write_bytes(path.read_bytes()[:-20])),
    ),
]


def _source_folder(tmp: Path, source: str, without: SourceFile | None = None) -> Path:
    """A source folder holding the good version of each of the source's files but `without`."""
    folder = tmp / "src" / source
    folder.mkdir(parents=True)
    for spec in SOURCES[source]:
        if spec is not without:
            _write(folder, spec)
    return folder


def _file_case(
    tmp: Path, tally: Tally, source: str, damaged: SourceFile, name: str, damage: Callable
) -> None:
    folder = _source_folder(tmp, source, without=damaged)
    damage(folder / damaged.path, damaged)
    case = f"{source}/{damaged.path}: {name}"
    if _run(tmp, tally, source, case, damaged.path) is not None:
        tally.fail("silent loss", case, "fetch succeeded on a damaged file")


# Harmless differences every reader must take in its stride: (name, transform of the file's bytes).
GOOD_VARIANTS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("UTF-8 byte-order mark", lambda data: b"\xef\xbb\xbf" + data),
    ("CRLF line ends", lambda data: data.replace(b"\n", b"\r\n")),
    ("no newline at the end", lambda data: data.rstrip(b"\n")),
    ("blank lines between records", lambda data: data.replace(b"\n", b"\n\n")),
]


def _variant_case(
    tmp: Path, tally: Tally, source: str, changed: SourceFile, name: str, change: Callable
) -> None:
    path = _source_folder(tmp, source) / changed.path
    plain = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    path.write_bytes(_gz(path.name, change(plain)))
    case = f"{source}/{changed.path}: {name}"
    workdir = _run(tmp, tally, source, case, changed.path)
    if workdir is None:
        return
    arrived, expected = _arrived(workdir, SOURCES[source]), _expected(SOURCES[source])
    quarantine = pl.read_parquet(workdir / "sources" / "quarantine.parquet")
    if arrived != expected or quarantine.height:
        return tally.fail(
            "silent loss", case, f"missing {expected - arrived}, quarantined {quarantine.rows()}"
        )
    tally.outcomes["read intact"] += 1


def _zip_members(drop: str | None = None, header_only: str | None = None) -> dict[str, bytes]:
    members = {}
    for spec in SOURCES["amazon_google"]:
        assert isinstance(spec, CsvFile) and spec.header is not None
        lines = [] if spec.path == header_only else _good_lines(spec)
        if spec.path != drop:
            members[f"Amazon-GoogleProducts/{spec.path}"] = b"\n".join([spec.header, *lines]) + b"\n"
    return members


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _flipped(data: bytes) -> bytes:
    middle = bytearray(data)
    for offset in range(len(middle) // 4, len(middle) // 4 + 8):  # inside the first member's data
        middle[offset] ^= 0x5A
    return bytes(middle)


# The zip the Leipzig site serves, damaged: (name, archive bytes, the name the error must give).
ZIP_DAMAGE: list[tuple[str, Callable[[], bytes], str]] = [
    ("truncated zip", lambda: _zip(_zip_members())[:200], "Amazon-GoogleProducts.zip"),
    ("zip without the mapping", lambda: _zip(_zip_members(drop=MAPPING)), MAPPING),
    ("zip with a header-only member", lambda: _zip(_zip_members(header_only="Amazon.csv")), "Amazon.csv"),
    ("zip with corrupt bytes", lambda: _flipped(_zip(_zip_members())), "Amazon-GoogleProducts.zip"),
    ("zip of nothing", lambda: _zip({}), "Amzon_GoogleProducts_perfectMapping.csv"),
]


def _zip_case(tmp: Path, tally: Tally, name: str, archive: Callable[[], bytes], named: str) -> None:
    folder = tmp / "src" / "amazon_google"
    folder.mkdir(parents=True)
    (folder / "Amazon-GoogleProducts.zip").write_bytes(archive())
    case = f"amazon_google/Amazon-GoogleProducts.zip: {name}"
    if _run(tmp, tally, "amazon_google", case, named) is not None:
        tally.fail("silent loss", case, "fetch succeeded on a damaged archive")


def _cases() -> list[tuple[str, Callable[[Path, Tally], None]]]:
    cases = [
        (name, lambda tmp, tally, n=name, a=archive, w=named: _zip_case(tmp, tally, n, a, w))
        for name, archive, named in ZIP_DAMAGE
    ]
    for source, files in SOURCES.items():
        target = files[0]
        assert not isinstance(target, BinaryFile)
        corruptions = _json_corruptions(target) if isinstance(target, JsonFile) else _csv_corruptions(target)
        for index, (name, bad) in enumerate(corruptions):
            # before the first good line, among them or after the last, in turn
            position = (0, GOOD_LINES // 2, GOOD_LINES)[index % 3]
            if name == "byte-order mark mid-file":
                position = GOOD_LINES // 2
            cases.append(
                (
                    f"{source} {name}",
                    lambda tmp, tally, s=source, n=name, b=bad, p=position: _line_case(
                        tmp, tally, s, n, b, p
                    ),
                )
            )
        for spec in files:
            if not isinstance(spec, BinaryFile):
                cases += [
                    (
                        f"{source} {spec.path} {name}",
                        lambda tmp, tally, s=source, d=spec, n=name, f=change: _variant_case(
                            tmp, tally, s, d, n, f
                        ),
                    )
                    for name, change in GOOD_VARIANTS
                ]
            for name, applies, damage in FILE_DAMAGE:
                if applies(spec):
                    cases.append(
                        (
                            f"{source} {spec.path} {name}",
                            lambda tmp, tally, s=source, d=spec, n=name, f=damage: _file_case(
                                tmp, tally, s, d, n, f
                            ),
                        )
                    )
    return cases


def test_fuzzed_inputs_give_no_traceback_and_no_silent_loss(tmp_path: Path) -> None:
    tally = Tally()
    for index, (_, run) in enumerate(_cases()):
        run(tmp_path / f"case{index:04d}", tally)
    summary = {"inputs tried": tally.tried, **tally.outcomes}
    print("\nfuzz:", json.dumps(summary))  # the counts in docs/robustness.md
    assert tally.failures == [], "\n".join(tally.failures)
    assert tally.tried >= 200
    assert sum(tally.outcomes[kind] for kind in ("clean error", "quarantined", "read intact")) == tally.tried


@pytest.mark.parametrize("position", [0, 2, 4])
@pytest.mark.parametrize(("depth", "kept"), [(300, True), (5_000, False)])
def test_a_line_verdict_does_not_depend_on_its_neighbours(
    tmp_path: Path, position: int, depth: int, kept: bool
) -> None:
    """A deep record, among good lines or next to a broken one (which sends its chunk to the Python
    reader), gets the same verdict: kept when Python's parser can read it, else quarantined."""
    spec = SOURCES["amazon2018"][0]
    assert isinstance(spec, JsonFile)
    deep = _json_variant(spec, "style", None, b'{"a": ' * depth + b"1" + b"}" * depth)
    lines = _good_lines(spec)
    lines.insert(position, deep)
    for name, body in (("clean", lines), ("next-to-broken", [*lines, b"{broken"])):
        folder = tmp_path / name / "src" / "amazon2018"
        folder.mkdir(parents=True)
        for other in SOURCES["amazon2018"][1:]:
            _write(folder, other)
        _write(folder, spec, body)
        outcome, workdir = _fetch(tmp_path / name, "amazon2018")
        assert outcome == "ok", workdir
        reviews = pl.read_parquet(workdir / "sources" / "amazon2018_reviews.parquet")
        assert ("BADREC" in reviews["asin"].to_list()) is kept, name
