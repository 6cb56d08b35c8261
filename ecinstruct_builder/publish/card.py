"""The dataset card (README.md): Hub YAML metadata plus a description written from the build itself."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from huggingface_hub import DatasetCard, DatasetCardData
from jinja2 import Environment, StrictUndefined, Template

from ..sources import adapters
from ..tasks import builders
from ..templates import parse_template_file
from .formats import FORMATS, config_name
from .layout import (
    DEFAULT_CONFIG,
    DIVERSE,
    EVALUATION_CONFIGS,
    SPLIT_SOURCES,
    TABLE_CONFIG,
    ConfigSpec,
    side_rows,
)
from .markdown import fence, number, table
from .workdir import Build

TEMPLATE = Path(__file__).with_name("card_template.md")
RECIPE_FILE = "recipe.toml"
LOCAL_PLACEHOLDER = "path/to/this/folder"

ECELLM_CITATION = """@inproceedings{peng2024ecellm,
  title     = {eCeLLM: Generalizing Large Language Models for E-commerce from Large-scale, High-quality
               Instruction Data},
  author    = {Peng, Bo and Ling, Xinyi and Chen, Ziru and Sun, Huan and Ning, Xia},
  booktitle = {Forty-first International Conference on Machine Learning (ICML)},
  year      = {2024},
  url       = {https://openreview.net/forum?id=LWRI4uPG2X}
}"""

TASK_CATEGORIES = ["text-classification", "question-answering", "text-generation", "zero-shot-classification"]
SIZE_BUCKETS = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
)
FIELDS = (
    ("id", "stable row id: task abbreviation + hash of setting and example"),
    ("task", "ECInstruct task name, e.g. `Sentiment_Analysis`"),
    ("setting", "ECInstruct setting, e.g. `IND_Diverse_Instruction`, `OOD_Unseen_Instruction`"),
    ("split", "ECInstruct split value: `train`, `val` or `test` (OOD rows are `test` of an `OOD_*` setting)"),
    ("instruction", "the instruction text"),
    ("input", "the example, usually a JSON string"),
    (
        "options",
        "list of the answer options, an empty list for tasks without options "
        "(in `ninglab_table`: the list as JSON text, empty text when none)",
    ),
    ("output", "the gold answer in ECInstruct's format"),
    (
        "few_shot_example",
        "1-shot settings only: a JSON object with a solved train example; null otherwise "
        "(empty text in `ninglab_table`)",
    ),
    ("source", "source dataset(s) of the example (`+`-joined)"),
    ("source_ids", "upstream ids the example was built from"),
    ("product_id", "the main product (ASIN or source id), when there is one"),
    ("category", "product category from the source, when it has one"),
    ("template_id", "id of the instruction template (see Instructions)"),
    ("labels", "QPR only: JSON list of the ESCI label of each listed product, for NDCG"),
)
CONFIG_NOTES = {
    DEFAULT_CONFIG: "ECInstruct proper (the default): every task's IND and OOD Diverse-instruction rows",
    TABLE_CONFIG: "NingLab/ECInstruct's single table: every setting in `train`, to filter on `split`",
    "single_instruction": "every task with its base instruction only",
    "unseen_instruction": "test rows with the held-out instruction (never seen in training)",
    "one_shot": "test rows with one solved train example in `few_shot_example`",
    **{config_name(f): f"ECInstruct proper in the `{f}` training layout" for f in FORMATS},
}


def size_category(rows: int) -> str:
    return next((label for limit, label in SIZE_BUCKETS if rows < limit), "n>10M")


def card_metadata(
    build: Build,
    configs: list[ConfigSpec],
    total_rows: int,
    carried: Sequence[dict[str, Any]] = (),
    info: Sequence[dict[str, Any]] = (),
) -> DatasetCardData:
    """The YAML header: what the Hub indexes, and `configs` so `load_dataset(repo, config)` works."""
    return DatasetCardData(
        language=["en"],
        license="other",
        license_name="per-source",
        pretty_name=f"ECInstruct (ecbuild, recipe {build.recipe.name})",
        task_categories=TASK_CATEGORIES,
        size_categories=[size_category(total_rows)],
        tags=["e-commerce", "instruction-tuning", "ecinstruct", "ecbuild"],
        configs=[
            {
                "config_name": c.name,
                "data_files": [{"split": s.split, "path": s.pattern} for s in c.splits],
                **({"default": True} if c.name == DEFAULT_CONFIG else {}),
            }
            for c in configs
        ]
        + list(carried),
        **({"dataset_info": list(info)} if info else {}),
    )


def _loading_code(repo_id: str | None, build: Build) -> str:
    where = repo_id or LOCAL_PLACEHOLDER
    lines = [
        "from datasets import load_dataset",
        "",
        f'ecinstruct = load_dataset("{where}")  # ECInstruct proper: train, validation, test, test_ood',
        f'table = load_dataset("{where}", "{TABLE_CONFIG}", split="train")  # every setting, one table',
        f'one_task = load_dataset("{where}", "{build.tasks[0].name}")  # train, validation, test, test_ood',
        f'unseen = load_dataset("{where}", "unseen_instruction", split="test")',
    ]
    return fence("\n".join(lines), "python")


def _configs_table(configs: list[ConfigSpec]) -> str:
    rows = [
        [
            f"`{c.name}`",
            ", ".join(f"{s.split} ({number(s.rows)})" for s in c.splits),
            CONFIG_NOTES.get(c.name, "one task's Diverse-instruction rows"),
        ]
        for c in configs
    ]
    return table(["config", "splits (rows)", "content"], rows)


def _tasks_table(build: Build) -> str:
    # Every fact comes from the task's builder, so the card and `ecbuild eval` never disagree.
    known = builders()
    rows = []
    for task in build.tasks:
        builder = known.get(task.abbr)
        if builder is None:
            rows.append([task.abbr, f"`{task.name}`", "", "", "", ""])
            continue
        metrics = f"**{builder.primary_metric}**; {builder.scoring}"
        rows.append(
            [task.abbr, f"`{task.name}`", builder.group, builder.definition, builder.output_shape, metrics]
        )
    return table(["abbr", "config / `task`", "group", "what the model does", "output", "metrics"], rows)


def _diverse_table(build: Build, counts: pl.DataFrame) -> str:
    rows = [
        [t.abbr, *(number(side_rows(counts, t.name, DIVERSE, s)) for s in SPLIT_SOURCES)] for t in build.tasks
    ]
    return table(["task", *SPLIT_SOURCES], rows)


def _evaluation_table(build: Build, counts: pl.DataFrame) -> str:
    columns = [
        (config, setting, s) for config, (setting, splits) in EVALUATION_CONFIGS.items() for s in splits
    ]
    rows = [
        [t.abbr, *(number(side_rows(counts, t.name, setting, s)) for _, setting, s in columns)]
        for t in build.tasks
    ]
    return table(["task", *(f"{config} {s}" for config, _, s in columns)], rows)


def _domains(build: Build, abbr: str, split: str) -> list[str]:
    return [d.domain for d in build.task_report(abbr).domains if d.split == split]


def _categories_table(build: Build) -> str:
    known = builders()
    rows = []
    for task in build.tasks:
        axis = known[task.abbr].ood_axis if task.abbr in known else "none"
        recipe = build.recipe.tasks.get(task.abbr)  # None: a task this code no longer knows
        if axis == "holdout":
            held_out = ", ".join(_domains(build, task.abbr, "test_ood")) or "none"
            rows.append([task.abbr, "every other attribute", f"held-out attributes: {held_out}"])
        elif axis == "category" and recipe is not None:
            rows.append([task.abbr, ", ".join(recipe.ind_categories), ", ".join(recipe.ood_categories)])
        else:
            rows.append([task.abbr, "all (the source has no category)", "no OOD test set"])
    return table(["task", "in-domain (train, validation, test)", "out-of-domain (test_ood)"], rows)


def _instruction_tables(build: Build) -> list[tuple[str, int, str]]:
    tables = []
    for task in build.tasks:
        templates = parse_template_file(Path(build.task_report(task.abbr).template_file))
        roles = {templates.base: "base", templates.unseen: "held out (unseen)"}
        rows = [[f"`{i}`", roles.get(i, "diverse"), text] for i, text in templates.instructions.items()]
        tables.append((task.abbr, len(rows), table(["id", "role", "text"], rows)))
    return tables


def _cleaning_tables(build: Build) -> tuple[str, str]:
    """Per task: candidates, rows dropped per stage and published examples; and every drop reason."""
    summary, detail = [], []
    for task in build.tasks:
        report = build.task_report(task.abbr)
        by_stage: dict[str, int] = defaultdict(int)
        for drop in report.clean.dropped:
            by_stage[drop.stage] += drop.rows
            detail.append([task.abbr, drop.stage, f"`{drop.reason}`", number(drop.rows)])
        selected = sum(q.selected for q in report.split.quotas)
        stages = (number(by_stage.get(s, 0)) for s in ("filter", "dedup", "decontaminate", "split"))
        summary.append([task.abbr, number(report.split.candidates), *stages, number(selected)])
    header = ["task", "candidates", "filters", "dedup", "decontamination", "split", "published"]
    drops = table(["task", "stage", "reason", "rows"], detail) if detail else "Nothing was dropped."
    return table(header, summary), drops


def sources_used(build: Build) -> dict[str, list[str]]:
    """Adapter name -> abbreviations of the published tasks that read one of its tables."""
    owner = {table: name for name, adapter in adapters().items() for table in adapter.tables}
    known = builders()
    used: dict[str, list[str]] = {}
    for task in build.tasks:
        for table_name in known[task.abbr].tables if task.abbr in known else ():
            tasks = used.setdefault(owner.get(table_name, table_name), [])
            if task.abbr not in tasks:
                tasks.append(task.abbr)
    return dict(sorted(used.items()))


def _sources_table(used: dict[str, list[str]]) -> str:
    known = adapters()
    rows = [
        [known[n].title, ", ".join(t), known[n].licence, known[n].homepage]
        for n, t in used.items()
        if n in known
    ]
    return table(["source", "tasks", "licence", "link"], rows)


def _commands(build: Build) -> str:
    fetch = f"ecbuild fetch --recipe {RECIPE_FILE} --workdir work"
    if build.recipe.origin == "download":
        fetch += "  # or --source-dir DIR: your own copies of the sources"
    lines = [
        "pip install -e .  # in a checkout of ecbuild",
        fetch,
        f"ecbuild render --recipe {RECIPE_FILE} --workdir work --task all",
        f"ecbuild export --recipe {RECIPE_FILE} --workdir work --out ECInstruct",
    ]
    return fence("\n".join(lines), "bash")


def _citations(used: dict[str, list[str]]) -> str:
    known = adapters()
    entries = [ECELLM_CITATION] + [known[n].citation for n in used if n in known]
    return fence("\n\n".join(entries), "bibtex")


@cache
def _template() -> Template:
    env = Environment(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, keep_trailing_newline=True
    )
    return env.from_string(TEMPLATE.read_text(encoding="utf-8"))


def card_context(
    build: Build, configs: list[ConfigSpec], counts: pl.DataFrame, repo_id: str | None
) -> dict[str, Any]:
    """Everything the card template shows, computed from the build."""
    used = sources_used(build)
    cleaning, drops = _cleaning_tables(build)
    return {
        "recipe": build.recipe,
        "synthetic": build.recipe.origin == "bundled",
        "total_rows": number(int(counts["rows"].sum())),
        "task_count": len(build.tasks),
        "loading_code": _loading_code(repo_id, build),
        "configs_table": _configs_table(configs),
        "tasks_table": _tasks_table(build),
        "diverse_table": _diverse_table(build, counts),
        "evaluation_table": _evaluation_table(build, counts),
        "fields_table": table(["column", "meaning"], [[f"`{n}`", m] for n, m in FIELDS]),
        "categories_table": _categories_table(build),
        "instruction_tables": _instruction_tables(build),
        "quarantined": number(build.sources.get("quarantine", {}).get("rows", 0)),
        "cleaning_table": cleaning,
        "drops_table": drops,
        "sources_table": _sources_table(used),
        "recipe_file": RECIPE_FILE,
        "commands": _commands(build),
        "recipe_text": fence(build.recipe.path.read_text(encoding="utf-8").rstrip("\n"), "toml"),
        "citations": _citations(used),
    }


def foreign_configs(card_text: str, produced: Iterable[str]) -> list[dict[str, Any]]:
    """The `configs` entries of a card (the one on the Hub) that this build does not produce.

    Their files stay in the repo on a push, so their entries stay in the card too: `load_dataset`
    still finds them. They lose a `default` flag (this build's default config keeps it).
    """
    try:
        entries = DatasetCard(card_text).data.to_dict().get("configs") or []
    except ValueError:  # a card whose YAML does not parse: nothing to carry over
        return []
    mine = set(produced)
    return [
        {k: v for k, v in entry.items() if k != "default"}
        for entry in entries
        if isinstance(entry, dict) and entry.get("config_name") not in mine
    ]


def build_card(
    build: Build,
    configs: list[ConfigSpec],
    counts: pl.DataFrame,
    info: Sequence[dict[str, Any]] = (),
    repo_id: str | None = None,
    carried: Sequence[dict[str, Any]] = (),
) -> DatasetCard:
    """The whole card; `repo_id` only changes the loading snippet (a folder placeholder without it).

    `info`: the `dataset_info` entries (publish/features.py); `carried`: config entries of configs
    other tools (or other builds) published in the repo.
    """
    metadata = card_metadata(build, configs, int(counts["rows"].sum()), carried, info)
    body = _template().render(card_context(build, configs, counts, repo_id))
    return DatasetCard(f"---\n{metadata.to_yaml()}\n---\n\n{body}")
