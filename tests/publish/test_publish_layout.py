"""The Hub layout: which rows land in which config and split, and that `datasets` loads every config."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.publish.layout import plan_layout, row_counts, scan_split
from ecinstruct_builder.publish.workdir import Build, BuiltTask
from ecinstruct_builder.render import ROW_SCHEMA

SETTINGS_SPLITS = [
    ("IND_Diverse_Instruction", "train", 3),
    ("IND_Diverse_Instruction", "validation", 2),
    ("IND_Diverse_Instruction", "test", 2),
    ("OOD_Diverse_Instruction", "test", 1),
    ("IND_Single_Instruction", "train", 3),
    ("IND_Single_Instruction", "test", 2),
    ("IND_Unseen_Instruction", "test", 2),
    ("OOD_Unseen_Instruction", "test", 1),
    ("IND_Diverse_Instruction_1-shot", "test", 2),
]


def _task_file(folder: Path, name: str, with_ood: bool) -> Path:
    rows = []
    for setting, split, n in SETTINGS_SPLITS:
        if setting.startswith("OOD") and not with_ood:
            continue
        for i in range(n):
            rows.append(
                {key: None for key in ROW_SCHEMA}
                | {
                    "id": f"{name}-{setting}-{split}-{i}",
                    "task": name,
                    "setting": setting,
                    "split": split,
                    "instruction": "Say something.",
                    "input": "{}",
                    "options": "",
                    "output": "yes",
                    "few_shot_example": "",
                    "source_ids": ["x"],
                }
            )
    path = folder / f"{name}.parquet"
    pl.DataFrame(rows, schema=ROW_SCHEMA, orient="row").write_parquet(path)
    return path


def _tiny_build(tmp_path: Path) -> Build:
    tasks = (
        BuiltTask("SA", "Sentiment_Analysis", _task_file(tmp_path, "Sentiment_Analysis", True)),
        BuiltTask("PM", "Product_Matching", _task_file(tmp_path, "Product_Matching", False)),
    )
    return Build(workdir=tmp_path, recipe=load_recipe("demo"), report={}, sources={}, tasks=tasks)


def test_plan_layout_maps_settings_to_configs_and_drops_empty_splits(tmp_path: Path) -> None:
    configs = plan_layout(_tiny_build(tmp_path))
    layout = {c.name: {s.split: s.rows for s in c.splits} for c in configs}
    assert layout == {
        "ecinstruct": {"train": 6, "validation": 4, "test": 4, "test_ood": 1},  # the Diverse rows
        "ninglab_table": {"train": 34},  # every row: 18 of SA, 16 of PM (no OOD)
        "Sentiment_Analysis": {"train": 3, "validation": 2, "test": 2, "test_ood": 1},
        "Product_Matching": {"train": 3, "validation": 2, "test": 2},
        "single_instruction": {"train": 6, "test": 4},
        "unseen_instruction": {"test": 4, "test_ood": 1},
        "one_shot": {"test": 4},
    }
    assert [c.name for c in configs][:4] == [
        "ecinstruct",
        "ninglab_table",
        "Sentiment_Analysis",
        "Product_Matching",
    ]
    paths = [s.shard_path(0, 1) for c in configs for s in c.splits]
    assert "data/Sentiment_Analysis/test_ood-00000-of-00001.parquet" in paths
    assert "data/ecinstruct/test_ood-00000-of-00001.parquet" in paths


def test_scan_split_keeps_task_order_and_ecinstruct_columns(tmp_path: Path) -> None:
    build = _tiny_build(tmp_path)
    table = next(c for c in plan_layout(build) if c.name == "ninglab_table").splits[0]
    rows = scan_split(build, table).collect()
    assert rows.columns == list(ROW_SCHEMA)
    assert rows["task"].unique(maintain_order=True).to_list() == ["Sentiment_Analysis", "Product_Matching"]
    assert set(rows["setting"]) == {setting for setting, _, _ in SETTINGS_SPLITS}
    assert rows["split"].to_list()[:7] == ["train"] * 3 + ["validation"] * 2 + ["test"] * 2
    ood = next(c for c in plan_layout(build) if c.name == "Sentiment_Analysis").splits[-1]
    assert scan_split(build, ood).collect()["id"].to_list() == [
        "Sentiment_Analysis-OOD_Diverse_Instruction-test-0"
    ]


def test_every_config_loads_with_datasets(exported, built: Build, load_config) -> None:
    counts = row_counts(built)
    diverse = counts.filter(pl.col("setting").is_in(["IND_Diverse_Instruction", "OOD_Diverse_Instruction"]))
    assert [c.name for c in exported.configs[:2]] == ["ecinstruct", "ninglab_table"]
    published_rows = [c for c in exported.configs if c.splits[0].fmt is None]  # not a training format
    assert len(published_rows) == len(built.tasks) + 5
    for config in published_rows:
        loaded = load_config(exported.out, config.name)
        assert {name: ds.num_rows for name, ds in loaded.items()} == {s.split: s.rows for s in config.splits}
        assert all(ds.column_names == list(ROW_SCHEMA) for ds in loaded.values())
    table = load_config(exported.out, "ninglab_table")["train"]
    assert table.num_rows == counts["rows"].sum()
    assert set(table.unique("split")) == {"train", "validation", "test"}
    assert set(table.unique("setting")) == set(counts["setting"])
    proper = load_config(exported.out, "ecinstruct")
    assert sum(part.num_rows for part in proper.values()) == diverse["rows"].sum()


def test_default_config_keeps_evaluation_rows_out_of_train(exported, tmp_path: Path) -> None:
    import datasets

    proper = datasets.load_dataset(str(exported.out), cache_dir=str(tmp_path))  # no config: the default
    assert list(proper) == ["train", "validation", "test", "test_ood"]
    assert set(proper["train"]["split"]) == {"train"}
    assert set(proper["train"]["setting"]) == {"IND_Diverse_Instruction"}
    assert set(proper["validation"]["split"]) == {"validation"}
    assert set(proper["test_ood"]["setting"]) == {"OOD_Diverse_Instruction"}
    evaluation = set(proper["validation"]["id"]) | set(proper["test"]["id"]) | set(proper["test_ood"]["id"])
    assert not evaluation & set(proper["train"]["id"])


def test_task_config_splits_hold_the_right_rows(exported, load_config) -> None:
    sa = load_config(exported.out, "Sentiment_Analysis")
    assert set(sa["validation"]["split"]) == {"validation"}
    assert set(sa["validation"]["setting"]) == {"IND_Diverse_Instruction"}
    assert set(sa["test_ood"]["setting"]) == {"OOD_Diverse_Instruction"}
    assert set(sa["test_ood"]["category"]) == {"Tools_and_Home_Improvement"}
    assert "test_ood" not in load_config(exported.out, "Product_Matching")
    one_shot = load_config(exported.out, "one_shot")["test"]
    assert all(example for example in one_shot["few_shot_example"])
    unseen = load_config(exported.out, "unseen_instruction")["test_ood"]
    assert set(unseen["setting"]) == {"OOD_Unseen_Instruction"}
