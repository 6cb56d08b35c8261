"""The `ecinstruct-faithful` recipe: it loads with the notebooks' rules and builds on the bundled samples."""

import math
import shutil
from pathlib import Path

import polars as pl
import pytest
from demo_build import run_cli

from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.report import BuildReport, from_json
from ecinstruct_builder.tasks import builders

FAITHFUL = load_recipe("ecinstruct-faithful")
OURS = load_recipe("ecinstruct")


def test_the_faithful_recipe_switches_what_the_notebooks_did_differently():
    assert (FAITHFUL.split.mode, FAITHFUL.split.drop_group_overlap) == ("random", False)
    assert (OURS.split.mode, OURS.split.drop_group_overlap) == ("grouped", True)
    for abbr, task in FAITHFUL.tasks.items():
        assert not (task.dedup.exact or task.dedup.near or task.dedup.variant_copies), abbr
    assert FAITHFUL.task("PRP").params.pair_key == "titles" and FAITHFUL.task("PRP").params.blank_titles
    assert FAITHFUL.task("PM").params.duplicates == "shown"
    assert (FAITHFUL.task("SR").params.items, FAITHFUL.task("SR").params.item_text) == ("2018", "notebook")
    for abbr in ("MPC", "PSI", "QPR"):
        language = FAITHFUL.task(abbr).filters.language
        assert (language.text, language.min_confidence, language.min_words) == ("raw", 0.0, 0)
        assert FAITHFUL.task(abbr).clean.nfkd_ascii
    assert FAITHFUL.task("QPR").params.language_on == "rows"  # the notebook filtered rows, then drew lists
    # the published ECInstruct sizes: 92,022 / 9,253 / 9,253 / 6,000 = 116,528 rows
    totals = {
        split: sum(task.sizes.cap(split) or 0 for task in FAITHFUL.tasks.values())
        for split in ("train", "validation", "test", "test_ood")
    }
    assert totals == {"train": 92_022, "validation": 9_253, "test": 9_253, "test_ood": 6_000}


@pytest.fixture(scope="module")
def faithful_workdir(demo_workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("faithful") / "work"
    shutil.copytree(demo_workdir / "sources", work / "sources")
    run_cli("render", "--recipe", "ecinstruct-faithful", "--task", "all", "--workdir", str(work), "--quiet")
    return work


def test_it_builds_every_task_on_the_bundled_samples_without_dedup_or_group_drops(faithful_workdir):
    report = from_json(BuildReport, (faithful_workdir / "reports" / "build.json").read_text())
    assert set(report.tasks) == set(builders())
    assert all(task.rows > 0 for task in report.tasks.values())
    rejects = pl.read_parquet(faithful_workdir / "rejects" / "*.parquet")
    assert not set(rejects["stage"]) & {"dedup", "decontaminate"}
    assert "group_in_train" not in set(rejects["reason"])
    assert all(task.split.dropped_group_overlap == 0 for task in report.tasks.values())


def test_pm_is_cut_at_the_train_test_split_counts(faithful_workdir):
    report = from_json(BuildReport, (faithful_workdir / "reports" / "build.json").read_text())
    split = report.tasks["PM"].split
    available = {q.split: q.available for q in split.quotas}
    rest = math.ceil(split.candidates * 0.2)
    assert available == {
        "train": split.candidates - rest,
        "validation": rest - math.ceil(rest / 2),
        "test": math.ceil(rest / 2),
    }


def test_rows_are_split_one_by_one_and_esci_text_is_ascii(faithful_workdir):
    prp = pl.read_parquet(faithful_workdir / "dataset" / "Product_Relation_Prediction.parquet")
    train = set(prp.filter(pl.col("split") == "train")["product_id"])
    assert train & set(prp.filter(pl.col("split") == "test")["product_id"])  # no grouping by product
    mpc = pl.read_parquet(faithful_workdir / "dataset" / "Multiclass_Product_Classification.parquet")
    assert mpc["input"].str.contains(r"^[\x00-\x7F]*$").all()
