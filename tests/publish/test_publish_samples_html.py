"""`docs/samples/index.html`: self-contained, every sample row in it, and filters that work in a browser."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from headless import HeadlessPage, find_chromium

from ecinstruct_builder.publish.rowview import config_split
from ecinstruct_builder.publish.samples import sample_rows, write_samples
from ecinstruct_builder.publish.workdir import Build

needs_chromium = pytest.mark.skipif(
    find_chromium() is None, reason="Chromium is not installed (.ci/run installs Debian's chromium)"
)
VISIBLE = """[...document.querySelectorAll("article")].filter((a) => !a.hidden)
  .map((a) => [a.dataset.task, a.dataset.setting, a.dataset.split, a.querySelector("h2 code").textContent,
               a.innerText])"""
CHOOSE = """(() => {{
  const select = document.getElementById("{name}");
  select.value = "{value}";
  select.dispatchEvent(new Event("change"));
}})()"""


@pytest.fixture(scope="module")
def page(built: Build, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples-html")
    write_samples(built, out)
    return out / "index.html"


@pytest.fixture(scope="module")
def expected(built: Build) -> pl.DataFrame:
    """Every sample row, with its task abbreviation and Hub split, in page order."""
    frames = [
        sample_rows(task)
        .with_columns(abbr=pl.lit(task.abbr))
        .select("abbr", "id", "setting", "split", "output")
        for task in built.tasks
    ]
    rows = pl.concat(frames)
    return rows.with_columns(
        hub_split=pl.struct("setting", "split").map_elements(
            lambda r: config_split(r["setting"], r["split"]), return_dtype=pl.String
        )
    )


def test_page_is_self_contained_and_holds_every_sample_row(page: Path, expected: pl.DataFrame) -> None:
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"<link\b|\bsrc=|@import|url\(", html)  # no asset fetched from anywhere
    assert re.findall(r"<h2>.*?<code>([^<]+)</code></h2>", html) == expected["id"].to_list()
    assert html.count("<article ") == expected.height
    assert all(f'<option value="{abbr}">' in html for abbr in expected["abbr"].unique())


@needs_chromium
def test_choosing_filters_in_chromium_shows_only_matching_rows(page: Path, expected: pl.DataFrame) -> None:
    task = expected["abbr"][0]
    wanted = expected.filter((pl.col("abbr") == task) & (pl.col("hub_split") == "test_ood"))
    assert wanted.height > 0
    with HeadlessPage.open(page) as browser:
        assert len(browser.evaluate(VISIBLE)) == expected.height
        browser.evaluate(CHOOSE.format(name="task", value=task))
        browser.evaluate(CHOOSE.format(name="split", value="test_ood"))
        shown = browser.evaluate(VISIBLE)
        assert [row[3] for row in shown] == wanted["id"].to_list()
        assert all(row[0] == task and row[2] == "test_ood" for row in shown)
        first = shown[0][4]
        for heading in ("Instruction", "Input", "Options", "Output", "Lineage"):
            assert heading in first
        assert wanted["output"][0].strip() in first
        count = browser.evaluate('document.getElementById("shown").textContent')
        assert count == f"{wanted.height} of {expected.height} rows shown"
        assert browser.evaluate("location.hash") == f"#task={task}&split=test_ood"


@needs_chromium
def test_a_link_with_filters_opens_filtered(page: Path, expected: pl.DataFrame) -> None:
    setting = "IND_Single_Instruction"
    with HeadlessPage.open(page, fragment=f"setting={setting}") as browser:
        shown = browser.evaluate(VISIBLE)
        assert browser.evaluate('document.getElementById("setting").value') == setting
    assert [row[3] for row in shown] == expected.filter(pl.col("setting") == setting)["id"].to_list()
