"""Contracts every registered task and every registered source adapter keeps.

Parametrised from the registries (`tasks.builders()`, `sources.adapters()`, `synthetic.writers()`),
so a new task or source is checked the moment its module exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from ecinstruct_builder.evaluate.metrics import METRIC_LABELS
from ecinstruct_builder.evaluate.tasks import SCORING, resolve_task, task_aliases, task_spec
from ecinstruct_builder.paths import raw_sources_dir
from ecinstruct_builder.publish.card import ECELLM_CITATION
from ecinstruct_builder.sources import adapters
from ecinstruct_builder.sources.base import SourceAdapter
from ecinstruct_builder.synthetic import writers
from ecinstruct_builder.tasks import builders, task_rank
from ecinstruct_builder.tasks.base import PAPER_MODELS, TASK_GROUPS, AnswerFormat, PaperResult, TaskBuilder
from ecinstruct_builder.templates import load_templates

TASKS = list(builders().values())
ADAPTERS = list(adapters().values())
TEST_SETTING = "IND_Diverse_Instruction"


def task_id(builder: TaskBuilder) -> str:
    return builder.abbr


def adapter_id(adapter: SourceAdapter) -> str:
    return adapter.name


# --- a small BibTeX reader (enough to prove an entry is well-formed) ------------------------------

_ENTRY_HEAD = re.compile(r"@(\w+)\s*\{\s*([^,\s{}]+)\s*,")
_FIELD = re.compile(r"^\s*(\w+)\s*=\s*\{(.*)\}\s*$", re.DOTALL)


def _closing_brace(text: str, start: int) -> int:
    """The index of the brace closing the one opened just before `start`."""
    depth = 1
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return index
    raise ValueError("unbalanced braces")


def _top_level_parts(body: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in body:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def parse_bibtex(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """(entry type, key, fields) of each `@type{key, name = {value}, ...}` entry; ValueError if malformed."""
    entries, position, text = [], 0, text.strip()
    while position < len(text):
        head = _ENTRY_HEAD.match(text, position)
        if head is None:
            raise ValueError(f"no entry at {text[position : position + 30]!r}")
        end = _closing_brace(text, head.end())
        fields: dict[str, str] = {}
        for part in _top_level_parts(text[head.end() : end]):
            field = _FIELD.match(part)
            if field is None:
                raise ValueError(f"{head.group(2)}: malformed field {part.strip()!r}")
            fields[field.group(1).lower()] = " ".join(field.group(2).split())
        entries.append((head.group(1).lower(), head.group(2), fields))
        position = end + 1
        while position < len(text) and text[position].isspace():
            position += 1
    return entries


@pytest.mark.parametrize(
    "text",
    [
        "@article{key, title = {A {B}}",  # unbalanced
        "@article{key, title = A}",  # value without braces
        "article{key, title = {A}}",  # no @
    ],
)
def test_the_bibtex_reader_rejects_malformed_entries(text: str) -> None:
    with pytest.raises(ValueError):
        parse_bibtex(text)


def test_the_bibtex_reader_reads_entries_and_nested_braces() -> None:
    text = '@article{a1, title = {The {ESCI} set}, year = {2022}}\n\n@misc{b2,\n  author = {K{\\"o}pcke}\n}'
    assert parse_bibtex(text) == [
        ("article", "a1", {"title": "The {ESCI} set", "year": "2022"}),
        ("misc", "b2", {"author": 'K{\\"o}pcke'}),
    ]


# --- tasks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", TASKS, ids=task_id)
def test_task_names_and_group(builder: TaskBuilder) -> None:
    assert re.fullmatch(r"[A-Z]{2,5}", builder.abbr)
    assert re.fullmatch(r"[A-Z][A-Za-z]*(_[A-Z][A-Za-z]*)*", builder.name)
    assert builder.title.strip() and builder.title == builder.title.strip()
    assert builder.group in TASK_GROUPS
    assert builder.order is None or builder.order > 0
    assert builder.ood_axis in ("category", "holdout", "none")
    assert builder.split_protocol in ("grouped", "leave_one_out")


@pytest.mark.parametrize("builder", TASKS, ids=task_id)
def test_task_describes_itself(builder: TaskBuilder) -> None:
    # one sentence of our own: a capital, a full stop at the end and none before it
    assert re.fullmatch(r"[A-Z][^.]*[^.\s]\.", builder.definition), builder.definition
    assert isinstance(builder.answer_format, AnswerFormat)
    assert builder.output_shape.strip()
    assert builder.scoring.strip()
    assert "|" not in builder.definition + builder.output_shape + builder.scoring  # they fill card cells


@pytest.mark.parametrize("builder", TASKS, ids=task_id)
def test_task_metrics_are_known_to_evaluate(builder: TaskBuilder) -> None:
    # that its answer format's scorer reports exactly these is checked on rendered rows below
    assert builder.metrics and len(set(builder.metrics)) == len(builder.metrics)
    assert set(builder.metrics) <= set(METRIC_LABELS), "every metric needs its label in eval's table"
    assert builder.primary_metric in builder.metrics
    assert builder.fallback_metric is None or (
        builder.fallback_metric in builder.metrics and builder.fallback_metric != builder.primary_metric
    )


@pytest.mark.parametrize("builder", TASKS, ids=task_id)
def test_task_paper_numbers_are_complete(builder: TaskBuilder) -> None:
    paper = builder.paper
    if paper is None:
        return
    assert isinstance(paper, PaperResult)
    assert paper.metric in builder.metrics and paper.label.strip()
    assert len(paper.ind) == len(PAPER_MODELS)
    assert len(paper.ood) in (0, len(PAPER_MODELS))
    assert all(0.0 <= value <= 1.0 for value in (*paper.ind, *paper.ood))
    if paper.ood:
        assert builder.ood_axis != "none", f"{builder.abbr} has paper OOD numbers but no OOD test set"


@pytest.mark.parametrize("builder", TASKS, ids=task_id)
def test_task_is_found_by_every_name_it_answers_to(builder: TaskBuilder) -> None:
    for name in (builder.abbr, builder.name, builder.abbr.lower(), *builder.misspellings):
        spec = resolve_task(name)
        assert spec is not None and spec.abbr == builder.abbr, name
    assert builder.name not in builder.misspellings


@pytest.mark.parametrize("builder", TASKS, ids=task_id)
def test_task_template_file_matches_its_fields(builder: TaskBuilder) -> None:
    templates = load_templates(builder.abbr)  # exists and is well-formed, or raises
    assert templates.task == builder.abbr
    assert templates.variables() <= set(builder.schema())


@pytest.mark.parametrize("builder", TASKS, ids=task_id)
def test_task_tables_come_from_registered_adapters(builder: TaskBuilder) -> None:
    known = {table for adapter in ADAPTERS for table in adapter.tables}
    assert builder.tables and set(builder.tables) <= known


def test_tasks_do_not_share_a_name_an_order_or_a_misspelling() -> None:
    for attribute in ("name", "title", "order"):
        values = [getattr(b, attribute) for b in TASKS if getattr(b, attribute) is not None]
        assert len(values) == len(set(values)), attribute
    wrong = [m for b in TASKS for m in b.misspellings]
    assert len(wrong) == len(set(wrong))
    assert not set(wrong) & {b.name for b in TASKS}
    assert set(task_aliases()) == set(wrong)


def test_tasks_sort_by_their_order_then_the_unranked_by_abbr() -> None:
    ranked = [("ZZ", None), ("BB", 2), ("AA", None), ("CC", 1), ("AB", 2)]
    fakes = [SimpleNamespace(abbr=abbr, order=order) for abbr, order in ranked]
    assert [fake.abbr for fake in sorted(fakes, key=task_rank)] == ["CC", "AB", "BB", "AA", "ZZ"]  # type: ignore[arg-type]
    assert list(builders()) == [b.abbr for b in sorted(builders().values(), key=task_rank)]


@pytest.mark.parametrize("answer_format", list(AnswerFormat))
def test_every_answer_format_has_a_reader_and_scorer(answer_format: AnswerFormat) -> None:
    scoring = SCORING[answer_format]
    assert callable(scoring.read_prediction) and callable(scoring.score)


@pytest.mark.parametrize("builder", TASKS, ids=task_id)
def test_task_gold_outputs_are_read_and_score_perfectly(demo_workdir: Path, builder: TaskBuilder) -> None:
    """Its answer format reads every rendered gold output, and gold as prediction scores 1."""
    rows = pl.read_parquet(demo_workdir / "dataset" / f"{builder.name}.parquet").filter(
        (pl.col("setting") == TEST_SETTING) & (pl.col("split") == "test")
    )
    spec = task_spec(builder)
    golds, preds = [], []
    for row in rows.iter_rows(named=True):
        gold = spec.gold(row)
        assert gold is not None, row["output"]
        pred = spec.read_prediction(row["output"], row, gold)
        assert pred is not None, row["output"]
        golds.append(gold)
        preds.append(pred)
    assert golds
    scored = spec.score(golds, preds, TEST_SETTING)
    metrics, valid_only = scored.metrics, scored.valid_only
    assert set(metrics) == set(builder.metrics)
    primary = spec.primary_of(metrics)
    assert primary in (builder.primary_metric, builder.fallback_metric)
    assert metrics[primary] == pytest.approx(1.0)
    assert valid_only[primary] == pytest.approx(1.0)


# --- source adapters -------------------------------------------------------------------------------


@pytest.mark.parametrize("adapter", ADAPTERS, ids=adapter_id)
def test_adapter_says_what_it_is(adapter: SourceAdapter) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", adapter.name)
    assert type(adapter).__module__.rsplit(".", 1)[-1] == adapter.name  # one module per source
    assert adapter.title.strip() and adapter.licence.strip()
    assert re.fullmatch(r"https?://\S+", adapter.homepage)


@pytest.mark.parametrize("adapter", ADAPTERS, ids=adapter_id)
def test_adapter_citation_is_bibtex(adapter: SourceAdapter) -> None:
    entries = parse_bibtex(adapter.citation)
    assert entries
    for kind, _, fields in entries:
        assert kind in {"article", "inproceedings", "misc", "techreport", "book"}
        assert {"title", "author", "year"} <= set(fields)
        assert re.fullmatch(r"\d{4}", fields["year"])


def test_citation_keys_are_unique() -> None:
    keys = [
        key for text in (ECELLM_CITATION, *(a.citation for a in ADAPTERS)) for _, key, _ in parse_bibtex(text)
    ]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("adapter", ADAPTERS, ids=adapter_id)
def test_adapter_declares_its_table_schemas(adapter: SourceAdapter) -> None:
    assert adapter.tables
    for table, schema in adapter.tables.items():
        assert table.startswith(adapter.name), table  # so two sources never write the same table
        assert schema, table
        assert pl.DataFrame(schema=schema).columns == list(schema), table  # valid Polars dtypes


@pytest.mark.parametrize("adapter", ADAPTERS, ids=adapter_id)
def test_adapter_has_a_synthetic_writer_whose_files_it_reads(adapter: SourceAdapter) -> None:
    writer = writers().get(adapter.name)
    assert writer is not None, f"no synthetic/{adapter.name}.py with a write() function"
    assert all(path.startswith(f"{adapter.name}/") for path in writer.PLANTED_BAD_LINES)
    assert adapter.discover(raw_sources_dir() / adapter.name, {}), "nothing of the bundled samples found"


def test_every_synthetic_writer_belongs_to_an_adapter() -> None:
    assert set(writers()) == set(adapters())
