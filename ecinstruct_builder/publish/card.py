"""The dataset card (README.md): Hub YAML metadata plus a description written from the build itself."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from huggingface_hub import DatasetCard, DatasetCardData
from jinja2 import Environment, StrictUndefined, Template

from ..clean.privacy import PATTERNS
from ..sources import adapters
from ..tasks import builders
from ..templates import parse_template_file
from .features import typed_columns
from .formats import FORMATS, config_name
from .layout import (
    DEFAULT_CONFIG,
    DIVERSE,
    EVALUATION_CONFIGS,
    SPLIT_SOURCES,
    TABLE_CONFIG,
    ConfigSpec,
    scan_split,
    side_rows,
)
from .markdown import fence, number, table
from .workdir import Build

TEMPLATE = Path(__file__).with_name("card_template.md")
RECIPE_FILE = "recipe.toml"
LOCAL_PLACEHOLDER = "path/to/this/folder"

ARXIV_ID = "2402.08831"
PAPER_URL = f"https://arxiv.org/abs/{ARXIV_ID}"
ECELLM_CITATION = f"""@inproceedings{{peng2024ecellm,
  title         = {{eCeLLM: Generalizing Large Language Models for E-commerce from Large-scale, High-quality
                   Instruction Data}},
  author        = {{Peng, Bo and Ling, Xinyi and Chen, Ziru and Sun, Huan and Ning, Xia}},
  booktitle     = {{Proceedings of the 41st International Conference on Machine Learning (ICML)}},
  series        = {{Proceedings of Machine Learning Research}},
  volume        = {{235}},
  year          = {{2024}},
  url           = {{https://proceedings.mlr.press/v235/peng24c.html}},
  eprint        = {{{ARXIV_ID}}},
  archiveprefix = {{arXiv}}
}}"""

TASK_CATEGORIES = ["text-classification", "question-answering", "text-generation", "zero-shot-classification"]
# The Hub's `task_ids` that describe a task exactly; tasks without a fitting id add none.
TASK_IDS = {
    "SA": ("sentiment-classification",),
    "MPC": ("multi-class-classification",),
    "PRP": ("multi-class-classification",),
    "AG": ("closed-domain-qa",),
}
# The Hub's size_categories bins: (upper bound, label); anything at or above the last bound is n>1T.
SIZE_BUCKETS = (
    (10**3, "n<1K"),
    (10**4, "1K<n<10K"),
    (10**5, "10K<n<100K"),
    (10**6, "100K<n<1M"),
    (10**7, "1M<n<10M"),
    (10**8, "10M<n<100M"),
    (10**9, "100M<n<1B"),
    (10**10, "1B<n<10B"),
    (10**11, "10B<n<100B"),
    (10**12, "100B<n<1T"),
)
LARGEST_SIZE = "n>1T"
EXAMPLE_CHARS = 600  # longer values are shortened in the card's examples (SR histories run long)
LICENCE_ANCHOR = "source-data-and-licences"  # the card section that states each source's terms
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
    (
        "labels",
        "QPR only: the ESCI label (E, S, C, I) of each listed product, in option order, for NDCG; "
        "null for the other tasks",
    ),
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
    """The Hub's size bin of a dataset of `rows` rows."""
    return next((label for limit, label in SIZE_BUCKETS if rows < limit), LARGEST_SIZE)


def licence_link(repo_id: str | None) -> str:
    """`license_link` for `license: other`: the card's licence section, which gives each source's terms.

    The Hub takes a file in the repo or a URL; with a repo id it is the section's URL on the Hub.
    """
    section = f"README.md#{LICENCE_ANCHOR}"
    return f"https://huggingface.co/datasets/{repo_id}/blob/main/{section}" if repo_id else section


def task_ids(build: Build) -> list[str]:
    """The Hub `task_ids` of the published tasks, each once, in ECInstruct order."""
    ids = (i for task in build.tasks for i in TASK_IDS.get(task.abbr, ()))
    return list(dict.fromkeys(ids))


def source_datasets(used: Iterable[str]) -> list[str]:
    """`source_datasets` in the Hub's form for data derived from datasets that are not on the Hub."""
    return [f"extended|other-{name.replace('_', '-')}" for name in used]


def card_metadata(
    build: Build,
    configs: list[ConfigSpec],
    total_rows: int,
    carried: Sequence[dict[str, Any]] = (),
    info: Sequence[dict[str, Any]] = (),
    repo_id: str | None = None,
) -> DatasetCardData:
    """The YAML header: what the Hub indexes, and `configs` so `load_dataset(repo, config)` works."""
    return DatasetCardData(
        language=["en"],
        license="other",
        license_name="per-source",
        license_link=licence_link(repo_id),
        pretty_name=f"ECInstruct (ecbuild, recipe {build.recipe.name})",
        task_categories=TASK_CATEGORIES,
        task_ids=task_ids(build),
        size_categories=[size_category(total_rows)],
        source_datasets=source_datasets(sources_used(build)),
        multilinguality=["monolingual"],
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
        [
            known[n].title,
            ", ".join(t),
            known[n].licence,
            known[n].homepage,
            ", ".join(f"`{key}`" for key in bibtex_keys(known[n].citation)),
        ]
        for n, t in used.items()
        if n in known
    ]
    return table(["source", "tasks", "licence", "link", "cite (see Citation)"], rows)


def bibtex_keys(bibtex: str) -> list[str]:
    """The entry keys of a BibTeX text (`@inproceedings{key,` -> `key`)."""
    return re.findall(r"^@\w+\{([^,\s]+),", bibtex, flags=re.M)


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and len(value) > EXAMPLE_CHARS:
        return f"{value[:EXAMPLE_CHARS]}… [{len(value) - EXAMPLE_CHARS:,} more characters]"
    return value


def _examples(build: Build, configs: list[ConfigSpec]) -> list[tuple[str, str]]:
    """Per task: its config's first row (train when it has one), as `load_dataset` returns it."""
    by_name = {c.name: c for c in configs}
    examples = []
    for task in build.tasks:
        config = by_name.get(task.name)
        if config is None:
            continue
        frame = scan_split(build, config.splits[0]).head(1).with_columns(typed_columns()).collect()
        if frame.is_empty():
            continue
        row = {k: _shorten(v) for k, v in frame.row(0, named=True).items()}
        text = json.dumps(row, indent=2, ensure_ascii=False)
        examples.append((f"{task.abbr} (`{config.splits[0].split}`)", fence(text, "json")))
    return examples


def _privacy_table(build: Build) -> str:
    """Per task: which protections were on and how many values the scrubbing replaced, per kind."""
    kinds = [kind for kind, _, _ in PATTERNS]
    rows = []
    for task in build.tasks:
        recipe = build.recipe.tasks.get(task.abbr)
        privacy = recipe.privacy if recipe is not None else build.recipe.privacy
        scrubbed = build.task_report(task.abbr).clean.scrubbed
        on = ("yes" if privacy.scrub_text else "**no**", "yes" if privacy.pseudonymise_ids else "**no**")
        rows.append([task.abbr, *on, *(number(scrubbed.get(kind, 0)) for kind in kinds)])
    return table(["task", "text scrubbed", "ids pseudonymised", *kinds], rows)


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
        "synthetic": build.synthetic is not None,  # what fetch read, whatever the recipe
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
        "examples": _examples(build, configs),
        "privacy_table": _privacy_table(build),
        "paper_url": PAPER_URL,
        "licence_anchor": LICENCE_ANCHOR,
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
    metadata = card_metadata(build, configs, int(counts["rows"].sum()), carried, info, repo_id)
    body = _template().render(card_context(build, configs, counts, repo_id))
    return DatasetCard(f"---\n{metadata.to_yaml()}\n---\n\n{body}")
