"""The work-dir contract: reuse of unchanged tasks, partial renders that keep the rest, resume after a
kill, atomic re-fetch, and one-line environment errors."""

import os
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from demo_build import build_demo

from ecinstruct_builder import build as build_module
from ecinstruct_builder.cli import main
from ecinstruct_builder.report import BuildReport, from_json
from ecinstruct_builder.tasks import builders


def cli(*args: str):
    return CliRunner().invoke(main, list(args))


def report_of(workdir: Path) -> BuildReport:
    return from_json(BuildReport, (workdir / "reports" / "build.json").read_text())


def dataset_bytes(workdir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((workdir / "dataset").glob("*.parquet"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("contract"))


@pytest.fixture
def workdir(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "work"
    shutil.copytree(built, copy)
    return copy


def test_a_second_render_reuses_every_task(workdir: Path) -> None:
    before = dataset_bytes(workdir)
    result = cli("render", "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 0, result.output
    assert f"0 task(s) built, {len(builders())} up to date and reused" in result.output
    assert all(task.reused for task in report_of(workdir).tasks.values())
    assert dataset_bytes(workdir) == before


def test_render_of_one_task_keeps_every_other_task(workdir: Path) -> None:
    before = dataset_bytes(workdir)
    (workdir / "selection" / "SA.json").unlink()  # SA must be selected again
    result = cli("render", "--task", "SA", "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 0, result.output
    assert "1 task(s) built" in result.output and "kept from earlier runs" in result.output
    assert set(report_of(workdir).tasks) == set(builders())
    assert dataset_bytes(workdir) == before  # SA rebuilt to the same bytes, the others untouched
    export = workdir.parent / "export"
    assert cli("export", "--workdir", str(workdir), "--out", str(export)).exit_code == 0
    card = (export / "README.md").read_text()
    assert all(f"| {abbr} |" in card for abbr in builders())


def test_a_killed_render_resumes_and_ends_with_the_same_bytes(workdir: Path, monkeypatch) -> None:
    before = dataset_bytes(workdir)
    for path in (workdir / "selection").glob("*.json"):
        path.unlink()  # nothing is up to date any more
    original, calls = build_module._select, []

    def dies_on_the_third(*args, **kwargs):
        calls.append(args[0].abbr)
        if len(calls) == 3:
            raise RuntimeError("killed")  # as a kill between two tasks would
        return original(*args, **kwargs)

    monkeypatch.setattr(build_module, "_select", dies_on_the_third)
    with pytest.raises(RuntimeError, match="killed"):
        CliRunner().invoke(main, ["render", "--workdir", str(workdir), "--quiet"], catch_exceptions=False)
    monkeypatch.setattr(build_module, "_select", original)
    result = cli("render", "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 0, result.output
    assert f"{len(builders()) - 2} task(s) built" in result.output  # the two finished ones are reused
    assert dataset_bytes(workdir) == before


def test_a_changed_recipe_rebuilds_only_the_tasks_it_changes(workdir: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "demo2.toml"
    text = (Path(__file__).parents[1] / "ecinstruct_builder" / "recipes" / "demo.toml").read_text()
    recipe.write_text(text.replace("[tasks.PM]\nsizes = { train = 100,", "[tasks.PM]\nsizes = { train = 90,"))
    result = cli("render", "--recipe", str(recipe), "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 0, result.output
    assert "1 task(s) built" in result.output
    assert report_of(workdir).tasks["PM"].split.quotas[0].selected == 90


def test_a_failed_refetch_keeps_the_previous_tables(workdir: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in (workdir / "sources").iterdir()}
    result = cli("fetch", "--workdir", str(workdir), "--source-dir", str(tmp_path / "missing"), "--quiet")
    assert result.exit_code == 1
    assert {p.name: p.read_bytes() for p in (workdir / "sources").iterdir()} == before


def test_a_damaged_manifest_is_one_line(workdir: Path) -> None:
    (workdir / "sources" / "manifest.json").write_text("{ not json")
    result = cli("render", "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "manifest.json: damaged" in result.output
    assert "ecbuild fetch" in result.output


def test_a_damaged_table_is_one_line(workdir: Path) -> None:
    table = workdir / "sources" / "esci.parquet"
    table.write_bytes(table.read_bytes()[:-100])
    result = cli("render", "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "esci.parquet: damaged Parquet table" in result.output


def test_a_damaged_stage_output_is_rebuilt_not_read(workdir: Path) -> None:
    before = dataset_bytes(workdir)
    for path in (workdir / "selection" / "SA.parquet", workdir / "dataset" / "Product_Matching.parquet"):
        path.write_bytes(path.read_bytes()[:-50])
    result = cli("render", "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 0, result.output
    assert "2 task(s) built" in result.output
    assert dataset_bytes(workdir) == before


def test_a_workdir_under_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = cli("fetch", "--workdir", str(tmp_path / "afile" / "sub"), "--quiet")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "is a file, not a folder" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_workdir_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    result = cli("fetch", "--workdir", str(folder), "--quiet")
    assert result.exit_code == 1 and "not writable" in result.output


def test_a_full_disk_is_one_line(workdir: Path, monkeypatch) -> None:
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(workdir / "dataset"))

    monkeypatch.setattr(build_module, "render_task", full)
    (workdir / "reports" / "tasks" / "SA.json").unlink()
    result = cli("render", "--task", "SA", "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "the disk is full" in result.output


def test_remove_mode_drops_leaked_rows_with_a_reject_and_reuses_the_selections(
    workdir: Path, tmp_path
) -> None:
    recipe = tmp_path / "remove.toml"
    text = (Path(__file__).parents[1] / "ecinstruct_builder" / "recipes" / "demo.toml").read_text()
    recipe.write_text(text.replace('cross_task = "report"', 'cross_task = "remove"'))
    leaks = report_of(workdir).cross_task_leakage.pairs
    assert leaks  # the demo has some, reported only
    selections = {p.name: p.stat().st_mtime_ns for p in (workdir / "selection").iterdir()}
    result = cli("render", "--recipe", str(recipe), "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 0, result.output
    report = report_of(workdir)
    names = {b.name: abbr for abbr, b in builders().items()}
    leaking = {p.task for p in leaks}
    assert f"{len(leaking)} task(s) built" in result.output  # rendered again, not selected again
    assert {p.name: p.stat().st_mtime_ns for p in (workdir / "selection").iterdir()} == selections
    for task in leaking:
        dropped = {(d.stage, d.reason): d.rows for d in report.tasks[names[task]].clean.dropped}
        rejects = pl.read_parquet(workdir / "rejects" / f"{task}.parquet").filter(
            pl.col("stage") == "cross_task"
        )
        assert dropped[("cross_task", "in_train_of_other_task")] == rejects.height > 0
        published = pl.read_parquet(workdir / "dataset" / f"{task}.parquet")["source_ids"].to_list()
        assert not {tuple(ids) for ids in rejects["source_ids"].to_list()} & {tuple(ids) for ids in published}


def test_a_changed_row_format_rule_renders_again_only_the_task_it_touches(workdir: Path, tmp_path) -> None:
    recipe = tmp_path / "colon.toml"
    text = (Path(__file__).parents[1] / "ecinstruct_builder" / "recipes" / "demo.toml").read_text()
    recipe.write_text(text + '\n[render]\nprp_input_keys = "colon"\n')
    before = dataset_bytes(workdir)
    selections = {p.name: p.stat().st_mtime_ns for p in (workdir / "selection").iterdir()}
    result = cli("render", "--recipe", str(recipe), "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 0, result.output
    assert "1 task(s) built" in result.output
    assert {p.name: p.stat().st_mtime_ns for p in (workdir / "selection").iterdir()} == selections
    after = dataset_bytes(workdir)
    assert {name for name in before if before[name] != after[name]} == {"Product_Relation_Prediction.parquet"}
    inputs = pl.read_parquet(workdir / "dataset" / "Product_Relation_Prediction.parquet")["input"]
    assert inputs.str.starts_with('{"Product 1:": ').all()


def test_own_templates_replace_the_wording_of_their_tasks_only(workdir: Path, tmp_path: Path) -> None:
    from ecinstruct_builder.paths import templates_dir

    mine = tmp_path / "wording"
    mine.mkdir()
    text = (templates_dir() / "PM.toml").read_text()
    (mine / "PM.toml").write_text(
        text.replace("Answer only yes or no.", "Reply with yes or no, nothing else.")
    )
    assert (mine / "PM.toml").read_text() != text
    before = dataset_bytes(workdir)
    result = cli("render", "--templates", str(mine), "--workdir", str(workdir), "--quiet")
    assert result.exit_code == 0, result.output
    assert "1 task(s) built" in result.output  # only PM's wording changed
    after = dataset_bytes(workdir)
    assert {name for name in before if before[name] != after[name]} == {"Product_Matching.parquet"}
    rows = pl.read_parquet(workdir / "dataset" / "Product_Matching.parquet")
    assert rows["instruction"].str.contains("nothing else").any()
    assert report_of(workdir).tasks["PM"].template_file == str(mine / "PM.toml")
    export = tmp_path / "export"
    assert cli("export", "--workdir", str(workdir), "--out", str(export)).exit_code == 0
    assert "Reply with yes or no, nothing else" in (export / "README.md").read_text()


def test_own_templates_are_validated_like_the_bundled_ones(workdir: Path, tmp_path: Path) -> None:
    from ecinstruct_builder.paths import templates_dir

    mine = tmp_path / "wording"
    mine.mkdir()
    text = (templates_dir() / "PM.toml").read_text()
    (mine / "PM.toml").write_text(text.replace("{{ label }}", "{{ lable }}"))
    result = cli("render", "--templates", str(mine), "--workdir", str(workdir), "--quiet")
    assert result.exit_code != 0 and result.output.count("\n") == 1
    assert "uses lable, which task PM does not have" in result.output
