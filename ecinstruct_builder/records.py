"""The shared vocabulary of a build: split names, ECInstruct settings and the published row schema.

Every module that speaks of these names imports them from here, so each has one definition.
"""

from __future__ import annotations

import polars as pl

#: the splits a task's candidates are assigned to, in the order quotas are filled (train first, so
#: that evaluation rows can be checked against it)
SPLITS = ("train", "validation", "test", "test_ood")
#: the in-domain evaluation splits, where a group already in train must not appear again
IND_EVAL_SPLITS = ("validation", "test")
#: every evaluation split, in-domain and out-of-domain (leakage across tasks is looked for there)
EVAL_SPLITS = ("validation", "test", "test_ood")

# The `split` values (NingLab/ECInstruct says `val`; ecbuild says `validation` everywhere); the OOD
# test is a `test` split of an OOD_* setting.
ROW_SPLIT = {"train": "train", "validation": "validation", "test": "test", "test_ood": "test"}
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
