"""The dataset card: YAML the Hub understands, and every section the issue asks for, from the build."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from fnmatch import fnmatch

import polars as pl
import pytest
from huggingface_hub import DatasetCard, DatasetCardData

from ecinstruct_builder.publish.card import (
    bibtex_keys,
    build_card,
    card_context,
    foreign_configs,
    licence_link,
    size_category,
    source_datasets,
    sources_used,
)
from ecinstruct_builder.publish.layout import plan_layout, row_counts
from ecinstruct_builder.publish.workdir import Build
from ecinstruct_builder.sources import adapters
from ecinstruct_builder.tasks import builders
from ecinstruct_builder.templates import load_templates

SECTIONS = [
    "How to load",
    "Tasks",
    "Rows per task, split and setting",
    "Fields",
    "Example instances",
    "In-domain and out-of-domain categories",
    "Instructions",
    "Cleaning: what was dropped and why",
    "Source data and licences",
    "Uses",
    "Bias, risks and limitations",
    "Personal and sensitive information",
    "How to rebuild it",
    "Differences from the published ECInstruct",
    "Citation",
]

# The Hub's metadata vocabularies (huggingface.co/docs/hub/datasets-cards and the Hub's YAML validator),
# written out here so the test checks the card against them rather than against card.py's own constants.
HUB_SIZE_CATEGORIES = (
    "n<1K",
    "1K<n<10K",
    "10K<n<100K",
    "100K<n<1M",
    "1M<n<10M",
    "10M<n<100M",
    "100M<n<1B",
    "1B<n<10B",
    "10B<n<100B",
    "100B<n<1T",
    "n>1T",
)
# task category -> its task_ids (huggingface.js packages/tasks/src/pipelines.ts), for the categories used
HUB_TASK_IDS = {
    "text-classification": {
        "acceptability-classification",
        "entity-linking-classification",
        "fact-checking",
        "intent-classification",
        "language-identification",
        "multi-class-classification",
        "multi-label-classification",
        "multi-input-text-classification",
        "natural-language-inference",
        "semantic-similarity-classification",
        "sentiment-classification",
        "topic-classification",
        "semantic-similarity-scoring",
        "sentiment-scoring",
        "sentiment-analysis",
        "hate-speech-detection",
        "text-scoring",
    },
    "question-answering": {"extractive-qa", "open-domain-qa", "closed-domain-qa"},
    "text-generation": {"dialogue-modeling", "dialogue-generation", "conversational", "language-modeling"},
    "zero-shot-classification": set(),
}
HUB_MULTILINGUALITY = {"monolingual", "multilingual", "translation", "other"}
# `original`, `extended`, `extended|<dataset>` or a Hub repo id
SOURCE_DATASET = re.compile(r"^(original|extended(\|[\w.-]+)?|[\w.-]+/[\w.-]+)$")
LICENSE_NAME = re.compile(r"^[a-z0-9.-]+$")  # the Hub's slug rule for `license_name`


def _metadata(exported) -> dict:
    return DatasetCard.load(exported.out / "README.md").data.to_dict()


def _card_text(exported) -> str:
    return (exported.out / "README.md").read_text()


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
    sizes = (0, 999, 1_000, 99_999, 265_562, 20_000_000, 3 * 10**9, 10**12 - 1, 10**12, 10**15)
    assert [size_category(n) for n in sizes] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "100K<n<1M",
        "10M<n<100M",
        "1B<n<10B",
        "100B<n<1T",
        "n>1T",
        "n>1T",
    ]


@pytest.mark.parametrize("power", range(16))
def test_size_category_is_a_hub_bin_and_grows_with_size(power: int) -> None:
    label = size_category(10**power)
    assert label in HUB_SIZE_CATEGORIES
    assert HUB_SIZE_CATEGORIES.index(size_category(10**power - 1)) <= HUB_SIZE_CATEGORIES.index(label)


def test_card_metadata_round_trips_through_dataset_card_data(exported) -> None:
    card = DatasetCard.load(exported.out / "README.md")
    data = card.data.to_dict()
    assert DatasetCardData(**data).to_dict() == data
    again = DatasetCard(str(card))
    assert again.data.to_dict() == data and again.text == card.text


def test_card_metadata_follows_the_hub_rules(built: Build, exported) -> None:
    data = _metadata(exported)
    assert data["license"] == "other"  # `other` needs a name and a link on the Hub
    assert LICENSE_NAME.match(data["license_name"])
    page, anchor = data["license_link"].split("#")
    assert page == "https://huggingface.co/datasets/org/ECInstruct/blob/main/README.md"  # exported for org/…
    headings = re.findall(r"^## (.+)$", _card_text(exported), flags=re.M)
    assert anchor in {re.sub(r"[^\w\- ]", "", h).lower().replace(" ", "-") for h in headings}
    assert set(data["size_categories"]) <= set(HUB_SIZE_CATEGORIES) and len(data["size_categories"]) == 1
    assert set(data["task_categories"]) <= set(HUB_TASK_IDS)
    allowed = set().union(*(HUB_TASK_IDS[c] for c in data["task_categories"]))
    assert data["task_ids"] and set(data["task_ids"]) <= allowed  # each id belongs to a listed category
    assert len(data["task_ids"]) == len(set(data["task_ids"]))
    assert set(data["multilinguality"]) <= HUB_MULTILINGUALITY
    assert all(SOURCE_DATASET.match(s) for s in data["source_datasets"]), data["source_datasets"]
    assert data["source_datasets"] == source_datasets(sources_used(built))


def test_licence_link_is_a_repo_path_without_a_repo() -> None:
    assert licence_link(None) == "README.md#source-data-and-licences"
    assert (
        licence_link("a/b")
        == "https://huggingface.co/datasets/a/b/blob/main/README.md#source-data-and-licences"
    )


def test_source_datasets_name_each_source_once() -> None:
    assert source_datasets(["amazon2018", "amazon_google"]) == [
        "extended|other-amazon2018",
        "extended|other-amazon-google",
    ]


def test_card_links_the_arxiv_paper(exported) -> None:
    text = _card_text(exported)
    assert "(https://arxiv.org/abs/2402.08831)" in text  # the Hub links the paper page from this
    assert "eprint        = {2402.08831}" in text


def test_card_shows_one_example_per_task_as_loaded(built: Build, exported) -> None:
    text = _card_text(exported)
    section = text.split("## Example instances", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"<summary>(\w+) \(`(\w+)`\)</summary>\n\n```json\n(.*?)\n```", section, flags=re.S)
    assert [abbr for abbr, _, _ in blocks] == [t.abbr for t in built.tasks]
    for (abbr, split, block), task in zip(blocks, built.tasks, strict=True):
        first = pl.read_parquet(exported.out / f"data/{task.name}/{split}-00000-of-00001.parquet").row(
            0, named=True
        )
        shown = json.loads(block)
        assert shown["id"] == first["id"] and shown["task"] == task.name, abbr
        assert shown["options"] == first["options"]  # a list, as load_dataset gives it
        assert shown["output"] == first["output"] or shown["output"].endswith("more characters]")


def test_card_has_uses_risks_and_personal_data_sections(built: Build, exported) -> None:
    text = _card_text(exported)
    assert "### Direct use" in text and "### Out-of-scope use" in text
    section = text.split("## Personal and sensitive information", 1)[1].split("\n## ", 1)[0]
    assert "`[privacy]`" in section and "`clean.scrubbed`" in section
    for task in built.tasks:
        scrubbed = built.task_report(task.abbr).clean.scrubbed
        counts = " | ".join(f"{scrubbed.get(k, 0):,}" for k in ("email", "url", "order_number", "phone"))
        assert f"| {task.abbr} | yes | yes | {counts} |" in section


def test_privacy_table_shows_a_task_whose_protections_are_off(built: Build) -> None:
    sa = built.recipe.tasks["SA"]
    off = replace(sa, privacy=replace(sa.privacy, scrub_text=False, pseudonymise_ids=False))
    changed = replace(built, recipe=replace(built.recipe, tasks={**built.recipe.tasks, "SA": off}))
    shown = card_context(changed, plan_layout(changed), row_counts(changed), None)["privacy_table"]
    rows = {line.split(" | ")[0].strip("| "): line for line in shown.splitlines()}
    assert rows["SA"].startswith("| SA | **no** | **no** |")
    assert all(rows[t.abbr].startswith(f"| {t.abbr} | yes | yes |") for t in built.tasks if t.abbr != "SA")


def test_card_calls_a_build_synthetic_only_when_fetch_read_synthetic_files(built: Build) -> None:
    def body(build: Build) -> str:
        return build_card(build, plan_layout(build), row_counts(build)).text

    assert "Synthetic demo data" in body(built) and "This build is synthetic" in body(built)
    real = body(replace(built, sources={**built.sources, "synthetic": None}))
    assert "Synthetic demo data" not in real and "This build is synthetic" not in real
    assert "from the\noriginal public sources" in real


def test_card_bibtex_has_pages_and_doi_of_published_papers(exported) -> None:
    bibtex = _card_text(exported).split("```bibtex\n", 1)[1].split("\n```", 1)[0]
    assert bibtex.count("{") == bibtex.count("}")
    entries = re.split(r"\n(?=@)", bibtex.strip())
    assert [k for e in entries for k in bibtex_keys(e)] == bibtex_keys(bibtex)
    for entry in entries:
        if entry.startswith("@inproceedings") and "peng2024ecellm" not in entry:
            assert re.search(r"pages\s+= \{\d+--\d+\}", entry), entry
            assert re.search(r"doi\s+= \{10\.\d{4,5}/\S+\}", entry), entry
    assert "pages     = {188--197}" in bibtex and "doi       = {10.18653/v1/D19-1018}" in bibtex


def test_sources_table_names_licence_link_and_citation_key(built: Build, exported) -> None:
    text = _card_text(exported)
    for name in sources_used(built):
        adapter = adapters()[name]
        keys = ", ".join(f"`{k}`" for k in bibtex_keys(adapter.citation))
        assert f"| {adapter.licence} | {adapter.homepage} | {keys} |" in text, name


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
