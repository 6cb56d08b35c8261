"""`ecbuild samples`: pages per task, an index with charts, byte-stable output, and a staleness check."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from ecinstruct_builder.publish.command import samples_command
from ecinstruct_builder.publish.layout import row_counts
from ecinstruct_builder.publish.markdown import fence
from ecinstruct_builder.publish.samples import REGENERATE, render_row, write_samples
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


def test_samples_command_rewrites_the_same_bytes_and_drops_stale_pages(
    built: Build, samples: Path, tmp_path: Path
) -> None:
    (tmp_path / "Old_Task.md").write_text("a task no longer built")
    result = CliRunner().invoke(samples_command, ["--workdir", str(built.workdir), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {len(_contents(samples))} files to {tmp_path}\n"
    assert _contents(tmp_path) == _contents(samples)


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


def test_png_charts_carry_no_software_tag(samples: Path) -> None:
    for name in ("labels.png", "categories.png"):
        png = (samples / name).read_bytes()
        assert png.startswith(b"\x89PNG") and b"Software" not in png and b"matplotlib" not in png


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
