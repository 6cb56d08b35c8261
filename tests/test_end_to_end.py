"""`ecbuild fetch` + `ecbuild render --task all` on the bundled samples, as a new user runs them."""

import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from demo_build import build_demo

from ecinstruct_builder import config, fetch
from ecinstruct_builder.cli import main
from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.report import BuildReport, from_json
from ecinstruct_builder.sources.base import RemoteFile, SourceAdapter
from ecinstruct_builder.synthetic import PLANTED_BAD_LINES
from ecinstruct_builder.tasks import builders
from ecinstruct_builder.templates import load_templates

DEMO = load_recipe("demo")


def has_ood_categories(abbr: str) -> bool:
    """Whether the demo recipe lists OOD categories for a task split on the category axis."""
    task = DEMO.tasks.get(abbr)
    return builders()[abbr].ood_axis == "category" and task is not None and bool(task.ood_categories)


def expects_ood(abbr: str) -> bool:
    """A task has OOD test rows when it holds out domains itself or the recipe names OOD categories."""
    return builders()[abbr].ood_axis == "holdout" or has_ood_categories(abbr)


def task_rows(workdir, builder) -> pl.DataFrame:
    return pl.read_parquet(workdir / "dataset" / f"{builder.name}.parquet")


@pytest.mark.parametrize("abbr", list(builders()))
def test_every_task_has_every_split_and_ood_where_expected(demo_workdir, abbr):
    rows = task_rows(demo_workdir, builders()[abbr])
    diverse = rows.filter(pl.col("setting") == "IND_Diverse_Instruction")
    assert set(diverse["split"]) == {"train", "validation", "test"}
    has_ood = rows.filter(pl.col("setting") == "OOD_Diverse_Instruction").height > 0
    assert has_ood == expects_ood(abbr)


@pytest.mark.parametrize("abbr", list(builders()))
def test_unseen_instruction_never_outside_the_unseen_setting(demo_workdir, abbr):
    rows = task_rows(demo_workdir, builders()[abbr])
    unseen = load_templates(abbr).unseen
    assert set(rows.filter(pl.col("template_id") == unseen)["setting"]) <= {
        "IND_Unseen_Instruction",
        "OOD_Unseen_Instruction",
    }
    assert rows.filter(
        pl.col("split").is_in(["train", "validation"]) & (pl.col("template_id") == unseen)
    ).is_empty()


@pytest.mark.parametrize(
    "abbr", [a for a, b in builders().items() if b.split_protocol == "grouped" and a != "QPR"]
)
def test_no_product_in_both_train_and_test(demo_workdir, abbr):
    rows = task_rows(demo_workdir, builders()[abbr]).filter(
        pl.col("setting").str.ends_with("Diverse_Instruction")
    )
    train = set(rows.filter(pl.col("split") == "train")["product_id"])
    evaluation = set(rows.filter(pl.col("split") != "train")["product_id"])
    assert not train & evaluation


@pytest.mark.parametrize("abbr", [abbr for abbr in builders() if has_ood_categories(abbr)])
def test_no_ood_category_in_train(demo_workdir, abbr):
    ood = set(DEMO.tasks[abbr].ood_categories)
    rows = task_rows(demo_workdir, builders()[abbr])
    assert not ood & set(rows.filter(pl.col("split") != "test")["category"])
    assert set(rows.filter(pl.col("setting") == "OOD_Diverse_Instruction")["category"]) == ood


def test_report_and_rejects(demo_workdir):
    report = json.loads((demo_workdir / "reports" / "build.json").read_text())
    assert set(report["tasks"]) == set(builders())
    assert (demo_workdir / "reports" / "build.md").read_text().startswith("# Build report")
    rejects = pl.read_parquet(demo_workdir / "rejects" / "*.parquet")
    assert {"filter", "dedup"} <= set(rejects["stage"])
    assert rejects.filter(pl.col("stage") == "dedup")["kept_id"].is_not_null().all()


def test_quarantine_holds_exactly_the_planted_bad_lines(demo_workdir):
    quarantine = pl.read_parquet(demo_workdir / "sources" / "quarantine.parquet")
    per_file = {
        f"{Path(f).parent.name}/{Path(f).name}": n for f, n in quarantine.group_by("file").len().iter_rows()
    }
    assert per_file == {path: n for path, n in PLANTED_BAD_LINES.items() if n}
    assert quarantine["reason"].is_not_null().all() and quarantine["line"].is_not_null().all()


def test_every_quota_of_the_demo_recipe_is_met(demo_workdir):
    report = from_json(BuildReport, (demo_workdir / "reports" / "build.json").read_text())
    assert {abbr: task.split.unmet for abbr, task in report.tasks.items()} == {
        abbr: [] for abbr in builders()
    }


def test_rebuild_is_byte_identical(demo_workdir, tmp_path):
    again = build_demo(tmp_path / "again")
    for path in sorted((demo_workdir / "dataset").glob("*.parquet")):
        assert path.read_bytes() == (again / "dataset" / path.name).read_bytes(), path.name


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_render_before_fetch_is_one_clear_line(tmp_path):
    result = cli("render", "--workdir", str(tmp_path), "--quiet")
    assert result.exit_code == 1
    assert "run `ecbuild fetch" in result.output and "Traceback" not in result.output


def test_unknown_task_and_recipe_are_clear_errors(demo_workdir, tmp_path):
    result = cli("render", "--task", "XYZ", "--workdir", str(demo_workdir))
    assert result.exit_code == 2 and "unknown task 'XYZ'" in result.output
    result = cli("fetch", "--recipe", "nope", "--workdir", str(tmp_path))
    assert result.exit_code == 2 and "unknown recipe 'nope'" in result.output


def test_task_names_accept_abbreviations_and_full_names(demo_workdir, tmp_path):
    result = cli("render", "--task", "sa,Product_Matching", "--workdir", str(demo_workdir), "--quiet")
    assert result.exit_code == 0, result.output
    rendered = {line.split()[0] for line in result.output.splitlines() if line.endswith("]")}
    assert rendered == {"SA", "PM"}  # one line per chosen task; the others are kept, not rebuilt
    assert "kept from earlier runs: AVE, PRP" in result.output


def test_download_failure_is_fast_and_names_the_url(tmp_path, monkeypatch):
    from httpserver import closed_port_url

    url = closed_port_url()

    class Remote(SourceAdapter):
        name, title, licence, homepage, tables = "remote", "Remote", "none", url, {}

        def discover(self, folder, options):
            return []

        def read_file(self, file, options, quarantine):
            return iter(())

        def remote_files(self, options):
            return [RemoteFile(urls=(url,), relative_path="remote/file.json.gz")]

    monkeypatch.setattr(fetch, "adapters", lambda: {"remote": Remote()})
    monkeypatch.setattr(config, "adapters", lambda: {"remote": Remote()})
    recipe = tmp_path / "r.toml"
    recipe.write_text('origin = "download"\n[sources.remote]\n')
    result = cli("fetch", "--recipe", str(recipe), "--workdir", str(tmp_path / "w"), "--quiet")
    assert result.exit_code == 1
    assert url in result.output and "Traceback" not in result.output
