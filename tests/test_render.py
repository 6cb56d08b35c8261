"""Rendering settings from split candidates: instructions, ids, 1-shot pairing, determinism."""

import json

import polars as pl
from select_helpers import plain_selection

from ecinstruct_builder.config import task_config
from ecinstruct_builder.render import ROW_SCHEMA, render_task
from ecinstruct_builder.sources.amazon2018 import Amazon2018
from ecinstruct_builder.tasks.sa import SentimentAnalysis
from ecinstruct_builder.templates import load_templates

WORDS = "this product works well and I would buy it again for sure"


def selected_rows(n: int = 400) -> pl.DataFrame:
    reviews = pl.DataFrame(
        [
            {
                "category": "Tools" if i % 5 == 0 else "Electronics",
                "asin": f"B{i:04d}",
                "reviewer_id": "U",
                "overall": float(1 + i % 5),
                "review_text": f"{WORDS} number {i}",
                "line": i + 1,
            }
            for i in range(n)
        ],
        schema=Amazon2018.tables["amazon2018_reviews"],
    )
    builder = SentimentAnalysis()
    candidates = builder.build({"amazon2018_reviews": reviews.lazy()}, task_config(builder), 1).collect()
    selected, _, _ = plain_selection(
        candidates,
        builder,
        ind_categories=("Electronics",),
        ood_categories=("Tools",),
        sizes={"train": 50, "validation": 10, "test": 10, "test_ood": 10},
    )
    return selected


def render(seed: int = 1) -> pl.DataFrame:
    return render_task(selected_rows(), SentimentAnalysis(), load_templates("SA"), seed)


def test_schema_and_counts_per_setting():
    rows = render()
    assert rows.schema == pl.Schema(ROW_SCHEMA)
    counts = {(s, sp): n for s, sp, n in rows.group_by("setting", "split").len().iter_rows()}
    assert counts == {
        ("IND_Diverse_Instruction", "train"): 50,
        ("IND_Diverse_Instruction", "validation"): 10,
        ("IND_Diverse_Instruction", "test"): 10,
        ("OOD_Diverse_Instruction", "test"): 10,
        ("IND_Single_Instruction", "train"): 50,
        ("IND_Single_Instruction", "validation"): 10,
        ("IND_Single_Instruction", "test"): 10,
        ("OOD_Single_Instruction", "test"): 10,
        ("IND_Unseen_Instruction", "test"): 10,
        ("OOD_Unseen_Instruction", "test"): 10,
        ("IND_Diverse_Instruction_1-shot", "test"): 10,
        ("OOD_Diverse_Instruction_1-shot", "test"): 10,
    }


def test_unseen_instruction_only_in_unseen_settings_and_single_uses_base():
    rows, templates = render(), load_templates("SA")
    unseen = rows.filter(pl.col("template_id") == templates.unseen)
    assert set(unseen["setting"]) == {"IND_Unseen_Instruction", "OOD_Unseen_Instruction"}
    assert set(rows.filter(pl.col("setting").str.contains("Single"))["template_id"]) == {templates.base}
    diverse = rows.filter(pl.col("setting") == "IND_Diverse_Instruction")
    assert len(set(diverse["template_id"])) > 1  # several paraphrases are used


def test_ids_are_unique_and_stable():
    first, second = render(), render()
    assert first["id"].n_unique() == first.height
    assert first.equals(second)


def test_one_shot_rows_carry_a_rendered_train_example():
    rows = render()
    train_inputs = set(
        rows.filter((pl.col("split") == "train") & (pl.col("setting") == "IND_Diverse_Instruction"))["input"]
    )
    shots = rows.filter(pl.col("setting").str.ends_with("1-shot"))
    for example in shots["few_shot_example"]:
        parsed = json.loads(example)
        assert parsed["input"] in train_inputs
        assert set(parsed) == {"instruction", "input", "options", "output"}
    assert (rows.filter(~pl.col("setting").str.ends_with("1-shot"))["few_shot_example"] == "").all()


def test_output_options_and_lineage():
    rows = render()
    row = rows.row(0, named=True)
    assert json.loads(row["options"])[0] == "A: very positive"
    assert row["output"] in json.loads(row["options"])
    assert row["task"] == "Sentiment_Analysis" and row["source"] == "amazon2018"
    assert set(rows.filter(pl.col("setting").str.starts_with("OOD"))["category"]) == {"Tools"}
