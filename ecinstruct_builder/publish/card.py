"""The dataset card (README.md): Hub YAML metadata plus a description written from the build itself."""

from __future__ import annotations

from collections import defaultdict
import polars as pl
from huggingface_hub import DatasetCard, DatasetCardData

from ..evaluate.tasks import resolve_task
from ..sources import adapters
from ..tasks import builders
from ..templates import load_templates
from .layout import ALL_CONFIG, DIVERSE, EVALUATION_CONFIGS, SPLIT_SOURCES, ConfigSpec
from .markdown import fence, number, table
from .workdir import Build

RECIPE_FILE = "recipe.toml"
LOCAL_PLACEHOLDER = "path/to/this/folder"

# What each task asks, what the answer looks like and how it is scored (the primary metric comes
# from ecbuild's scorer, so the card and `ecbuild eval` never disagree).
TASK_NOTES: dict[str, tuple[str, str, str]] = {
    "AVE": ("Read a product's title, description, features and brand and extract the value of each target "
            "attribute, naming the field it came from.",
            "JSON list of `{attribute, value, source}` objects; value and source are `None` when the "
            "attribute is not mentioned", "precision, recall, F1 over triples (lenient matching on OOD)"),
    "PRP": ("Given two product titles, tell how they relate: bought together, viewed together or similar.",
            "option letter `A`, `B` or `C`", "accuracy, macro precision / recall / F1"),
    "PM": ("Decide whether an Amazon record and a Google Shopping record describe the same product.",
           "`yes` or `no`", "accuracy, precision, recall, F1, specificity, NPV"),
    "SA": ("Rate the sentiment of a customer review on a five-level scale.",
           "the full option, e.g. `A: very positive` (scored on its letter)", "accuracy, macro precision / recall / F1"),
    "SR": ("From the products a user bought, in order, pick the one they buy next among 20 candidates.",
           "option letter `A` to `T`", "hit rate at 1"),
    "MPC": ("Classify how a product relates to a search query: exact match, substitute, complement or "
            "irrelevant.", "the full option, e.g. `A: ...` (scored on its letter)",
            "accuracy, macro precision / recall / F1"),
    "PSI": ("Say whether a product could stand in, as a functional substitute, for what a query asks for.",
            "`yes` or `no`", "accuracy, precision, recall, F1, specificity, NPV"),
    "QPR": ("Order two to four products by how well they serve a search query.",
            "letters best first, comma-separated, e.g. `B,A,C`", "NDCG with ESCI gains (per-option labels in `labels`)"),
    "AP": ("Say whether the review snippets contain the answer to a shopper's question.",
           "`yes` or `no`", "accuracy, precision, recall, F1, specificity, NPV"),
    "AG": ("Answer a shopper's question from review snippets.", "free text",
           "BERTScore precision / recall / F1, BLEURT (ROUGE-L when those models are not installed)"),
}

# BibTeX of every source an adapter reads, keyed by adapter name.
SOURCE_CITATIONS: dict[str, str] = {
    "amazon2018": """@inproceedings{ni2019justifying,
  title     = {Justifying Recommendations using Distantly-Labeled Reviews and Fine-Grained Aspects},
  author    = {Ni, Jianmo and Li, Jiacheng and McAuley, Julian},
  booktitle = {Proceedings of EMNLP-IJCNLP},
  year      = {2019}
}""",
    "amazon2014": """@inproceedings{he2016ups,
  title     = {Ups and Downs: Modeling the Visual Evolution of Fashion Trends with One-Class Collaborative Filtering},
  author    = {He, Ruining and McAuley, Julian},
  booktitle = {Proceedings of the 25th International Conference on World Wide Web (WWW)},
  year      = {2016}
}
@inproceedings{mcauley2015image,
  title     = {Image-Based Recommendations on Styles and Substitutes},
  author    = {McAuley, Julian and Targett, Christopher and Shi, Qinfeng and van den Hengel, Anton},
  booktitle = {Proceedings of the 38th International ACM SIGIR Conference},
  year      = {2015}
}""",
    "amazon2023": """@article{hou2024bridging,
  title   = {Bridging Language and Items for Retrieval and Recommendation},
  author  = {Hou, Yupeng and Li, Jiacheng and He, Zhankui and Yan, An and Chen, Xiusi and McAuley, Julian},
  journal = {arXiv preprint arXiv:2403.03952},
  year    = {2024}
}""",
    "mave": """@inproceedings{yang2022mave,
  title     = {MAVE: A Product Dataset for Multi-source Attribute Value Extraction},
  author    = {Yang, Li and Wang, Qifan and Yu, Zac and Kulkarni, Anand and Sanghai, Sumit and Shu, Bin and
               Elsas, Jon and Kanagal, Bhargav},
  booktitle = {Proceedings of the 15th ACM International Conference on Web Search and Data Mining (WSDM)},
  year      = {2022}
}""",
    "esci": """@article{reddy2022shopping,
  title   = {Shopping Queries Dataset: A Large-Scale {ESCI} Benchmark for Improving Product Search},
  author  = {Reddy, Chandan K. and M{\\`a}rquez, Llu{\\'i}s and Valero, Fran and Rao, Nikhil and Zaragoza, Hugo and
             Bandyopadhyay, Sambaran and Biswas, Arnab and Xing, Anlu and Subbian, Karthik},
  journal = {arXiv preprint arXiv:2206.06588},
  year    = {2022}
}""",
    "amazonqa": """@inproceedings{gupta2019amazonqa,
  title     = {AmazonQA: A Review-Based Question Answering Task},
  author    = {Gupta, Mansi and Kulkarni, Nitish and Chanda, Raghuveer and Rayasam, Anirudha and Lipton, Zachary C.},
  booktitle = {Proceedings of the 28th International Joint Conference on Artificial Intelligence (IJCAI)},
  year      = {2019}
}""",
    "amazon_google": """@article{kopcke2010evaluation,
  title   = {Evaluation of Entity Resolution Approaches on Real-World Match Problems},
  author  = {K{\\"o}pcke, Hanna and Thor, Andreas and Rahm, Erhard},
  journal = {Proceedings of the VLDB Endowment},
  volume  = {3},
  number  = {1-2},
  year    = {2010}
}""",
}
ECELLM_CITATION = """@inproceedings{peng2024ecellm,
  title     = {eCeLLM: Generalizing Large Language Models for E-commerce from Large-scale, High-quality
               Instruction Data},
  author    = {Peng, Bo and Ling, Xinyi and Chen, Ziru and Sun, Huan and Ning, Xia},
  booktitle = {Forty-first International Conference on Machine Learning (ICML)},
  year      = {2024},
  url       = {https://openreview.net/forum?id=LWRI4uPG2X}
}"""

TASK_CATEGORIES = ["text-classification", "question-answering", "text-generation", "zero-shot-classification"]
SIZE_BUCKETS = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                (10_000_000, "1M<n<10M"))
FIELDS = (
    ("id", "stable row id: task abbreviation + hash of setting and example"),
    ("task", "ECInstruct task name, e.g. `Sentiment_Analysis`"),
    ("setting", "ECInstruct setting, e.g. `IND_Diverse_Instruction`, `OOD_Unseen_Instruction`"),
    ("split", "ECInstruct split value: `train`, `val` or `test` (OOD rows are `test` of an `OOD_*` setting)"),
    ("instruction", "the instruction text"),
    ("input", "the example, usually a JSON string"),
    ("options", "JSON list of the answer options, empty for tasks without options"),
    ("output", "the gold answer in ECInstruct's format"),
    ("few_shot_example", "1-shot settings only: a JSON object with a solved train example"),
    ("source", "source dataset(s) of the example (`+`-joined)"),
    ("source_ids", "upstream ids the example was built from"),
    ("product_id", "the main product (ASIN or source id), when there is one"),
    ("category", "product category from the source, when it has one"),
    ("template_id", "id of the instruction template (see Instructions)"),
    ("labels", "QPR only: JSON list of the ESCI label of each listed product, for NDCG"),
)
CONFIG_NOTES = {
    ALL_CONFIG: "ECInstruct proper: the IND and OOD Diverse-instruction rows of every task in one `train` "
                "split; filter on `task`, `setting` and `split` as with NingLab/ECInstruct",
    "single_instruction": "every task with its base instruction only",
    "unseen_instruction": "test rows with the held-out instruction (never seen in training)",
    "one_shot": "test rows with one solved train example in `few_shot_example`",
}


def size_category(rows: int) -> str:
    return next((label for limit, label in SIZE_BUCKETS if rows < limit), "n>10M")


def card_metadata(build: Build, configs: list[ConfigSpec], total_rows: int) -> DatasetCardData:
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
                **({"default": True} if c.name == ALL_CONFIG else {}),
            }
            for c in configs
        ],
    )


def _loading(repo_id: str | None, configs: list[ConfigSpec], build: Build) -> str:
    where = repo_id or LOCAL_PLACEHOLDER
    task = build.tasks[0].name
    code = "\n".join([
        "from datasets import load_dataset",
        "",
        f'ecinstruct = load_dataset("{where}", "{ALL_CONFIG}", split="train")  # ECInstruct proper',
        'train = ecinstruct.filter(lambda row: row["split"] == "train")',
        f'one_task = load_dataset("{where}", "{task}")  # train / validation / test (/ test_ood)',
        f'unseen = load_dataset("{where}", "unseen_instruction", split="test")',
    ])
    rows = [[f"`{c.name}`", ", ".join(f"{s.split} ({number(s.rows)})" for s in c.splits),
             CONFIG_NOTES.get(c.name, "one task's Diverse-instruction rows")] for c in configs]
    return "\n\n".join([
        "## How to load",
        fence(code, "python"),
        "Code written for `NingLab/ECInstruct` works on the `all` config unchanged. Every config and split:",
        table(["config", "splits (rows)", "content"], rows),
        "The `validation` / `test` / `test_ood` splits of a task config hold the rows whose ECInstruct `split` is "
        "`val` / `test` of the `IND_*` settings and `test` of the `OOD_*` settings.",
    ])


def _tasks_section(build: Build) -> str:
    known = builders()
    rows = []
    for task in build.tasks:
        builder = known.get(task.abbr)
        definition, output, metrics = TASK_NOTES.get(task.abbr, ("", "", ""))
        spec = resolve_task(task.abbr)
        primary = f"**{spec.primary}**; " if spec else ""
        rows.append([task.abbr, f"`{task.name}`", builder.group if builder else "", definition, output,
                     primary + metrics])
    return "\n\n".join([
        "## Tasks",
        f"{len(build.tasks)} tasks in four groups, as in ECInstruct. The primary metric (bold) is the one "
        "`ecbuild eval` reports first.",
        table(["abbr", "config / `task`", "group", "what the model does", "output", "metrics"], rows),
    ])


def _count(counts: pl.DataFrame, task: str, setting: str, split: str) -> int:
    hit = counts.filter(pl.col("task") == task, pl.col("setting") == setting, pl.col("split") == split)
    return int(hit["rows"].sum())


def _counts_section(build: Build, counts: pl.DataFrame) -> str:
    def side_counts(task: str, setting: str, splits: tuple[str, ...]) -> list[str]:
        return [number(_count(counts, task, f"{SPLIT_SOURCES[s][0]}_{setting}", SPLIT_SOURCES[s][1])) for s in splits]

    diverse = [[t.abbr, *side_counts(t.name, DIVERSE, tuple(SPLIT_SOURCES))] for t in build.tasks]
    header = ["task"]
    evaluation = [[t.abbr] for t in build.tasks]
    for config, (setting, splits) in EVALUATION_CONFIGS.items():
        header += [f"{config} {s}" for s in splits]
        for row, task in zip(evaluation, build.tasks, strict=True):
            row += side_counts(task.name, setting, splits)
    return "\n\n".join([
        "## Rows per task, split and setting",
        "ECInstruct proper (Diverse instructions; the task configs and `all`):",
        table(["task", *SPLIT_SOURCES], diverse),
        "Evaluation settings (the same examples with other instructions):",
        table(header, evaluation),
    ])


def _domains(build: Build, abbr: str, split: str) -> list[str]:
    return [d["domain"] for d in build.task_report(abbr).get("domains", []) if d["split"] == split]


def _categories_section(build: Build) -> str:
    known = builders()
    rows = []
    for task in build.tasks:
        axis = known[task.abbr].ood_axis if task.abbr in known else "none"
        recipe = build.recipe.tasks.get(task.abbr)
        if axis == "holdout":
            held_out = ", ".join(_domains(build, task.abbr, "test_ood")) or "none"
            rows.append([task.abbr, "every other attribute", f"held-out attributes: {held_out}"])
        elif axis == "category" and recipe is not None:
            rows.append([task.abbr, ", ".join(recipe.ind_categories), ", ".join(recipe.ood_categories)])
        else:
            rows.append([task.abbr, "all (the source has no category)", "no OOD test set"])
    return "\n\n".join([
        "## In-domain and out-of-domain categories",
        "OOD test rows come from categories (for AVE: attributes) that no train row has.",
        table(["task", "in-domain (train, validation, test)", "out-of-domain (test_ood)"], rows),
    ])


def _instructions_section(build: Build) -> str:
    parts = ["## Instructions",
             "Each task has several paraphrased instructions. The base one is the only instruction of the "
             "`single_instruction` config; the held-out one appears only in `unseen_instruction`; the Diverse "
             "rows draw from all the others (the base included)."]
    for task in build.tasks:
        templates = load_templates(task.abbr)
        roles = {templates.base: "base", templates.unseen: "held out (unseen)"}
        rows = [[f"`{ident}`", roles.get(ident, "diverse"), text] for ident, text in templates.instructions.items()]
        parts.append(f"<details><summary>{task.abbr}: {len(rows)} instructions</summary>\n\n"
                     + table(["id", "role", "text"], rows) + "\n\n</details>")
    return "\n\n".join(parts)


def _cleaning_section(build: Build) -> str:
    summary, detail = [], []
    for task in build.tasks:
        report = build.task_report(task.abbr)
        by_stage: dict[str, int] = defaultdict(int)
        for drop in report["clean"]["dropped"]:
            by_stage[drop["stage"]] += drop["rows"]
            detail.append([task.abbr, drop["stage"], f"`{drop['reason']}`", number(drop["rows"])])
        selected = sum(q["selected"] for q in report["split"]["quotas"])
        summary.append([task.abbr, number(report["split"]["candidates"]),
                        *(number(by_stage.get(s, 0)) for s in ("filter", "dedup", "decontaminate", "split")),
                        number(selected)])
    quarantined = build.sources.get("quarantine", {}).get("rows", 0)
    return "\n\n".join([
        "## Cleaning: what was dropped and why",
        f"{number(quarantined)} unreadable source records were quarantined when the sources were read. "
        "Then, per task, filters (required fields, garbled text, HTML, language, length), exact and MinHash "
        "near-duplicate removal on the example content, decontamination (no evaluation row duplicates a train "
        "row) and the grouped split (a product or user never sits on both sides) removed these candidates; "
        "the quotas of the recipe then chose the published examples.",
        table(["task", "candidates", "filters", "dedup", "decontamination", "split", "published"], summary),
        "<details><summary>Every drop reason</summary>\n\n"
        + (table(["task", "stage", "reason", "rows"], detail) if detail else "Nothing was dropped.")
        + "\n\n</details>",
    ])


def _sources_used(build: Build) -> dict[str, list[str]]:
    """Adapter name -> abbreviations of the published tasks that read one of its tables."""
    owner = {table: name for name, adapter in adapters().items() for table in adapter.tables}
    used: dict[str, list[str]] = {}
    known = builders()
    for task in build.tasks:
        for table_name in known[task.abbr].tables if task.abbr in known else ():
            tasks = used.setdefault(owner.get(table_name, table_name), [])
            if task.abbr not in tasks:
                tasks.append(task.abbr)
    return dict(sorted(used.items()))


def _sources_section(build: Build, used: dict[str, list[str]]) -> str:
    known = adapters()
    rows = [[known[n].title, ", ".join(tasks), known[n].licence, known[n].homepage] for n, tasks in used.items()
            if n in known]
    return "\n\n".join([
        "## Source data and licences",
        table(["source", "tasks", "licence", "link"], rows),
        "This dataset is derived from all of the above, so it is tagged `license: other`: each row keeps the "
        "terms of its source (see the `source` column). The Amazon review data (2018 and 2014 metadata) and "
        "AmazonQA come with no explicit licence; their authors share them for research. MAVE is CC BY-NC 4.0 "
        "(non-commercial). Check the terms of each source before you use or redistribute rows.",
    ])


def _rebuild_section(build: Build) -> str:
    recipe = build.recipe
    fetch = f"ecbuild fetch --recipe {RECIPE_FILE} --workdir work"
    if recipe.origin == "download":
        fetch += "            # or add --source-dir DIR with your own copies of the sources"
    commands = "\n".join([
        "pip install -e .                 # in a checkout of ecbuild",
        fetch,
        f"ecbuild render --recipe {RECIPE_FILE} --workdir work --task all",
        f"ecbuild export --recipe {RECIPE_FILE} --workdir work --out ECInstruct",
    ])
    return "\n\n".join([
        "## How to rebuild it",
        f"Built by ecbuild from recipe `{recipe.name}` (hash `{recipe.hash}`, seed {recipe.seed}); the recipe "
        f"file is `{RECIPE_FILE}` next to this card and `manifest.json` lists the SHA-256 of every input "
        "file and of every file here. The build is deterministic: the same inputs and recipe give the same "
        "bytes.",
        fence(commands, "bash"),
        f"<details><summary>{RECIPE_FILE}</summary>\n\n"
        + fence(recipe.path.read_text(encoding="utf-8").rstrip("\n"), "toml") + "\n\n</details>",
    ])


def _summary(build: Build, total_rows: int) -> str:
    recipe = build.recipe
    lines = [
        f"# ECInstruct, rebuilt with ecbuild (recipe `{recipe.name}`)",
        "An e-commerce instruction-tuning dataset in the layout of ECInstruct ([eCeLLM, Peng et al., ICML "
        "2024](https://openreview.net/forum?id=LWRI4uPG2X)): ten tasks about products, users, queries and "
        "product questions, each rendered with several paraphrased instructions, with in-domain and "
        f"out-of-domain test sets. {number(total_rows)} rows in all, built from the original public sources by "
        f"ecbuild. Recipe: {recipe.description or recipe.name}",
    ]
    if recipe.origin == "bundled":
        lines.append("> **Synthetic demo data.** This build comes from ecbuild's bundled synthetic samples: "
                     "the records imitate the upstream formats but are invented. Use it to try the tooling, "
                     "never to train or evaluate a model.")
    return "\n\n".join(lines)


def _fields_section() -> str:
    return "\n\n".join(["## Fields", table(["column", "meaning"], [[f"`{n}`", m] for n, m in FIELDS])])


def _differences_section() -> str:
    return "\n".join([
        "## Differences from the published ECInstruct",
        "",
        "- Splits are hashed and grouped by product (by user for sequential recommendation), not shuffled, so "
        "adding source rows does not reshuffle earlier ones and no product straddles train and test.",
        "- Every example passed the cleaning above; every drop has a recorded reason.",
        "- Instructions are ecbuild's own paraphrases, not the original wording.",
        "- Extra lineage columns (`id`, `source`, `source_ids`, `product_id`, `category`, `template_id`, "
        "`labels`) let you trace each row to its source records.",
    ])


def _citation_section(used: dict[str, list[str]]) -> str:
    entries = [ECELLM_CITATION] + [SOURCE_CITATIONS[n] for n in used if n in SOURCE_CITATIONS]
    return "\n\n".join(["## Citation", "Please cite the eCeLLM paper and the sources of the tasks you use:",
                        fence("\n\n".join(entries), "bibtex")])


def card_body(build: Build, configs: list[ConfigSpec], counts: pl.DataFrame, repo_id: str | None) -> str:
    total_rows = int(counts["rows"].sum())
    used = _sources_used(build)
    sections = [
        _summary(build, total_rows), _loading(repo_id, configs, build), _tasks_section(build),
        _counts_section(build, counts), _fields_section(), _categories_section(build),
        _instructions_section(build), _cleaning_section(build), _sources_section(build, used),
        _rebuild_section(build), _differences_section(), _citation_section(used),
    ]
    return "\n\n".join(sections) + "\n"


def build_card(build: Build, configs: list[ConfigSpec], counts: pl.DataFrame, repo_id: str | None = None) -> DatasetCard:
    """The whole card; `repo_id` only changes the loading snippet (a folder placeholder without it)."""
    metadata = card_metadata(build, configs, int(counts["rows"].sum()))
    return DatasetCard(f"---\n{metadata.to_yaml()}\n---\n\n{card_body(build, configs, counts, repo_id)}")
