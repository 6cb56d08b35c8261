"""Where `ecbuild eval` reads its gold rows: one view of an export, a Hub repo, or nothing at all."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from httpserver import closed_port_url
from huggingface_hub import constants
from publish.fakehub import FakeHub, Repo

from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.evaluate.command import eval_command
from ecinstruct_builder.evaluate.gold import one_view
from ecinstruct_builder.evaluate.scorer import EvalReport, Selection, evaluate
from ecinstruct_builder.evaluate.tasks import SETTINGS
from ecinstruct_builder.publish.export import export_dataset
from ecinstruct_builder.publish.layout import TABLE_CONFIG
from ecinstruct_builder.publish.workdir import load_build

REPO = "org/ECInstruct"


@pytest.fixture(scope="module")
def export_dir(demo_workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval-export") / "ECInstruct"
    export_dataset(load_build(demo_workdir, load_recipe("demo")), out, repo_id=REPO, progress=False)
    return out


@pytest.fixture(scope="module")
def gold_file(demo_workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every rendered row's gold output as its prediction."""
    rows = pl.read_parquet(sorted((demo_workdir / "dataset").rglob("*.parquet")), columns=["id", "output"])
    path = tmp_path_factory.mktemp("eval-preds") / "gold.jsonl"
    path.write_text("".join(json.dumps({"id": i, "prediction": o}) + "\n" for i, o in rows.iter_rows()))
    return path


def scored(report: EvalReport) -> list[tuple[str, str, int]]:
    return sorted((r.abbr, r.setting, r.rows) for r in report.results)


def every_setting(split: str) -> Selection:
    return Selection(split, tuple(SETTINGS), ())


@pytest.mark.parametrize("split", ["test", "validation"])
def test_an_export_scores_each_row_once_as_the_work_dir(
    demo_workdir: Path, export_dir: Path, gold_file: Path, split: str
) -> None:
    expected = scored(evaluate(gold_file, str(demo_workdir), every_setting(split)))
    assert {setting for _, setting, _ in expected} > {"IND_Diverse_Instruction"}  # more than Diverse
    assert scored(evaluate(gold_file, str(export_dir), every_setting(split))) == expected


def test_an_export_without_the_table_config_reads_the_disjoint_configs(
    demo_workdir: Path, export_dir: Path, gold_file: Path, tmp_path: Path
) -> None:
    partial = shutil.copytree(export_dir, tmp_path / "partial")
    shutil.rmtree(partial / "data" / TABLE_CONFIG)
    expected = scored(evaluate(gold_file, str(demo_workdir), every_setting("test")))
    assert scored(evaluate(gold_file, str(partial), every_setting("test"))) == expected


def test_qpr_ndcg_from_the_typed_labels_of_an_export_equals_the_work_dirs(
    demo_workdir: Path, export_dir: Path, tmp_path: Path
) -> None:
    # Reversed gold rankings: NDCG below 1 that depends on each option's ESCI label.
    rows = pl.read_parquet(demo_workdir / "dataset" / "Query_Product_Rank.parquet", columns=["id", "output"])
    predictions = tmp_path / "reversed.jsonl"
    predictions.write_text(
        "".join(
            json.dumps({"id": i, "prediction": ",".join(o.split(",")[::-1])}) + "\n"
            for i, o in rows.iter_rows()
        )
    )
    typed_only = shutil.copytree(export_dir, tmp_path / "typed")
    shutil.rmtree(typed_only / "data" / TABLE_CONFIG)  # the typed configs, not NingLab's table

    def ndcg(dataset: Path) -> tuple[dict[str, float], list[str]]:
        report = evaluate(predictions, str(dataset), every_setting("test"))
        scores = {r.setting: r.metrics["ndcg"] for r in report.results if r.abbr == "QPR"}
        return scores, [n for n in report.notes if "`labels`" in n]

    work, work_notes = ndcg(demo_workdir)
    assert work and all(0 < score < 1 for score in work.values()) and not work_notes
    assert ndcg(export_dir) == ndcg(typed_only) == (work, [])


def test_one_view_prefers_the_table_and_reads_other_folders_whole() -> None:
    export = [
        "data/ecinstruct/test-00000-of-00001.parquet",
        "data/ninglab_table/train-00000-of-00001.parquet",
        "data/Sentiment_Analysis/test-00000-of-00001.parquet",
        "README.md",
    ]
    assert one_view(export) == ["data/ninglab_table/train-00000-of-00001.parquet"]
    assert one_view(export[:1] + export[2:]) == ["data/ecinstruct/test-00000-of-00001.parquet"]
    assert one_view(["b.parquet", "a/x.parquet", "notes.txt"]) == ["a/x.parquet", "b.parquet"]


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """A fake Hub as HF_ENDPOINT and its token as HF_TOKEN, with a private download cache."""
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-cached-token"))
    with FakeHub(token="hf_fakeTokenForEval") as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.setenv("HF_TOKEN", fake.token)
        yield fake


def serve(hub: FakeHub, repo: str, folder: Path) -> None:
    """Put `folder`'s files on the fake Hub's main branch of `repo`, as one commit."""
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    oid = hashlib.sha1(repo.encode()).hexdigest()
    hub.repos[repo] = Repo(private=False, snapshots={oid: files}, refs={"main": oid})


def test_a_hub_repo_scores_single_unseen_and_one_shot_like_the_work_dir(
    demo_workdir: Path, export_dir: Path, gold_file: Path, hub: FakeHub
) -> None:
    serve(hub, REPO, export_dir)
    expected = scored(evaluate(gold_file, str(demo_workdir), every_setting("test")))
    assert {"IND_Single_Instruction", "IND_Unseen_Instruction", "IND_Diverse_Instruction_1-shot"} <= {
        setting for _, setting, _ in expected
    }
    report = evaluate(gold_file, REPO, every_setting("test"))
    assert (report.dataset, scored(report)) == (f"hf://{REPO}", expected)


def test_a_hub_repo_without_the_table_config_falls_back(
    demo_workdir: Path, export_dir: Path, gold_file: Path, hub: FakeHub, tmp_path: Path
) -> None:
    partial = shutil.copytree(export_dir, tmp_path / "partial")
    shutil.rmtree(partial / "data" / TABLE_CONFIG)
    serve(hub, REPO, partial)
    expected = scored(evaluate(gold_file, str(demo_workdir), every_setting("test")))
    assert scored(evaluate(gold_file, REPO, every_setting("test"))) == expected


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds}s: a retry loop, where eval must fail at once")


def one_error_line(*args: str) -> str:
    result = CliRunner().invoke(eval_command, list(args))
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_an_unreachable_hub_fails_at_once_in_one_line(
    gold_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = closed_port_url().rstrip("/")
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setattr(time, "sleep", no_sleep)
    line = one_error_line("-p", str(gold_file), "--dataset", REPO)
    assert line.startswith(f"Error: {REPO}: cannot load it from {endpoint} (unreachable: ConnectError;")


def test_offline_mode_fails_in_one_line(gold_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(time, "sleep", no_sleep)
    line = one_error_line("-p", str(gold_file), "--dataset", REPO)
    assert "(HF_HUB_OFFLINE is set; unset it, or pass a local WORKDIR or export folder)" in line


def test_an_unknown_repo_is_one_line(gold_file: Path, hub: FakeHub) -> None:
    line = one_error_line("-p", str(gold_file), "--dataset", "org/missing")
    assert "org/missing: cannot load it from" in line and "no such dataset repo, or a private one" in line


def test_no_work_dir_here_asks_for_dataset(
    gold_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_error_line("-p", str(gold_file))
    assert line.startswith("Error: no work dir here (./ecbuild-work); pass --dataset")


def test_a_single_json_table_repo_is_read_like_ninglab_ecinstruct(
    demo_workdir: Path, gold_file: Path, hub: FakeHub, tmp_path: Path
) -> None:
    # NingLab/ECInstruct's layout: one top-level dataset.json with every setting and a `split` column
    # saying "val"; here made of the rendered rows, written as such a file
    rows = pl.read_parquet(sorted((demo_workdir / "dataset").rglob("*.parquet")))
    table = rows.select("id", "task", "setting", "split", "options", "output").with_columns(
        pl.col("split").replace({"validation": "val"})
    )
    folder = tmp_path / "ninglab"
    folder.mkdir()
    (folder / "dataset.json").write_text(json.dumps(table.to_dicts()))
    serve(hub, "NingLab/ECInstruct", folder)
    for split in ("test", "validation"):
        expected = scored(evaluate(gold_file, str(demo_workdir), every_setting(split)))
        assert scored(evaluate(gold_file, "NingLab/ECInstruct", every_setting(split))) == expected
