"""`ecbuild samples`: pages per task, an index with charts, byte-stable output, and a staleness check."""

from __future__ import annotations

import json
import re
import sys
from bisect import bisect_left
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result

from ecinstruct_builder.publish.charts import (
    LENGTH_BINS,
    LENGTH_BOUNDS,
    categories_figure,
    category_counts,
    label_counts,
    labels_figure,
    length_counts,
    lengths_figure,
    template_counts,
    templates_figure,
)
from ecinstruct_builder.publish.command import samples_command
from ecinstruct_builder.publish.layout import row_counts
from ecinstruct_builder.publish.markdown import fence
from ecinstruct_builder.publish.samples import MANIFEST, REGENERATE, render_row, write_samples
from ecinstruct_builder.publish.workdir import Build
from ecinstruct_builder.render import SETTING_ORDER

DOCS = Path(__file__).resolve().parents[2] / "docs" / "samples"


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


@pytest.fixture(scope="module")
def samples(built: Build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    write_samples(built, out)
    return out


def test_committed_samples_are_up_to_date(samples: Path) -> None:
    fresh, committed = _contents(samples), _contents(DOCS)
    stale = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert not stale, f"docs/samples/ is stale ({', '.join(stale)}); regenerate it with `{REGENERATE}`"


def _run_samples(built: Build, out: Path) -> Result:
    return CliRunner().invoke(samples_command, ["--workdir", str(built.workdir), "--out", str(out)])


def test_samples_command_rewrites_the_same_bytes_and_drops_only_its_own_stale_files(
    built: Build, samples: Path, tmp_path: Path
) -> None:
    out = tmp_path / "samples"
    assert _run_samples(built, out).exit_code == 0
    (out / "Old_Task.md").write_text("a page an earlier run wrote for a task no longer built")
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(json.dumps({**manifest, "files": [*manifest["files"], "Old_Task.md"]}))
    (out / "my-notes.md").write_text("the user's own notes")
    (out / "my-chart.png").write_bytes(b"\x89PNG mine")
    result = _run_samples(built, out)
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {len(_contents(samples))} files to {out}\n"
    assert not (out / "Old_Task.md").exists()
    mine = {"my-notes.md": b"the user's own notes", "my-chart.png": b"\x89PNG mine"}
    assert _contents(out) == _contents(samples) | mine


def test_samples_refuses_a_foreign_folder_and_deletes_nothing(built: Build, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("my project")
    (tmp_path / "plot.png").write_bytes(b"\x89PNG mine")
    before = _contents(tmp_path)
    result = _run_samples(built, tmp_path)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: --out {tmp_path} is not empty and holds no `ecbuild samples` output "
        f"(no {MANIFEST}); choose a new or empty folder"
    )
    assert _contents(tmp_path) == before


def test_a_manifest_cannot_delete_outside_its_folder(built: Build, tmp_path: Path) -> None:
    out = tmp_path / "samples"
    assert _run_samples(built, out).exit_code == 0
    (tmp_path / "precious.md").write_text("outside the folder")
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(
        json.dumps({**manifest, "files": ["../precious.md", str(tmp_path / "precious.md")]})
    )
    assert _run_samples(built, out).exit_code == 0
    assert (tmp_path / "precious.md").read_text() == "outside the folder"


def test_without_matplotlib_the_pages_are_written_and_the_charts_skipped(
    built: Build, samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("matplotlib", "matplotlib.figure", "matplotlib.style"):
        monkeypatch.setitem(sys.modules, module, None)  # `import matplotlib` now raises ImportError
    result = _run_samples(built, tmp_path / "samples")
    assert result.exit_code == 0, result.output
    assert "note: charts skipped, matplotlib is not installed (pip install 'ecinstruct-builder[charts]')" in (
        result.output
    )
    written = _contents(tmp_path / "samples")
    assert not {n for n in written if n.endswith(".png")}
    assert {n for n in written if n.endswith(".md")} == {n for n in _contents(samples) if n.endswith(".md")}
    index = written["README.md"].decode()
    assert "## Charts\n\nSkipped: matplotlib is not installed." in index and "labels.png" not in index


def test_index_links_a_page_per_task_with_every_setting(built: Build, samples: Path) -> None:
    counts = row_counts(built)
    index = (samples / "README.md").read_text()
    assert re.findall(r"\]\((\w+)\.md\)", index) == [t.name for t in built.tasks]
    assert "![Label distribution per task and split](labels.png)" in index
    assert "free-form tasks (AVE, AG) are left out" in index
    for task in built.tasks:
        page = (samples / f"{task.name}.md").read_text()
        present = set(counts.filter(pl.col("task") == task.name)["setting"])
        assert re.findall(r"^## (\S+)$", page, flags=re.M) == [s for s in SETTING_ORDER if s in present]
        assert page.count("**Lineage:** source `") == page.count("**Instruction**") > 0


CHARTS = {
    "labels.png": (labels_figure, label_counts),
    "categories.png": (categories_figure, category_counts),
    "lengths.png": (lengths_figure, length_counts),
    "templates.png": (templates_figure, template_counts),
}


def test_every_bar_of_every_chart_shows_its_row_count(built: Build, samples: Path) -> None:
    abbrs = {t.name: t.abbr for t in built.tasks}
    index = (samples / "README.md").read_text()
    for name, (figure, count) in CHARTS.items():
        assert f"]({name})" in index, name
        counts = count(built)
        shown = [t.get_text() for axis in figure(counts, abbrs).axes for t in axis.texts if t.get_text()]
        assert sorted(shown) == sorted(f"{n:,}" for n in counts["rows"].to_list() if n), name


def test_template_counts_cover_every_row_and_one_unseen_template_per_task(built: Build) -> None:
    counts, rows = template_counts(built), row_counts(built)
    per_family = counts.group_by("task", "family").agg(pl.col("rows").sum()).sort("task", "family")
    expected = (
        rows.with_columns(family=pl.col("setting").str.slice(4))
        .group_by("task", "family")
        .agg(pl.col("rows").sum())
        .sort("task", "family")
    )
    assert per_family.equals(expected)
    unseen = counts.filter(pl.col("family") == "Unseen_Instruction").group_by("task").agg(pl.len())
    assert unseen["len"].to_list() == [1] * len(built.tasks)
    diverse = counts.filter(pl.col("family") == "Diverse_Instruction")
    assert diverse.group_by("task").agg(pl.len())["len"].min() > 1  # spread over the paraphrases


def test_length_counts_bin_the_words_of_each_input_and_output(built: Build) -> None:
    counts = length_counts(built)
    expected: dict[tuple[str, str, str], int] = {}
    for task in built.tasks:
        frame = pl.read_parquet(task.path).filter(pl.col("setting").str.ends_with("_Diverse_Instruction"))
        for field in ("input", "output"):
            for text in frame[field].to_list():
                words = len((text or "").split(" ")) - (text or "").split(" ").count("")
                key = (task.name, field, LENGTH_BINS[bisect_left(LENGTH_BOUNDS, words)])
                expected[key] = expected.get(key, 0) + 1
    assert {(t, f, b): n for t, f, b, n in counts.iter_rows()} == expected


def test_png_charts_carry_no_software_tag(samples: Path) -> None:
    for name in CHARTS:
        png = (samples / name).read_bytes()
        assert png.startswith(b"\x89PNG") and b"Software" not in png and b"matplotlib" not in png


def _pages(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir()) if p.suffix in (".md", ".html")}


def test_every_page_says_at_the_top_it_comes_from_synthetic_data(built: Build, samples: Path) -> None:
    assert built.synthetic is not None  # the demo is fetched from the bundled synthetic samples
    pages = _pages(samples)
    assert {n for n in pages if n.endswith(".md")} == {f"{t.name}.md" for t in built.tasks} | {"README.md"}
    for name, text in pages.items():
        top = text.split("<main>")[0] if name.endswith(".html") else "\n".join(text.splitlines()[:3])
        assert "Synthetic data: every row here comes from files written by ecbuild synth" in top, name


def test_pages_of_a_build_from_other_files_do_not_claim_synthetic_data(built: Build, tmp_path: Path) -> None:
    real = replace(built, sources={**built.sources, "synthetic": None})
    write_samples(real, tmp_path / "samples")
    pages = _pages(tmp_path / "samples")
    assert pages and not [name for name, text in pages.items() if "synthetic data" in text.lower()]
    assert all("ecbuild synth did not write" in text for text in pages.values())


def test_render_row_pretty_prints_input_options_and_lineage() -> None:
    row = {
        "id": "SR-1",
        "split": "test",
        "instruction": "Pick the next item.\nOnly one.",
        "input": "['1st: red kettle', '2nd: blue mug']",
        "options": '["A: tea", "B: ```code```"]',
        "output": "A",
        "few_shot_example": '{"instruction": "x", "output": "B"}',
        "source": "amazon2018",
        "source_ids": ["u1", "i2"],
        "product_id": "B01",
        "category": "Home_and_Kitchen",
        "template_id": "sr-02",
        "labels": None,
    }
    assert render_row(row) == "\n\n".join(
        [
            "### test · `SR-1`",
            "**Instruction**",
            "> Pick the next item.\n> Only one.",
            "**Input**",
            '```json\n[\n  "1st: red kettle",\n  "2nd: blue mug"\n]\n```',
            "**Options**",
            "- A: tea\n- B: ```code```",
            "**Output**",
            "```text\nA\n```",
            "<details><summary>Few-shot example</summary>",
            '```json\n{\n  "instruction": "x",\n  "output": "B"\n}\n```',
            "</details>",
            "**Lineage:** source `amazon2018` · source ids `u1`, `i2` · product `B01` · "
            "category `Home_and_Kitchen` · template `sr-02`",
        ]
    )


def test_fence_outgrows_backticks_in_the_text() -> None:
    assert fence("a ```` b", "text") == "`````text\na ```` b\n`````"
    assert fence("plain") == "```\nplain\n```"


def test_origin_note_names_each_source_written_at_its_own_scale():
    from ecinstruct_builder.publish.rowview import origin_note
    from ecinstruct_builder.sources.layout import synthetic_marker

    mixed = origin_note(
        synthetic_marker({"esci": {"scale": 0.5, "seed": 1}, "mave": {"scale": None, "seed": 1}})
    )
    assert "esci: scale 0.5, seed 1" in mixed and "mave: the bundled demo profile, seed 1" in mixed
    assert "(scale 0.5, seed 1)" in origin_note(synthetic_marker({"esci": {"scale": 0.5, "seed": 1}}))
