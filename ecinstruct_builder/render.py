"""Render split candidates into ECInstruct rows, one per (example, setting).

Settings, as ECInstruct published them:

- `IND_Diverse_Instruction` (train, val, test) / `OOD_Diverse_Instruction` (test): each row gets one
  of the seen instructions, chosen from a hash of its candidate id;
- `IND_Single_Instruction` (train, val, test) / `OOD_Single_Instruction` (test): the base instruction;
- `IND_Unseen_Instruction` / `OOD_Unseen_Instruction` (test): the held-out instruction;
- `IND_Diverse_Instruction_1-shot` / `OOD_Diverse_Instruction_1-shot` (test): the Diverse test row
  with the i-th rendered train example in `few_shot_example`, as the eCeLLM code paired them.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from .hashing import fraction
from .tasks.base import TaskBuilder, stable_id
from .templates import TaskTemplates, render_fields

# ECInstruct's `split` values; the OOD test is a `test` split of an OOD_* setting.
ROW_SPLIT = {"train": "train", "validation": "val", "test": "test", "test_ood": "test"}
SETTING_ORDER = (
    "IND_Diverse_Instruction",
    "OOD_Diverse_Instruction",
    "IND_Single_Instruction",
    "OOD_Single_Instruction",
    "IND_Unseen_Instruction",
    "OOD_Unseen_Instruction",
    "IND_Diverse_Instruction_1-shot",
    "OOD_Diverse_Instruction_1-shot",
)
ROW_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String,
    "task": pl.String,
    "setting": pl.String,
    "split": pl.String,
    "instruction": pl.String,
    "input": pl.String,
    "options": pl.String,
    "output": pl.String,
    "few_shot_example": pl.String,
    "source": pl.String,
    "source_ids": pl.List(pl.String),
    "product_id": pl.String,
    "category": pl.String,
    "template_id": pl.String,
    "labels": pl.String,  # per-option gold labels where a metric needs them (QPR), else null
}


def _few_shot_text(example: dict[str, str]) -> str:
    return json.dumps(
        {k: example[k] for k in ("instruction", "input", "options", "output")}, ensure_ascii=False
    )


def _row(
    abbr: str,
    templates: TaskTemplates,
    setting: str,
    template_id: str,
    base: dict[str, Any],
    few_shot: str = "",
) -> dict[str, Any]:
    return {
        **base,
        "id": f"{abbr}-{stable_id(setting, base['candidate_id'])}",
        "setting": setting,
        "instruction": templates.instructions[template_id],
        "template_id": template_id,
        "few_shot_example": few_shot,
    }


def render_task(
    selected: pl.DataFrame, builder: TaskBuilder, templates: TaskTemplates, seed: int
) -> pl.DataFrame:
    """All settings' rows for one task from its selected candidates (which carry `split`).

    `selected` must be in a deterministic order (split, then bucket): "the i-th train row" of the
    1-shot pairing depends on it.
    """
    compiled = templates.compiled()
    seen = templates.seen_ids
    variables = templates.variables()
    abbr = builder.abbr
    rows: list[dict[str, Any]] = []
    train_examples: list[dict[str, str]] = []
    tests: list[tuple[str, str, dict[str, Any]]] = []  # (side, diverse instruction id, base row)
    for cand in selected.iter_rows(named=True):
        fields = render_fields(compiled, {k: cand[k] for k in variables})
        diverse_id = seen[int(fraction(seed, f"{abbr}:instruction", cand["candidate_id"]) * len(seen))]
        side = "OOD" if cand["split"] == "test_ood" else "IND"
        base = {
            "candidate_id": cand["candidate_id"],
            "task": builder.name,
            "split": ROW_SPLIT[cand["split"]],
            "source": cand["source"],
            "source_ids": cand["source_ids"],
            "product_id": cand["product_id"],
            "category": cand["category"],
            "labels": cand.get("labels"),
            **fields,
        }
        rows.append(_row(abbr, templates, f"{side}_Diverse_Instruction", diverse_id, base))
        rows.append(_row(abbr, templates, f"{side}_Single_Instruction", templates.base, base))
        if cand["split"] == "train":
            train_examples.append({"instruction": templates.instructions[diverse_id], **fields})
        else:
            if cand["split"] != "validation":
                rows.append(_row(abbr, templates, f"{side}_Unseen_Instruction", templates.unseen, base))
                tests.append((side, diverse_id, base))
    position = {"IND": 0, "OOD": 0}
    for side, diverse_id, base in tests:
        if not train_examples:
            break
        example = _few_shot_text(train_examples[position[side] % len(train_examples)])
        position[side] += 1
        rows.append(_row(abbr, templates, f"{side}_Diverse_Instruction_1-shot", diverse_id, base, example))
    frame = pl.DataFrame(rows, schema={**ROW_SCHEMA, "candidate_id": pl.String}, orient="row")
    setting_order = {s: i for i, s in enumerate(SETTING_ORDER)}
    split_order = {"train": 0, "val": 1, "test": 2}
    return (
        frame.with_row_index("_pos")
        .with_columns(
            _s=pl.col("setting").replace_strict(setting_order), _p=pl.col("split").replace_strict(split_order)
        )
        .sort("_s", "_p", "_pos")
        .select(list(ROW_SCHEMA))
    )
