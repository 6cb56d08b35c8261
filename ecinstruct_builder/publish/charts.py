"""PNG charts for the sample pages: label distribution per task and split, rows per category IND vs
OOD, text lengths per task and rows per instruction template, each bar labelled with its row count.

Charts are drawn on a bare `Figure` (no pyplot, no global backend) under matplotlib's default style
and saved without a timestamp or software tag, so the same data gives the same bytes. matplotlib is
the `charts` extra: the counting works without it, and `charts_available()` says whether plotting does.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from ..io import atomic_path
from .layout import DIVERSE, SPLIT_SOURCES
from .workdir import Build

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.container import BarContainer
    from matplotlib.figure import Figure

# Tasks whose answers take more distinct values than this are free-form (AVE, AG) and get no label chart.
MAX_LABELS = 24
TOP_CATEGORIES = 8
SPLIT_COLOURS = {"train": "#4C72B0", "validation": "#55A868", "test": "#C44E52", "test_ood": "#8172B2"}
SIDE_COLOURS = {"IND": "#4C72B0", "OOD": "#DD8452"}
COLUMNS = 3
DPI = 100
PNG_METADATA = {"Software": None}  # matplotlib would stamp its version; keep the bytes version-free
CHARTS_INSTALL = "pip install 'ecinstruct-builder[charts]'"
COUNT_FONT = 5
# Text lengths in words, binned by doubling upper bounds (the last bin is open).
LENGTH_BOUNDS = (4, 8, 16, 32, 64, 128, 256, 512)
LENGTH_BINS = (
    f"0-{LENGTH_BOUNDS[0]}",
    *(f"{low + 1}-{high}" for low, high in itertools.pairwise(LENGTH_BOUNDS)),
    f"{LENGTH_BOUNDS[-1] + 1}+",
)
LENGTH_FIELDS = {"input": "#4C72B0", "output": "#DD8452"}
# Setting families (the setting without its IND_/OOD_ side), in the order their bars stack.
FAMILY_COLOURS = {
    "Diverse_Instruction": "#4C72B0",
    "Diverse_Instruction_1-shot": "#8172B2",
    "Single_Instruction": "#55A868",
    "Unseen_Instruction": "#C44E52",
}


def charts_available() -> bool:
    """Whether matplotlib (the `charts` extra) can be imported."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _default_style() -> Iterator[None]:
    import matplotlib.style  # the extra: imported only when a chart is drawn

    with matplotlib.style.context("default"):
        yield


def _config_split() -> pl.Expr:
    """The config split of a Diverse row: train / validation / test / test_ood."""
    keys = {f"{side}:{row_split}": split for split, (side, row_split) in SPLIT_SOURCES.items()}
    side_split = pl.concat_str(pl.col("setting").str.slice(0, 3), pl.col("split"), separator=":")
    return side_split.replace_strict(keys, default=None, return_dtype=pl.String)


def _rows(build: Build, columns: tuple[str, ...]) -> pl.LazyFrame:
    return pl.concat(
        [pl.scan_parquet(t.path).select("task", "setting", "split", *columns) for t in build.tasks]
    )


def _diverse_rows(build: Build, columns: tuple[str, ...] = ("output", "category")) -> pl.LazyFrame:
    """ECInstruct proper (the Diverse-instruction rows) with each row's config split."""
    settings = (f"IND_{DIVERSE}", f"OOD_{DIVERSE}")
    return (
        _rows(build, columns)
        .filter(pl.col("setting").is_in(settings))
        .with_columns(config_split=_config_split())
    )


def label_counts(build: Build) -> pl.DataFrame:
    """Rows per task, config split and label (an option's letter, else the answer); labelled tasks only."""
    letter = pl.col("output").str.extract(r"^([A-Z]): ", 1)
    counts = (
        _diverse_rows(build)
        .with_columns(label=pl.coalesce(letter, pl.col("output")))
        .group_by("task", "config_split", "label")
        .agg(rows=pl.len().cast(pl.Int64))
        .collect()
    )
    labelled = (
        counts.group_by("task").agg(pl.col("label").n_unique().alias("n")).filter(pl.col("n") <= MAX_LABELS)
    )
    return counts.join(labelled.select("task"), on="task").sort("task", "config_split", "label")


def category_counts(build: Build) -> pl.DataFrame:
    """Rows per task, category and side (IND, OOD); a task's smaller categories are pooled as "other"."""
    rows = (
        _diverse_rows(build)
        .filter(pl.col("category").is_not_null())
        .with_columns(
            side=pl.when(pl.col("config_split") == "test_ood").then(pl.lit("OOD")).otherwise(pl.lit("IND"))
        )
        .group_by("task", "category", "side")
        .agg(rows=pl.len().cast(pl.Int64))
        .collect()
    )
    rank = (
        rows.group_by("task", "category")
        .agg(total=pl.col("rows").sum())
        .sort("task", "total", "category", descending=[False, True, False])
        .with_columns(rank=pl.int_range(pl.len()).over("task"))
    )
    return (
        rows.join(rank, on=["task", "category"])
        .with_columns(
            category=pl.when(pl.col("rank") < TOP_CATEGORIES).then("category").otherwise(pl.lit("other"))
        )
        .group_by("task", "category", "side")
        .agg(pl.col("rows").sum())
        .sort("task", "category", "side")
    )


def length_counts(build: Build) -> pl.DataFrame:
    """Rows of ECInstruct proper per task, field (input, output) and length bin (LENGTH_BINS, words)."""
    words = [
        pl.col(field)
        .fill_null("")
        .str.split(" ")
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.len()
        for field in LENGTH_FIELDS
    ]
    return (
        _diverse_rows(build, tuple(LENGTH_FIELDS))
        .select("task", *(w.alias(f) for w, f in zip(words, LENGTH_FIELDS, strict=True)))
        .unpivot(index="task", variable_name="field", value_name="words")
        .with_columns(  # a bin's index is the number of upper bounds the length passes
            bin=pl.sum_horizontal([pl.col("words") > bound for bound in LENGTH_BOUNDS]).replace_strict(
                dict(enumerate(LENGTH_BINS)), return_dtype=pl.String
            )
        )
        .group_by("task", "field", "bin")
        .agg(rows=pl.len().cast(pl.Int64))
        .sort("task", "field", "bin")
        .collect()
    )


def template_counts(build: Build) -> pl.DataFrame:
    """Rows per task, instruction template and setting family, over every setting and split."""
    return (
        _rows(build, ("template_id",))
        .with_columns(family=pl.col("setting").str.slice(4))  # IND_ / OOD_ dropped
        .group_by("task", "template_id", "family")
        .agg(rows=pl.len().cast(pl.Int64))
        .sort("task", "template_id", "family")
        .collect()
    )


def _label_bars(axis: Axes, bars: BarContainer, counts: list[int], **where: object) -> None:
    """Write each bar's row count on it (nothing on an empty bar)."""
    axis.bar_label(bars, labels=[f"{n:,}" if n else "" for n in counts], fontsize=COUNT_FONT, **where)


def _grid(panels: int, height: float) -> tuple[Figure, list]:
    from matplotlib.figure import Figure

    rows = max(1, math.ceil(panels / COLUMNS))
    figure = Figure(figsize=(4.2 * COLUMNS, height * rows), dpi=DPI)
    axes = figure.subplots(rows, COLUMNS, squeeze=False).ravel().tolist()
    for extra in axes[panels:]:
        extra.set_visible(False)
    return figure, axes


def _save(figure: Figure, target: Path) -> None:
    figure.tight_layout()
    with atomic_path(target) as tmp:
        figure.savefig(tmp, format="png", dpi=DPI, metadata=PNG_METADATA)


def _present(counts: pl.DataFrame, abbrs: dict[str, str]) -> list[str]:
    """The tasks in `counts`, in the order of `abbrs` (task name -> abbreviation, ECInstruct order)."""
    found = set(counts["task"].to_list())
    return [name for name in abbrs if name in found]


def plot(
    figure: Callable[[pl.DataFrame, dict[str, str]], Figure],
    counts: pl.DataFrame,
    abbrs: dict[str, str],
    target: Path,
) -> None:
    """Draw one chart (`figure`: one of the *_figure functions) under the default style and save it."""
    with _default_style():
        _save(figure(counts, abbrs), target)


def _panels(
    counts: pl.DataFrame, abbrs: dict[str, str], height: float
) -> tuple[Figure, list[tuple[Axes, pl.DataFrame]]]:
    """A grid of one panel per task in `counts` (in the order of `abbrs`), titled, with its rows."""
    tasks = _present(counts, abbrs)
    figure, axes = _grid(len(tasks), height)
    panels = []
    for axis, task in zip(axes, tasks, strict=False):
        axis.set_title(abbrs[task], fontsize=10)
        panels.append((axis, counts.filter(pl.col("task") == task)))
    return figure, panels


def _grouped(axis: Axes, groups: list[tuple[str, str, list[float], list[int]]], slots: int) -> None:
    """Side-by-side bars in each of `slots` places, one per group (name, colour, heights, the counts
    written on the bars)."""
    width = 0.8 / len(groups)
    for i, (name, colour, heights, counts) in enumerate(groups):
        xs = [j + (i - (len(groups) - 1) / 2) * width for j in range(slots)]
        bars = axis.bar(xs, heights, width, label=name, color=colour)
        _label_bars(axis, bars, counts, rotation=90, padding=1)
    axis.margins(y=0.2)  # room for the counts above the tallest bar


def _stacked(
    axis: Axes, frame: pl.DataFrame, item: str, part: str, colours: dict[str, str], horizontal: bool
) -> list[str]:
    """One bar per value of `item`, its rows stacked by `part` (one colour each), the rows on each
    piece; returns the items in bar order."""
    items = sorted(frame[item].unique().to_list())
    base = [0] * len(items)
    for value, colour in colours.items():
        rows = dict(frame.filter(pl.col(part) == value).select(item, "rows").iter_rows())
        sizes = [rows.get(i, 0) for i in items]
        if not any(sizes):
            continue
        draw, offset = (axis.barh, "left") if horizontal else (axis.bar, "bottom")
        bars = draw(range(len(items)), sizes, color=colour, label=value, **{offset: base})
        _label_bars(axis, bars, sizes, label_type="center")
        base = [a + b for a, b in zip(base, sizes, strict=True)]
    return items


def labels_figure(counts: pl.DataFrame, abbrs: dict[str, str]) -> Figure:
    """One panel per task: each label's share of its split, one bar colour per split, rows on the bars."""
    figure, panels = _panels(counts, abbrs, 3.0)
    for axis, frame in panels:
        labels = sorted(frame["label"].unique().to_list())
        groups = []
        for split in (s for s in SPLIT_COLOURS if s in set(frame["config_split"].to_list())):
            part = frame.filter(pl.col("config_split") == split)
            rows = dict(zip(part["label"].to_list(), part["rows"].to_list(), strict=True))
            counted = [rows.get(lb, 0) for lb in labels]
            shares = [100 * n / part["rows"].sum() for n in counted]
            groups.append((split, SPLIT_COLOURS[split], shares, counted))
        _grouped(axis, groups, len(labels))
        axis.set_xticks(range(len(labels)), labels, rotation=90 if len(labels) > 6 else 0, fontsize=7)
        axis.set_ylabel("% of split (rows on the bars)", fontsize=8)
        axis.legend(fontsize=6)
    return figure


def categories_figure(counts: pl.DataFrame, abbrs: dict[str, str]) -> Figure:
    """One panel per task: rows per category, in-domain and out-of-domain stacked, rows on each part."""
    figure, panels = _panels(counts, abbrs, 3.2)
    for axis, frame in panels:
        categories = _stacked(axis, frame, "category", "side", SIDE_COLOURS, horizontal=True)
        axis.set_yticks(range(len(categories)), [c.replace("_", " ") for c in categories], fontsize=7)
        axis.invert_yaxis()
        axis.set_xlabel("rows", fontsize=8)
        axis.legend(fontsize=6)
    return figure


def lengths_figure(counts: pl.DataFrame, abbrs: dict[str, str]) -> Figure:
    """One panel per task: rows per length bin of the input and of the output, rows on the bars."""
    figure, panels = _panels(counts, abbrs, 3.0)
    for axis, frame in panels:
        groups = []
        for name, colour in LENGTH_FIELDS.items():
            rows = dict(frame.filter(pl.col("field") == name).select("bin", "rows").iter_rows())
            heights = [rows.get(b, 0) for b in LENGTH_BINS]
            groups.append((name, colour, heights, heights))
        _grouped(axis, groups, len(LENGTH_BINS))
        axis.set_xticks(range(len(LENGTH_BINS)), LENGTH_BINS, rotation=90, fontsize=7)
        axis.set_xlabel("words", fontsize=8)
        axis.set_ylabel("rows", fontsize=8)
        axis.legend(fontsize=6)
    return figure


def templates_figure(counts: pl.DataFrame, abbrs: dict[str, str]) -> Figure:
    """One panel per task: rows per instruction template, setting families stacked, rows on each part."""
    figure, panels = _panels(counts, abbrs, 3.0)
    for axis, frame in panels:
        templates = _stacked(axis, frame, "template_id", "family", FAMILY_COLOURS, horizontal=False)
        axis.set_xticks(range(len(templates)), templates, rotation=90, fontsize=7)
        axis.set_ylabel("rows", fontsize=8)
        axis.margins(y=0.1)
        axis.legend(fontsize=5)
    return figure
