"""Render split candidates into ECInstruct rows, one per (example, setting).

Settings, as ECInstruct published them:

- `IND_Diverse_Instruction` (train, validation, test) / `OOD_Diverse_Instruction` (test): each row gets one
  of the seen instructions, chosen from a hash of its candidate id;
- `IND_Single_Instruction` (train, validation, test) / `OOD_Single_Instruction` (test): the base instruction;
- `IND_Unseen_Instruction` / `OOD_Unseen_Instruction` (test): the held-out instruction;
- `IND_Diverse_Instruction_1-shot` / `OOD_Diverse_Instruction_1-shot` (test): the Diverse test row
  with the i-th rendered train example in `few_shot_example`, as the eCeLLM code paired them.

How fields and examples are written (ours or as published) is the task's `RowStyle` (rowformat.py).
"""

from __future__ import annotations

import polars as pl
from jinja2 import Template, meta

from .hashing import fraction_expr, hex_expr
from .records import ROW_SCHEMA, ROW_SPLIT, SETTING_ORDER
from .rowformat import ECBUILD_STYLE, RowStyle, one_shot_text
from .tasks.base import TaskBuilder
from .templates import TaskTemplates, environment


def _variables(source: str) -> list[str]:
    """The candidate columns one Jinja source reads, sorted."""
    return sorted(meta.find_undeclared_variables(environment().parse(source)))


def _render_column(selected: pl.DataFrame, template: Template, names: list[str]) -> pl.Series:
    """One rendered field per row; each distinct combination of the template's inputs is rendered once.

    Options and outputs repeat a handful of values across a whole task, so this saves most of the
    Jinja calls; the JSON text of the inputs is an exact key for any column type.
    """
    if not names:
        return pl.Series([template.render().strip()] * selected.height, dtype=pl.String)
    keyed = selected.select(_key=pl.struct(names).struct.json_encode())
    distinct = selected.select(names).with_columns(keyed["_key"]).unique("_key", maintain_order=True)
    texts = [template.render(**row).strip() for row in distinct.drop("_key").iter_rows(named=True)]
    lookup = distinct.select("_key", _text=pl.Series(texts, dtype=pl.String))
    return keyed.join(lookup, on="_key", how="left", maintain_order="left")["_text"]


def _base_rows(
    selected: pl.DataFrame, builder: TaskBuilder, templates: TaskTemplates, seed: int, style: RowStyle
) -> pl.DataFrame:
    """One row per candidate: rendered fields, lineage, side and the seeded diverse instruction id."""
    compiled = templates.compiled(style)
    rendered = {
        name: _render_column(selected, compiled[name], _variables(templates.render[name]))
        for name in compiled
    }
    seen = templates.seen_ids
    pick = fraction_expr(pl.lit(str(seed)), pl.lit(f"{builder.abbr}:instruction"), "candidate_id") * len(seen)
    labels = pl.col("labels") if "labels" in selected.columns else pl.lit(None, dtype=pl.String)
    return selected.select(
        "candidate_id",
        "source",
        "source_ids",
        "product_id",
        "category",
        pl.col("split").alias("_split"),
        task=pl.lit(builder.name),
        split=pl.col("split").replace_strict(ROW_SPLIT, return_dtype=pl.String),
        side=pl.when(pl.col("split") == "test_ood").then(pl.lit("OOD")).otherwise(pl.lit("IND")),
        labels=labels,
        diverse_id=pick.floor().cast(pl.Int64).replace_strict(dict(enumerate(seen)), return_dtype=pl.String),
        **rendered,
    )


def _in_category_blocks(rows: pl.DataFrame, categories: tuple[str, ...]) -> pl.DataFrame:
    """`rows` category by category in the order of `categories` (others after, by name), keeping
    the selection order inside a category: how the SR notebook concatenated its per-category files."""
    rank = {category: i for i, category in enumerate(categories)}
    position = pl.col("category").replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
    return rows.sort(position, pl.col("category"), maintain_order=True, nulls_last=True)


def _one_shot_examples(
    base: pl.DataFrame, templates: TaskTemplates, style: RowStyle, categories: tuple[str, ...]
) -> pl.DataFrame:
    """Each test row's few-shot text: the i-th test row of a side gets train example i (wrapping round),
    as the eCeLLM code paired them. Only the train examples actually used are serialised."""
    tests = base.filter(pl.col("_split").is_in(["test", "test_ood"]))
    train = base.filter(pl.col("_split") == "train")
    if train.is_empty() or tests.is_empty():
        return tests.head(0).with_columns(few_shot_example=pl.lit("", dtype=pl.String))
    if style.category_blocks:
        tests, train = _in_category_blocks(tests, categories), _in_category_blocks(train, categories)
    tests = tests.with_columns(_shot=pl.int_range(pl.len()).over("side") % train.height)
    used = train.head(int(tests["_shot"].max()) + 1)
    shots = [
        one_shot_text({"instruction": templates.instructions[row["diverse_id"]], **row}, style)
        for row in used.select("diverse_id", "input", "options", "output").iter_rows(named=True)
    ]
    lookup = pl.DataFrame({"_shot": range(len(shots)), "few_shot_example": shots})
    lookup = lookup.with_columns(pl.col("_shot").cast(pl.Int64))
    return tests.join(lookup, on="_shot", how="left", maintain_order="left").drop("_shot")


def _setting(rows: pl.DataFrame, name: str, template_id: pl.Expr) -> pl.DataFrame:
    """`rows` as one setting: the side prefix + `name`, with its instruction and an id per (setting, row)."""
    if "few_shot_example" not in rows.columns:
        rows = rows.with_columns(few_shot_example=pl.lit("", dtype=pl.String))
    return rows.with_columns(
        setting=pl.concat_str([pl.col("side"), pl.lit(f"_{name}")]), template_id=template_id
    )


def render_task(
    selected: pl.DataFrame,
    builder: TaskBuilder,
    templates: TaskTemplates,
    seed: int,
    style: RowStyle = ECBUILD_STYLE,
    categories: tuple[str, ...] = (),
) -> pl.DataFrame:
    """All settings' rows for one task from its selected candidates (which carry `split`).

    `selected` must be in a deterministic order (split, then bucket): "the i-th train row" of the
    1-shot pairing depends on it. Within a setting and split, rows keep that order. `categories`
    (the recipe's in-domain ones) orders the 1-shot pairing when the style lays it out in blocks.
    """
    base = _base_rows(selected, builder, templates, seed, style)
    evaluation = base.filter(pl.col("_split").is_in(["test", "test_ood"]))
    frames = [
        _setting(base, "Diverse_Instruction", pl.col("diverse_id")),
        _setting(base, "Single_Instruction", pl.lit(templates.base)),
        _setting(evaluation, "Unseen_Instruction", pl.lit(templates.unseen)),
        _setting(
            _one_shot_examples(base, templates, style, categories),
            "Diverse_Instruction_1-shot",
            pl.col("diverse_id"),
        ),
    ]
    setting_order = {s: i for i, s in enumerate(SETTING_ORDER)}
    split_order = {"train": 0, "validation": 1, "test": 2}
    rows = pl.concat([frame.select(sorted(frame.columns)) for frame in frames])
    return (
        rows.with_columns(
            id=pl.concat_str([pl.lit(f"{builder.abbr}-"), hex_expr(pl.col("setting"), "candidate_id")]),
            instruction=pl.col("template_id").replace_strict(templates.instructions, return_dtype=pl.String),
        )
        .sort(
            pl.col("setting").replace_strict(setting_order),
            pl.col("split").replace_strict(split_order),
            maintain_order=True,
        )
        .select(list(ROW_SCHEMA))
        .cast(ROW_SCHEMA)
    )
