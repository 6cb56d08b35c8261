"""Split invariants: grouped, deterministic, OOD by category / holdout, quotas and equal shares."""

import polars as pl
import pytest
from select_helpers import plain_selection

from ecinstruct_builder.config import SplitConfig
from ecinstruct_builder.tasks.base import CANDIDATE_SCHEMA, TaskBuilder


class Dummy(TaskBuilder):
    abbr = "DU"
    name = "Dummy"
    title = "Dummy"
    group = "test"
    tables = ()
    fields = {}

    def __init__(self, ood_axis: str = "category", protocol: str = "grouped"):
        self.ood_axis = ood_axis
        self.split_protocol = protocol

    def build(self, tables, recipe, seed):  # pragma: no cover - not used here
        raise NotImplementedError


def candidates(n: int, domains=("Electronics",), products_per=1, official=None) -> pl.DataFrame:
    rows = []
    for i in range(n):
        domain = domains[i % len(domains)]
        rows.append(
            {
                "candidate_id": f"c{i}",
                "source": "s",
                "source_ids": [str(i)],
                "product_id": f"p{i // products_per}",
                "category": domain,
                "domain": domain,
                "group_key": f"p{i // products_per}",
                "content_key": f"t{i}",
                "official_split": official(i) if official else None,
                "label": "A",
                "options": [],
            }
        )
    return pl.DataFrame(rows, schema=CANDIDATE_SCHEMA)


def selection(frame, builder=None, seed=1, split=None, **table):
    return plain_selection(frame, builder or Dummy(), seed, split, **table)


def run(frame, builder=None, seed=1, split=None, **table):
    out, report, _ = selection(frame, builder, seed, split, **table)
    return out, report


def test_no_product_in_both_train_and_evaluation_splits():
    out, _ = run(candidates(600, products_per=3))
    train = set(out.filter(pl.col("split") == "train")["group_key"])
    evaluation = set(out.filter(pl.col("split") != "train")["group_key"])
    assert train and evaluation and not train & evaluation


def test_hash_split_is_roughly_80_10_10_and_deterministic():
    first, _ = run(candidates(3000))
    second, _ = run(candidates(3000))
    assert first.equals(second)
    shares = first["split"].value_counts(normalize=True).sort("split")
    share = dict(zip(shares["split"], shares["proportion"], strict=True))
    assert share["train"] == pytest.approx(0.8, abs=0.03)
    assert share["validation"] == pytest.approx(0.1, abs=0.02)


def test_adding_rows_never_moves_existing_rows():
    small, _ = run(candidates(500))
    large, _ = run(candidates(900))
    joined = small.join(large, on="candidate_id", suffix="_large")
    assert joined.height == small.height
    assert (joined["split"] == joined["split_large"]).all()


def test_other_seed_gives_other_split():
    a, _ = run(candidates(500), seed=1)
    b, _ = run(candidates(500), seed=2)
    assert not a.sort("candidate_id")["split"].equals(b.sort("candidate_id")["split"])


def test_ood_categories_only_in_test_ood_and_unlisted_categories_dropped():
    frame = candidates(900, domains=("Electronics", "Tools", "Books"))
    out, _ = run(frame, ind_categories=("Electronics",), ood_categories=("Tools",))
    assert set(out.filter(pl.col("split") == "test_ood")["domain"]) == {"Tools"}
    assert set(out.filter(pl.col("split") != "test_ood")["domain"]) == {"Electronics"}


def test_caps_and_unmet_quotas_are_reported():
    out, report = run(candidates(100), sizes={"train": 10, "validation": 50, "test": 2})
    counts = dict(out["split"].value_counts().iter_rows())
    assert counts["train"] == 10 and counts["test"] == 2
    assert report.unmet == ["validation"]
    validation = next(q for q in report.quotas if q.split == "validation")
    assert validation.selected == validation.available < 50


def test_ind_pool_takes_equal_shares_per_category():
    frame = candidates(3000, domains=("A", "B", "C"))
    out, _ = run(frame, sizes={"train": 90}, ind_categories=("A", "B", "C"), category_mix="equal")
    assert dict(out.filter(pl.col("split") == "train")["domain"].value_counts().iter_rows()) == {
        "A": 30,
        "B": 30,
        "C": 30,
    }


def test_short_category_is_filled_up_from_the_others():
    frame = pl.concat(
        [
            candidates(400, domains=("A", "B")),
            candidates(5, domains=("C",)).with_columns(
                candidate_id=pl.lit("x") + pl.col("candidate_id"), group_key=pl.lit("x") + pl.col("group_key")
            ),
        ]
    )
    out, _ = run(frame, sizes={"train": 90}, ind_categories=("A", "B", "C"), category_mix="equal")
    train = dict(out.filter(pl.col("split") == "train")["domain"].value_counts().iter_rows())
    assert sum(train.values()) == 90 and train.get("C", 0) <= 5


def test_lone_official_test_is_halved_and_overlapping_groups_dropped():
    # products 0, 4, 8... are official test; a few rows of train products are official test too
    frame = candidates(
        400, products_per=2, official=lambda i: "test" if (i // 2) % 4 == 0 or i % 50 == 3 else "train"
    )
    out, report = run(frame)
    assert set(out["split"]) == {"train", "validation", "test"}
    train = set(out.filter(pl.col("split") == "train")["group_key"])
    assert not train & set(out.filter(pl.col("split") != "train")["group_key"])
    assert report.dropped_group_overlap > 0


def test_leave_one_out_keeps_users_in_train_and_test():
    official = ["train", "validation", "test"]
    frame = candidates(300, products_per=3, official=lambda i: official[i % 3])
    out, report = run(
        frame, builder=Dummy(protocol="leave_one_out"), sizes={"train": 20, "validation": 5, "test": 5}
    )
    train_users = set(out.filter(pl.col("split") == "train")["group_key"])
    assert set(out.filter(pl.col("split") == "test")["group_key"]) <= train_users
    assert report.dropped_group_overlap == 0


def test_holdout_axis_holds_out_whole_domains():
    frame = candidates(2000, domains=tuple(f"attr{i}" for i in range(20)))
    out, _ = run(frame, builder=Dummy(ood_axis="holdout"), sizes={"test_ood": 40})
    held = set(out.filter(pl.col("split") == "test_ood")["domain"])
    assert held
    assert not held & set(out.filter(pl.col("split") != "test_ood")["domain"])
    assert out.filter(pl.col("split") == "test_ood").height == 40


def test_no_ood_axis_means_no_ood_rows():
    out, _ = run(candidates(300), builder=Dummy(ood_axis="none"))
    assert "test_ood" not in set(out["split"])


def test_holdout_follows_the_recipe_fractions_and_rejects_what_it_removes():
    frame = candidates(2000, domains=tuple(f"attr{i}" for i in range(20)))
    split = SplitConfig(fractions=(0.5, 0.25, 0.25))
    out, report, cleaner = selection(frame, Dummy(ood_axis="holdout"), split=split, sizes={"test_ood": 40})
    held = set(report.holdout.domains)
    assert held and report.holdout.stopped_by == "quota"
    rejected = cleaner.rejects_frame().filter(pl.col("reason") == "held_out_domain")
    with_buckets = out.select("candidate_id", "bucket")
    # the OOD pool is the test share of the recipe's fractions, [0.75, 1): every other row of a held-out
    # attribute is in the rejects, and none of them vanishes silently
    assert (with_buckets.filter(pl.col("candidate_id").is_in(rejected["candidate_id"].implode()))).is_empty()
    held_rows = frame.filter(pl.col("domain").is_in(list(held)))
    test_share = set(out.filter(pl.col("split") == "test_ood")["candidate_id"])
    assert set(rejected["candidate_id"]) | test_share <= set(held_rows["candidate_id"])
    ood_pool = next(q for q in report.quotas if q.split == "test_ood").available
    assert rejected.height + ood_pool == held_rows.height


def test_holdout_is_capped_so_the_in_domain_splits_keep_rows():
    # few rows per attribute: the OOD quota can never be met, and holding out every attribute would
    # empty train, validation and test
    frame = candidates(200, domains=tuple(f"attr{i}" for i in range(10)))
    out, report = run(frame, builder=Dummy(ood_axis="holdout"), sizes={"test_ood": 1000})
    assert report.holdout.stopped_by == "cap"
    assert len(report.holdout.domains) == report.holdout.limit == report.holdout.eval_domains // 2
    counts = dict(out["split"].value_counts().iter_rows())
    assert counts["train"] > 0 and counts["test_ood"] > 0
    assert set(out.filter(pl.col("split") == "train")["domain"]).isdisjoint(report.holdout.domains)


def test_a_pooled_mix_draws_from_the_union_in_proportion_to_size():
    frame = candidates(6000, domains=("A", "A", "B"))  # A is twice as large as B
    out, _ = run(frame, sizes={"train": 600}, ind_categories=("A", "B"), category_mix="pooled")
    train = dict(out.filter(pl.col("split") == "train")["domain"].value_counts().iter_rows())
    assert sum(train.values()) == 600
    assert 1.6 < train["A"] / train["B"] < 2.5  # about 2:1, as the pool is; an equal mix gives 1:1
    equal, _ = run(frame, sizes={"train": 600}, ind_categories=("A", "B"), category_mix="equal")
    assert dict(equal.filter(pl.col("split") == "train")["domain"].value_counts().iter_rows()) == {
        "A": 300,
        "B": 300,
    }


class OtherDummy(Dummy):
    abbr = "OD"


def test_two_tasks_on_one_pool_draw_independently():
    # MPC and PSI both draw from ESCI: their quotas must overlap as much as independent draws, not fully
    frame = candidates(10_000)
    cap, pool = 1000, None
    picks = []
    for builder in (Dummy(), OtherDummy()):
        out, report = run(frame, builder=builder, sizes={"train": cap})
        pool = next(q for q in report.quotas if q.split == "train").available
        picks.append(set(out.filter(pl.col("split") == "train")["group_key"]))
    expected = cap * cap / pool  # the overlap of two independent samples of `cap` from `pool`
    assert abs(len(picks[0] & picks[1]) - expected) < 4 * expected**0.5 + 5
    # while the split itself is shared: a product sits on the same side in both tasks
    sides = [run(frame, builder=b)[0].select("group_key", "split") for b in (Dummy(), OtherDummy())]
    assert sides[0].sort("group_key").equals(sides[1].sort("group_key"))


# the faithful recipe's split: random rows, nothing dropped for sharing a product with train
RANDOM = SplitConfig(mode="random", drop_group_overlap=False)


def counts(out: pl.DataFrame, by: str = "split") -> dict:
    return dict(out[by].value_counts().iter_rows())


def test_random_mode_cuts_each_category_at_the_exact_train_test_split_counts():
    # 2,528 rows cut as sklearn's train_test_split(0.2) then (0.5): 2,022 / 253 / 253; 1,001 rows
    # in the second category: 800 / 100 / 101
    frame = candidates(3529, domains=("A",) * 2528 + ("B",) * 1001, products_per=7)
    out, _ = run(frame, split=RANDOM)
    per = {d: counts(out.filter(pl.col("domain") == d)) for d in ("A", "B")}
    assert per["A"] == {"train": 2022, "validation": 253, "test": 253}
    assert per["B"] == {"train": 800, "validation": 100, "test": 101}
    # rows are placed one by one: products straddle train and test, unlike grouped mode
    train = set(out.filter(pl.col("split") == "train")["group_key"])
    assert train & set(out.filter(pl.col("split") == "test")["group_key"])
    grouped, _ = run(frame)
    grouped_train = set(grouped.filter(pl.col("split") == "train")["group_key"])
    assert not grouped_train & set(grouped.filter(pl.col("split") == "test")["group_key"])


def test_random_mode_is_deterministic_by_seed():
    frame = candidates(1000)
    first, second = run(frame, split=RANDOM)[0], run(frame, split=RANDOM)[0]
    assert first.equals(second)
    other = run(frame, seed=2, split=RANDOM)[0]
    assert not first.sort("candidate_id")["split"].equals(other.sort("candidate_id")["split"])


def test_random_mode_halves_a_lone_official_test_exactly_and_once_for_every_task():
    frame = candidates(401, official=lambda i: "test" if i % 2 else "train")
    sides = []
    for builder in (Dummy(ood_axis="none"), OtherDummy(ood_axis="none")):
        out, _ = run(frame, builder=builder, split=RANDOM)
        assert counts(out) == {"train": 201, "validation": 100, "test": 100}
        sides.append(out.select("source_ids", "split").sort("source_ids"))
    # the halving keys on the source row, so tasks built from one source (MPC, PSI) share it
    assert sides[0].equals(sides[1])


def test_random_mode_samples_each_task_in_its_own_order():
    frame = candidates(10_000)
    picks = []
    for builder in (Dummy(), OtherDummy()):
        out, report = run(frame, builder=builder, split=RANDOM, sizes={"train": 1000})
        pool = next(q for q in report.quotas if q.split == "train").available
        picks.append(set(out.filter(pl.col("split") == "train")["candidate_id"]))
    assert pool == 8000
    expected = 1000 * 1000 / pool
    assert abs(len(picks[0] & picks[1]) - expected) < 4 * expected**0.5 + 5


def test_group_overlap_drop_is_a_switch():
    frame = candidates(
        400, products_per=2, official=lambda i: "test" if (i // 2) % 4 == 0 or i % 50 == 3 else "train"
    )
    dropped, report, cleaner = selection(frame)
    assert report.dropped_group_overlap > 0
    assert set(cleaner.rejects_frame()["reason"]) == {"group_in_train"}
    kept, kept_report, kept_cleaner = selection(frame, split=SplitConfig(drop_group_overlap=False))
    assert kept_report.dropped_group_overlap == 0 and kept_cleaner.rejects_frame().is_empty()
    assert kept.height == dropped.height + report.dropped_group_overlap
    train = set(kept.filter(pl.col("split") == "train")["group_key"])
    assert train & set(kept.filter(pl.col("split") != "train")["group_key"])
