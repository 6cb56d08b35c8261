"""The dataset card: YAML the Hub understands, and every section the issue asks for, from the build."""

from __future__ import annotations

import re
from fnmatch import fnmatch

from huggingface_hub import DatasetCard

from ecinstruct_builder.publish.card import foreign_configs, size_category, sources_used
from ecinstruct_builder.publish.workdir import Build
from ecinstruct_builder.sources import adapters
from ecinstruct_builder.tasks import builders
from ecinstruct_builder.templates import load_templates

SECTIONS = [
    "How to load",
    "Tasks",
    "Rows per task, split and setting",
    "Fields",
    "In-domain and out-of-domain categories",
    "Instructions",
    "Cleaning: what was dropped and why",
    "Source data and licences",
    "How to rebuild it",
    "Differences from the published ECInstruct",
    "Citation",
]


def test_card_yaml_parses_and_lists_every_config(exported) -> None:
    card = DatasetCard.load(exported.out / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "other" and data["language"] == ["en"]
    assert data["size_categories"] == ["1K<n<10K"]
    assert data["pretty_name"] == "ECInstruct (ecbuild, recipe demo)"
    assert [c["config_name"] for c in data["configs"]] == [c.name for c in exported.configs]
    assert [c["config_name"] for c in data["configs"] if c.get("default")] == ["ecinstruct"]
    files = [f.path for f in exported.files]
    for config in data["configs"]:
        for entry in config["data_files"]:
            matched = [f for f in files if fnmatch(f, entry["path"])]
            assert matched == [f"data/{config['config_name']}/{entry['split']}-00000-of-00001.parquet"]


def test_card_has_every_section_in_order(exported) -> None:
    headings = re.findall(r"^## (.+)$", (exported.out / "README.md").read_text(), flags=re.M)
    assert headings == SECTIONS


def test_card_describes_tasks_counts_and_categories(built: Build, exported) -> None:
    text = (exported.out / "README.md").read_text()
    assert 'load_dataset("org/ECInstruct")  # ECInstruct proper' in text
    assert 'load_dataset("org/ECInstruct", "ninglab_table", split="train")' in text
    assert "| SA | `Sentiment_Analysis` | user understanding |" in text
    assert "**macro_f1**" in text and "**ndcg**" in text and "**hr@1**" in text
    assert "| SA | 100 | 20 | 20 | 20 |" in text  # Diverse rows per split, from the data
    assert "| PRP | Electronics, Home_and_Kitchen, Sports_and_Outdoors | Tools_and_Home_Improvement |" in text
    assert "| PM | all (the source has no category) | no OOD test set |" in text
    held_out = [d.domain for d in built.task_report("AVE").domains if d.split == "test_ood"]
    assert f"held-out attributes: {', '.join(held_out)}" in text
    assert "Synthetic demo data" in text


def test_card_marks_base_and_held_out_instruction_of_every_task(built: Build, exported) -> None:
    text = (exported.out / "README.md").read_text()
    for task in built.tasks:
        templates = load_templates(task.abbr)
        unseen_text = templates.instructions[templates.unseen]
        assert f"| `{templates.unseen}` | held out (unseen) | {unseen_text} |" in text
        assert f"| `{templates.base}` | base |" in text


def test_card_has_drop_table_licences_recipe_and_citations(built: Build, exported) -> None:
    text = (exported.out / "README.md").read_text()
    sa = built.task_report("SA").clean.dropped[0]
    assert f"| SA | {sa.stage} | `{sa.reason}` | {sa.rows:,} |" in text
    assert (
        "Amazon review data (2018 reviews and metadata, 2014 metadata)\n"
        "and AmazonQA come with no explicit licence" in text
    )
    assert "| Shopping Queries Dataset (ESCI) | MPC, PSI, QPR | Apache-2.0 |" in text
    assert built.recipe.path.read_text().splitlines()[0] in text
    assert f"hash `{built.recipe.hash}`" in text
    assert "ecbuild render --recipe recipe.toml --workdir work --task all" in text
    assert "@inproceedings{peng2024ecellm," in text
    used = sources_used(built)
    read = {table for task in built.tasks for table in builders()[task.abbr].tables}
    assert set(used) == {name for name, adapter in adapters().items() if read & set(adapter.tables)}
    for name, adapter in adapters().items():
        # cited exactly when a published task reads it (Amazon 2023 feeds no task of this recipe)
        assert (adapter.citation.splitlines()[0] in text) == (name in used), name
    assert "hou2024bridging" not in text


def test_size_category_buckets() -> None:
    assert [size_category(n) for n in (999, 1_000, 99_999, 265_562, 20_000_000)] == [
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "100K<n<1M",
        "n>10M",
    ]


def test_foreign_configs_keeps_only_configs_this_build_does_not_produce() -> None:
    card = (
        "---\nconfigs:\n"
        "- config_name: ecinstruct\n  default: true\n  data_files: data/ecinstruct/*\n"
        "- config_name: extra\n  default: true\n  data_files:\n  - split: train\n    path: extra/train-*\n"
        "---\nbody\n"
    )
    assert foreign_configs(card, ["ecinstruct", "Sentiment_Analysis"]) == [
        {"config_name": "extra", "data_files": [{"split": "train", "path": "extra/train-*"}]}
    ]
    assert foreign_configs("no metadata at all", ["ecinstruct"]) == []
