"""Leakage across tasks: products and texts shared between one task's train and another's evaluation."""

import polars as pl

from ecinstruct_builder.clean.leakage import find_leaks, leak_summary


def rows(*items):
    return pl.DataFrame(
        [{"candidate_id": c, "split": s, "product_id": p, "content_key": t} for c, s, p, t in items],
        schema={
            "candidate_id": pl.String,
            "split": pl.String,
            "product_id": pl.String,
            "content_key": pl.String,
        },
    )


def test_shared_product_and_text_are_found_in_both_directions():
    selections = {
        "A": rows(("a1", "train", "P1", "great kettle"), ("a2", "test", "P9", "Quiet fan!")),
        "B": rows(
            ("b1", "test", "P1", "other text"),
            ("b2", "validation", "P5", "GREAT kettle"),
            ("b3", "train", "P7", "quiet   fan"),
        ),
    }
    leaks = find_leaks(selections)
    assert leaks.rows() == [
        ("A", "a2", "content", "B"),
        ("B", "b1", "product", "A"),
        ("B", "b2", "content", "A"),
    ]
    assert leak_summary(leaks) == [
        {"train_task": "A", "task": "B", "kind": "content", "rows": 1},
        {"train_task": "A", "task": "B", "kind": "product", "rows": 1},
        {"train_task": "B", "task": "A", "kind": "content", "rows": 1},
    ]


def test_same_task_overlap_is_not_cross_task_leakage():
    assert find_leaks({"A": rows(("a1", "train", "P1", "x y"), ("a2", "test", "P1", "x y"))}).is_empty()
