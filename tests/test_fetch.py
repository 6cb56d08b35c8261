"""The fetch runner: tables, manifest, quarantine and skipped sources, with a fake adapter."""

import json
from pathlib import Path

import polars as pl
import pytest

from ecinstruct_builder import config, fetch
from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.errors import EcbuildError, RecipeError
from ecinstruct_builder.sources.base import InputFile, SourceAdapter, batch_frame
from ecinstruct_builder.sources.layout import SYNTHETIC_MARKER

SCHEMA = {"key": pl.String, "value": pl.Int64, "line": pl.Int64}


class Numbers(SourceAdapter):
    """Reads `*.txt` files of `key=value` lines; duplicate keys keep the last row (finalize)."""

    name = "numbers"
    title = "Numbers"
    licence = "none"
    homepage = "http://localhost/"
    tables = {"numbers": SCHEMA}

    def discover(self, folder, options):
        return [InputFile(p, category=p.stem) for p in sorted(folder.glob("*.txt"))]

    def read_file(self, file, options, quarantine):
        rows = []
        for n, raw in enumerate(file.path.read_bytes().splitlines(), start=1):
            key, sep, value = raw.decode().partition("=")
            if not sep or not value.isdigit():
                quarantine.add(self.name, str(file.path), n, raw, "expected key=number")
                continue
            rows.append({"key": key, "value": int(value), "line": n})
        yield "numbers", batch_frame(rows, SCHEMA)

    def finalize(self, table, frame):
        return frame.unique(subset="key", keep="last", maintain_order=True)


class Absent(Numbers):
    name = "absent"


@pytest.fixture
def recipe(tmp_path, monkeypatch):
    fake = {"numbers": Numbers(), "absent": Absent()}
    monkeypatch.setattr(fetch, "adapters", lambda: fake)
    monkeypatch.setattr(config, "adapters", lambda: fake)
    path = tmp_path / "r.toml"
    path.write_text('name = "t"\norigin = "bundled"\n[sources.numbers]\n[sources.absent]\n')
    return load_recipe(str(path))


def write_sources(root: Path) -> None:
    (root / "numbers").mkdir(parents=True)
    (root / "numbers" / "a.txt").write_text("x=1\ny=2\nbroken\nx=3\n")
    (root / "numbers" / "b.txt").write_text("z=9\n")


def test_tables_manifest_quarantine_and_skips(tmp_path, recipe):
    write_sources(tmp_path / "src")
    result = fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "src", progress=False)
    table = pl.read_parquet(tmp_path / "work" / "sources" / "numbers.parquet")
    assert table.rows() == [("y", 2, 2), ("x", 3, 4), ("z", 9, 1)]
    assert result.tables == {"numbers": 3}
    assert result.skipped == [f"absent: no input files under {tmp_path / 'src' / 'absent'}"]
    quarantine = pl.read_parquet(tmp_path / "work" / "sources" / "quarantine.parquet")
    assert quarantine.select("file", "line", "raw", "reason").rows() == [
        (str(tmp_path / "src" / "numbers" / "a.txt"), 3, "broken", "expected key=number")
    ]
    manifest = json.loads((tmp_path / "work" / "sources" / "manifest.json").read_text())
    files = {f["path"]: f for f in manifest["files"]}
    assert files["numbers/a.txt"]["rows"] == {"numbers": 3}
    assert files["numbers/a.txt"]["quarantined"] == 1
    assert len(files["numbers/b.txt"]["sha256"]) == 64
    stamp = manifest["tables"]["numbers"].pop("stamp")
    assert manifest["tables"]["numbers"] == {
        "path": "numbers.parquet",
        "rows": 3,
        "source": "numbers",
        "categories": None,  # the table has no category column
    }
    # the stamp names what the table was made from: other input bytes, another stamp
    (tmp_path / "src" / "numbers" / "b.txt").write_text("z=8\n")
    fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "src", progress=False)
    manifest = json.loads((tmp_path / "work" / "sources" / "manifest.json").read_text())
    assert manifest["tables"]["numbers"]["stamp"] != stamp


def test_manifest_records_whether_ecbuild_synth_wrote_the_sources(tmp_path, recipe):
    write_sources(tmp_path / "src")
    fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "src", progress=False)
    manifest = tmp_path / "work" / "sources" / "manifest.json"
    assert json.loads(manifest.read_text())["synthetic"] is None  # someone's own files
    marker = {"generator": "ecbuild synth", "scale": 0.5, "seed": 3}
    (tmp_path / "src" / SYNTHETIC_MARKER).write_text(json.dumps(marker))
    fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "src", progress=False)
    assert json.loads(manifest.read_text())["synthetic"] == marker


def test_refetch_replaces_stale_tables(tmp_path, recipe):
    write_sources(tmp_path / "src")
    fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "src", progress=False)
    (tmp_path / "src" / "numbers" / "b.txt").unlink()
    fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "src", progress=False)
    assert pl.read_parquet(tmp_path / "work" / "sources" / "numbers.parquet")["key"].to_list() == ["y", "x"]


def test_missing_source_dir_is_a_clear_error(tmp_path, recipe):
    with pytest.raises(EcbuildError, match="is not a folder"):
        fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "nope", progress=False)


def test_unknown_source_in_recipe(tmp_path, recipe):
    path = tmp_path / "r.toml"
    path.write_text("[sources.nosuch]\n")
    with pytest.raises(RecipeError, match="unknown source 'nosuch'"):
        load_recipe(str(path))


def test_a_failed_refetch_leaves_the_previous_tables(tmp_path, recipe):
    write_sources(tmp_path / "src")
    fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "src", progress=False)
    before = {p.name: p.read_bytes() for p in (tmp_path / "work" / "sources").iterdir()}
    (tmp_path / "src" / "numbers" / "a.txt").write_bytes(b"\xff\xfe")  # the fake adapter's decode fails
    with pytest.raises(UnicodeDecodeError):
        fetch.run_fetch(recipe, tmp_path / "work", tmp_path / "src", progress=False)
    after = {p.name: p.read_bytes() for p in (tmp_path / "work" / "sources").iterdir()}
    assert after == before
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["sources"]  # no staging left behind


def test_render_before_fetch_says_what_to_do(tmp_path):
    with pytest.raises(EcbuildError, match="run `ecbuild fetch"):
        fetch.load_source_tables(tmp_path)


def test_files_read_in_parallel_give_what_reading_them_one_by_one_gives(tmp_path, monkeypatch):
    demo = load_recipe("demo")
    fetch.run_fetch(demo, tmp_path / "parallel", progress=False)
    monkeypatch.setattr(fetch, "FETCH_WORKERS", 1)
    fetch.run_fetch(demo, tmp_path / "serial", progress=False)
    serial, parallel = tmp_path / "serial" / "sources", tmp_path / "parallel" / "sources"
    names = sorted(p.name for p in serial.glob("*.parquet"))
    assert "quarantine.parquet" in names and len(names) > 2
    assert names == sorted(p.name for p in parallel.glob("*.parquet"))
    for name in names:
        assert (serial / name).read_bytes() == (parallel / name).read_bytes(), name
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (serial, parallel)]
    assert manifests[0]["files"] == manifests[1]["files"]


def test_the_order_files_are_read_in_does_not_change_the_tables(tmp_path, monkeypatch):
    """Files are started costliest first, over all sources; started the other way round (cheapest
    first), every table, the quarantine and the file records come out the same."""
    demo = load_recipe("demo")
    fetch.run_fetch(demo, tmp_path / "costliest", progress=False)
    cost = fetch._read_cost
    monkeypatch.setattr(fetch, "_read_cost", lambda file: -cost(file))
    fetch.run_fetch(demo, tmp_path / "cheapest", progress=False)
    first, second = tmp_path / "costliest" / "sources", tmp_path / "cheapest" / "sources"
    names = sorted(p.name for p in first.glob("*.parquet"))
    assert "quarantine.parquet" in names and names == sorted(p.name for p in second.glob("*.parquet"))
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    manifests = [json.loads((folder / "manifest.json").read_text()) for folder in (first, second)]
    assert manifests[0]["files"] == manifests[1]["files"]
    assert not (first / ".parts").exists()  # the parts are gone once the tables are written


def test_a_file_is_read_into_parts_with_its_own_quarantine(tmp_path):
    """`read_file_parts` touches nothing shared: one file in, its parts and quarantine out."""
    (tmp_path / "a.txt").write_text("x=1\nbroken\ny=2\n")
    read = fetch.read_file_parts(Numbers(), 3, InputFile(tmp_path / "a.txt", "a"), {}, tmp_path / "parts")
    assert read.rows == {"numbers": 2}
    assert [(row["line"], row["reason"]) for row in read.quarantine.rows] == [(2, "expected key=number")]
    (part,) = (tmp_path / "parts" / "numbers").iterdir()
    assert part.name.startswith("part-00003-")  # named by the file's index: parts sort in file order
    assert pl.read_parquet(part).rows() == [("x", 1, 1), ("y", 2, 3)]
    assert read.sha256 == fetch.sha256_file(tmp_path / "a.txt")
