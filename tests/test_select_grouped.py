"""Selection that builds candidates group by group gives the rows building every candidate gives."""

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from ecinstruct_builder import select
from ecinstruct_builder.config import Sizes, load_recipe, task_config
from ecinstruct_builder.fetch import load_source_tables
from ecinstruct_builder.select import TaskSelection, quota_frontier, select_task
from ecinstruct_builder.tasks import builders
from ecinstruct_builder.tasks.base import TaskBuilder

GROUPED = ("SR", "PRP", "AVE", "MPC", "PSI", "AP", "AG")  # builders making candidates group by group


def whole(builder: TaskBuilder) -> TaskBuilder:
    """The same builder, building every candidate up front."""
    cls = type(f"Whole{builder.abbr}", (type(builder),), {"grouped": lambda self, *args: None})
    return cls()


def selections(
    workdir: Path, tmp_path: Path, abbr: str, **changes: object
) -> tuple[TaskSelection, TaskSelection]:
    tables, _ = load_source_tables(workdir)
    recipe = load_recipe("demo")
    config = replace(recipe.task(abbr), **changes)
    builder = builders()[abbr]
    args = (tables, config, recipe.seed, recipe.split)
    return (
        select_task(builder, *args, tmp_path / "grouped"),
        select_task(whole(builder), *args, tmp_path / "whole"),
    )


def built(selection: TaskSelection) -> int:
    return selection.timings["build_clean"].rows_out


def test_the_builders_make_group_keys_for_every_candidate(demo_workdir):
    tables, _ = load_source_tables(demo_workdir)
    for abbr in GROUPED:
        builder = builders()[abbr]
        config = load_recipe("demo").task(abbr)
        grouped = builder.grouped({t: tables[t] for t in builder.tables}, config, 1)
        candidates = builder.build({t: tables[t] for t in builder.tables}, config, 1).collect()
        missing = candidates.join(grouped.keys, on=["group_key", "domain"], how="anti", nulls_equal=True)
        assert missing.is_empty()
        some = candidates["group_key"].unique().sort().head(5)
        part = grouped.build(some).collect().sort("candidate_id")
        assert part.height > 0
        assert part.equals(candidates.filter(pl.col("group_key").is_in(some.implode())).sort("candidate_id"))


@pytest.mark.parametrize("abbr", GROUPED)
def test_small_quotas_build_fewer_candidates_and_select_the_same_rows(demo_workdir, tmp_path, abbr):
    sizes = Sizes(train=10, validation=2, test=2, test_ood=2)
    grouped, whole_build = selections(demo_workdir, tmp_path, abbr, sizes=sizes)
    assert grouped.selected.equals(whole_build.selected)
    has_ood = builders()[abbr].ood_axis != "none"
    assert grouped.selected.height == 14 + 2 * has_ood
    assert built(grouped) < built(whole_build)


@pytest.mark.parametrize("abbr", GROUPED)
def test_quotas_past_the_source_build_everything_and_select_the_same_rows(demo_workdir, tmp_path, abbr):
    sizes = Sizes(train=100_000, validation=20, test=20, test_ood=20)
    grouped, whole_build = selections(demo_workdir, tmp_path, abbr, sizes=sizes)
    assert grouped.selected.equals(whole_build.selected)
    if abbr in ("SR", "PRP"):
        assert built(grouped) == built(whole_build)
    else:  # rows no split can take (a held-out domain's other rows, an OOD row of an official
        # train split, an ESCI row without a split) are not built
        assert built(grouped) <= built(whole_build)


def test_filters_dropping_most_rows_move_the_frontier_on_and_select_the_same_rows(
    demo_workdir, tmp_path, monkeypatch
):
    # a minimum title length most demo titles miss: the first frontier cannot fill the quotas
    frontiers = []

    def counted(*args: object) -> float:
        frontiers.append(quota_frontier(*args))
        return frontiers[-1]

    monkeypatch.setattr(select, "quota_frontier", counted)
    builder = builders()["PRP"]
    table = {
        "filters": {"min_words": {"title1": 10}},
        "sizes": {"train": 20, "validation": 4, "test": 4, "test_ood": 4},
    }
    config = task_config(builder, table, 1)
    recipe = load_recipe("demo")
    config = replace(
        config,
        ind_categories=recipe.task("PRP").ind_categories,
        ood_categories=recipe.task("PRP").ood_categories,
    )
    tables, _ = load_source_tables(demo_workdir)
    args = (tables, config, recipe.seed, recipe.split)
    grouped = select_task(builder, *args, tmp_path / "grouped")
    whole_build = select_task(whole(builder), *args, tmp_path / "whole")
    assert len(frontiers) > 1 and frontiers == sorted(frontiers)
    assert grouped.selected.equals(whole_build.selected)
    assert grouped.selected.height > 0
    kept = {d.reason: d.rows for d in grouped.cleaner.report().dropped}
    assert kept["too_short:title1"] > 0
    # every reject the grouped selection records, the whole build records too
    assert grouped.rejects.join(whole_build.rejects, on=["candidate_id", "reason"], how="anti").is_empty()
