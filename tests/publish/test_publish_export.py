"""`ecbuild export`: deterministic files, the manifest, training formats, and clear refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import datasets
import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from huggingface_hub import DatasetCard

from ecinstruct_builder.errors import EcbuildError
from ecinstruct_builder.evaluate.metrics import QPR_GAINS
from ecinstruct_builder.paths import recipes_dir
from ecinstruct_builder.publish import layout
from ecinstruct_builder.publish.command import export_command
from ecinstruct_builder.publish.export import export_dataset
from ecinstruct_builder.publish.features import TABLE_SCHEMA, TYPED_SCHEMA, features
from ecinstruct_builder.publish.formats import FORMATS, config_name
from ecinstruct_builder.publish.workdir import Build
from ecinstruct_builder.render import ROW_SCHEMA


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_export_is_byte_identical_on_rebuild(built: Build, exported, tmp_path: Path) -> None:
    again = export_dataset(
        built, tmp_path / "again", repo_id="org/ECInstruct", formats=tuple(FORMATS), progress=False
    )
    assert _digests(again.out) == _digests(exported.out)
    assert {f.path for f in again.files} == {p for p in _digests(again.out) if not p.startswith("training/")}


def test_manifest_names_recipe_inputs_counts_and_file_hashes(built: Build, exported) -> None:
    manifest = json.loads((exported.out / "manifest.json").read_text())
    assert manifest["recipe"] == {"name": "demo", "hash": built.recipe.hash, "seed": 1, "file": "recipe.toml"}
    assert [i["sha256"] for i in manifest["inputs"]] == [f["sha256"] for f in built.sources["files"]]
    assert manifest["configs"]["Sentiment_Analysis"]["test_ood"]["rows"] == 20
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    actual = _digests(exported.out)
    assert "manifest.json" not in listed and "README.md" in listed and "recipe.toml" in listed
    assert all(actual[path] == digest for path, digest in listed.items())
    assert (exported.out / "recipe.toml").read_bytes() == built.recipe.path.read_bytes()


def test_reexport_replaces_an_earlier_export(built: Build, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_dataset(built, out, formats=("chat",), progress=False)
    export_dataset(built, out, progress=False)
    assert not (out / "training").exists()
    assert not list(tmp_path.glob(".out.*"))  # no staging folder left behind


def test_export_refuses_a_folder_with_other_content(built: Build, tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(
        EcbuildError, match="is not empty and holds no ecbuild export; choose a new or empty folder"
    ):
        export_dataset(built, tmp_path, progress=False)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_export_command_explains_a_missing_build(tmp_path: Path) -> None:
    result = CliRunner().invoke(export_command, ["--workdir", str(tmp_path), "--out", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path}/reports/build.json not found; "
        f"run `ecbuild render --recipe demo --workdir {tmp_path} --task all` first\n"
    )


def test_export_command_rejects_a_build_of_another_recipe(built: Build, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text((recipes_dir() / "demo.toml").read_text().replace('name = "demo"', 'name = "other"'))
    result = CliRunner().invoke(
        export_command,
        ["--workdir", str(built.workdir), "--recipe", str(other), "--out", str(tmp_path / "x")],
    )
    assert result.exit_code == 1
    assert "was built with recipe 'demo'" in result.output and "not 'other'" in result.output
    assert "Traceback" not in result.output


TRAINING_CONFIGS = {config_name(f): FORMATS[f] for f in FORMATS}


def test_exported_training_files_cover_ecinstruct_proper(built: Build, exported) -> None:
    tasks = {t.name for t in built.tasks}
    per_split: dict[str, int] = {}
    for config in (c for c in exported.configs if c.name in tasks):
        for split in config.splits:
            per_split[split.split] = per_split.get(split.split, 0) + split.rows
    alpaca = {s: json.loads((exported.out / f"training/alpaca/{s}.json").read_text()) for s in per_split}
    chat = {s: (exported.out / f"training/chat/{s}.jsonl").read_text().splitlines() for s in per_split}
    assert {s: len(rows) for s, rows in alpaca.items()} == per_split
    assert {s: len(lines) for s, lines in chat.items()} == per_split
    assert sum(per_split.values()) == next(c for c in exported.configs if c.name == "ecinstruct").rows
    assert set(alpaca["train"][0]) == {"instruction", "input", "output"}


def test_parquet_files_carry_the_datasets_features(exported, load_config) -> None:
    typed, table = features(TYPED_SCHEMA), features(TABLE_SCHEMA)
    strings = {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"}
    assert typed["options"] == typed["labels"] == table["labels"] == strings
    assert table["options"] == table["few_shot_example"] == {"dtype": "string", "_type": "Value"}
    for declared in (typed, table):
        assert datasets.Features.from_dict(declared).to_dict() == declared  # a form `datasets` reads back
    for path in (f.path for f in exported.files if f.path.endswith(".parquet")):
        metadata = pq.read_schema(exported.out / path).metadata
        config = path.split("/")[1]
        wanted = table if config == "ninglab_table" else typed
        if config in TRAINING_CONFIGS:
            wanted = features(TRAINING_CONFIGS[config].schema)
        assert json.loads(metadata[b"huggingface"])["info"]["features"] == wanted, path
    for config, declared in (("ecinstruct", typed), ("ninglab_table", table)):
        assert all(part.features.to_dict() == declared for part in load_config(exported.out, config).values())


def test_published_options_are_lists_and_absent_values_null(exported, load_config) -> None:
    sa = load_config(exported.out, "Sentiment_Analysis")["test"][0]
    assert sa["options"] == [
        "A: very positive",
        "B: positive",
        "C: neutral",
        "D: negative",
        "E: very negative",
    ]
    assert sa["few_shot_example"] is None and sa["labels"] is None
    pm = load_config(exported.out, "Product_Matching")["train"]
    assert set(map(tuple, pm["options"])) == {()}  # a task without options: empty lists, never ''
    shot = load_config(exported.out, "one_shot")["test"]
    assert all(isinstance(example, str) and example for example in shot["few_shot_example"])
    for path in (f.path for f in exported.files if f.path.endswith(".parquet")):
        config = path.split("/")[1]
        if config == "ninglab_table" or config in TRAINING_CONFIGS:
            continue
        frame = pl.read_parquet(exported.out / path)
        blank = {c: (frame[c] == "").sum() for c in frame.columns if frame[c].dtype == pl.String}
        assert not any(blank.values()), (path, blank)  # an absent value is null, never ''
    table = load_config(exported.out, "ninglab_table")["train"]
    assert {type(o) for o in table["options"]} == {str}  # NingLab's table keeps its text cells
    assert "" in table["few_shot_example"] and None not in table["few_shot_example"]


def test_published_labels_are_lists_of_esci_labels_one_per_option(exported, load_config) -> None:
    for config in ("Query_Product_Rank", "ecinstruct", "ninglab_table"):
        for split in load_config(exported.out, config).values():
            for row in split:
                if row["task"] != "Query_Product_Rank":
                    assert row["labels"] is None
                    continue
                # one label per listed product, in option order: the gold ranking orders them by gain
                gains = {chr(ord("A") + i): QPR_GAINS[label] for i, label in enumerate(row["labels"])}
                ranking = row["output"].split(",")
                assert sorted(ranking) == sorted(gains) and len(gains) >= 2, row["id"]
                assert ranking == sorted(ranking, key=lambda letter: -gains[letter]), row["id"]


def test_card_dataset_info_gives_features_examples_and_bytes_per_split(exported) -> None:
    data = DatasetCard.load(exported.out / "README.md").data.to_dict()
    manifest = json.loads((exported.out / "manifest.json").read_text())
    info = {entry["config_name"]: entry for entry in data["dataset_info"]}
    assert sorted(info) == sorted(manifest["configs"])  # the manifest sorts its keys
    for name, splits in manifest["configs"].items():
        entry = info[name]
        columns = TRAINING_CONFIGS[name].schema if name in TRAINING_CONFIGS else ROW_SCHEMA
        assert [f["name"] for f in entry["features"]] == list(columns)
        if name not in TRAINING_CONFIGS:
            declared = {f["name"]: f for f in entry["features"]}
            assert declared["options"] == (
                {"name": "options", "dtype": "string"}
                if name == "ninglab_table"
                else {"name": "options", "list": "string"}
            )
            assert declared["labels"] == {"name": "labels", "list": "string"}
        assert {s["name"]: s["num_examples"] for s in entry["splits"]} == {
            k: v["rows"] for k, v in splits.items()
        }
        sizes = [(exported.out / p).stat().st_size for v in splits.values() for p in v["files"]]
        assert entry["download_size"] == sum(sizes)
        assert all(s["num_bytes"] > 0 for s in entry["splits"])
        assert entry["dataset_size"] == sum(s["num_bytes"] for s in entry["splits"])


def test_large_splits_are_sharded_with_push_to_hub_names(
    built: Build, exported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, load_config
) -> None:
    monkeypatch.setattr(layout, "ROW_GROUP_ROWS", 10)  # small groups, so a small limit can be kept
    limit = 200_000
    out = tmp_path / "sharded"
    export_dataset(built, out, repo_id="org/ECInstruct", progress=False, max_shard_bytes=limit)
    manifest = json.loads((out / "manifest.json").read_text())
    table = manifest["configs"]["ninglab_table"]["train"]["files"]
    total = len(table)
    assert total > 1
    assert table == [f"data/ninglab_table/train-{i:05d}-of-{total:05d}.parquet" for i in range(total)]
    for split in (s for config in manifest["configs"].values() for s in config.values()):
        assert all(pq.read_table(out / p).nbytes <= limit for p in split["files"])  # push_to_hub's measure
    for config in ("ninglab_table", "ecinstruct"):
        sharded, whole = load_config(out, config), load_config(exported.out, config)
        assert {s: d.to_list() for s, d in sharded.items()} == {s: d.to_list() for s, d in whole.items()}
