"""Sequential Recommendation: which of 20 items a user buys next, given the items they bought before.

Construction (ECInstruct's SR notebook, per category file of Amazon 2018 ratings):

1. Items need metadata: a 2018 meta record, or a 2014 meta record with a title, and some item text
   (`items = "2018"`: a 2018 record, as the notebook).
2. Iterative `core`-core on users and items (each keeps at least `core` interactions), to a fixpoint.
3. A user's interactions are ordered by time (ties by item id) and the first `max_history` kept.
4. Item text = title, the first two category levels and brand, joined with ", " (ECInstruct ends
   each part with "." and joins with spaces) and cut to `item_words` words + "...". Title and brand
   fall back to the 2014 record; a field of 2000+ characters counts as missing; HTML tags, double
   quotes and newlines are removed. `item_text = "notebook"` joins and cuts as the notebook did.
5. Leave-one-out: an in-domain user gives a train (target = 3rd-from-last item), a validation
   (2nd-from-last) and a test (last) candidate, each with the items before the target as history;
   an out-of-domain user gives only the test candidate.
6. Options: the target and 19 other items shuffled, lettered A..T. ECInstruct draws the 19 from the
   texts of all items of the in-domain categories (for an OOD user: of its own category), minus
   the texts of the user's last three items. Like ECInstruct, the pool holds distinct *texts*, so no
   two options read the same and exactly one option is the target.

How the 19 draws scale (millions of users, no Python loop over them): the pool is shuffled once by a
seeded hash, and each request (user, split) walks it with positions `b, b+a, b+2a, ...` modulo the
pool size N, where the offset `b` comes from a seeded hash of the request and the step `a` is coprime
to N (from a small per-pool table built in Python). Such a walk never repeats a position, so there are
no collisions to reject; at most three positions are excluded (the last three items), so 22 steps
always yield 19 negatives when the pool has them. That is one list expansion of 22 integers per
request, one anti-join and one group-by, all in Polars. The same hash places the target among the
options. The iterative core is the only part that reads every rating: per category file, on
integer codes of the ids (`_kcore.py`), and the histories stay codes until a user is built.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import polars as pl
import pyarrow as pa
from polars.io.plugins import register_io_source

from ..clean.filters import has_words
from ..clean.privacy import pseudonym
from ..schema import option
from ._kcore import histories
from .base import (
    AnswerFormat,
    GroupedCandidates,
    PaperResult,
    TaskBuilder,
    seeded_fraction,
    stable_id_expr,
)

if TYPE_CHECKING:
    from ..config import TaskConfig


@dataclass(frozen=True)
class SrParams:
    core: int = option(5, "k of the k-core: users and items with at least k ratings", minimum=1)
    max_history: int = option(50, "most recent items of a history kept", minimum=1)
    item_words: int = option(25, "words of an item's text shown", minimum=1)
    items: Literal["2018_or_2014", "2018"] = option(
        "2018_or_2014",
        "which items have metadata: a 2018 record or a 2014 one with a title, or a 2018 record only "
        "(the SR notebook; 2014 then only fills in a missing title or brand)",
    )
    item_text: Literal["comma", "notebook"] = option(
        "comma",
        'comma: title, two category levels and brand joined with ", ", 2014 filling in fields missing '
        'or too long in 2018; notebook: each part ended with "." and joined with spaces, 2014 filling '
        "in only empty 2018 fields, the cut counting single-space-separated words, as the SR notebook",
    )


LETTERS = "ABCDEFGHIJKLMNOPQRST"
N_OPTIONS = len(LETTERS)
N_NEGATIVES = N_OPTIONS - 1
N_EXCLUDED = 3  # the user's last three items never serve as negatives
MAX_FIELD_CHARS = 2000  # ECInstruct drops metadata strings this long (mostly scraped junk)
HTML_TAG = r"(?s)<!--.*?-->|</?[A-Za-z][^<>]*>"
STEP_CHOICES = 1024  # steps per pool to pick from: more steps, less overlap between two walks
IND_POOL = "<in-domain>"  # pool key of the in-domain categories (never a category file name)
KEYS = ["category", "asin"]
USER_BATCH = 20_000  # users per slice of candidates (each user gives up to three)

# The candidates a user gives: an in-domain user one per split, an out-of-domain user only the test one.
# `offset` counts from the end of the history: the target is the offset-th last item.
TARGET_SPLITS = pl.LazyFrame(
    {
        "is_ood": [False, False, False, True],
        "official_split": ["train", "validation", "test", "test"],
        "offset": [3, 2, 1, 1],
    }
)


def clean_field(text: pl.Expr) -> pl.Expr:
    """A metadata string as the item text uses it; null when missing, 2000+ characters or empty."""
    cleaned = text.str.replace_all(r'["\r\n]', "").str.replace_all(HTML_TAG, "").str.strip_chars()
    return pl.when((text.str.len_chars() < MAX_FIELD_CHARS) & (cleaned != "")).then(cleaned)


def cut_words(text: pl.Expr, limit: int) -> pl.Expr:
    """The first `limit` words + "..." when the text is longer (a trailing dot or comma folds into it);
    the words of the cut are joined by one space. Patterns, not word lists: most texts are short."""
    first = text.str.extract(rf"^\s*(\S+(?:\s+\S+){{{limit - 1}}})", 1).str.replace_all(r"\s+", " ")
    cut = pl.concat_str([first.str.strip_chars_end(".,"), pl.lit("...")])
    return pl.when(has_words(text, limit + 1)).then(cut).otherwise(text)


def ordinal(n: pl.Expr) -> pl.Expr:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 22 -> "22nd"."""
    suffix = (
        pl.when((n % 100).is_between(11, 13))
        .then(pl.lit("th"))
        .when(n % 10 == 1)
        .then(pl.lit("st"))
        .when(n % 10 == 2)
        .then(pl.lit("nd"))
        .when(n % 10 == 3)
        .then(pl.lit("rd"))
        .otherwise(pl.lit("th"))
    )
    return pl.concat_str([n.cast(pl.String), suffix])


def _latest(meta: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    # An ASIN listed twice in a meta file: the later line wins, as in ECInstruct's dict.
    return meta.select(*KEYS, *columns, "line").group_by(KEYS).agg(pl.col(columns).sort_by("line").last())


def notebook_part(text: pl.Expr) -> pl.Expr:
    """One metadata string as the SR notebook's `clean_str` made it: "" when empty or 2000+
    characters, else without quotes, newlines and tags, its dots trimmed and one "." appended."""
    stripped = text.str.replace_all(r'["\r\n]', "").str.replace_all(HTML_TAG, "").str.strip_chars(".")
    return (
        pl.when((text != "") & (text.str.len_chars() < MAX_FIELD_CHARS))
        .then(stripped + ".")
        .otherwise(pl.lit(""))
    )


def cut_spaced_words(text: pl.Expr, limit: int) -> pl.Expr:
    """The notebook's cut: more than `limit` pieces between single spaces keep the first `limit`,
    dots trimmed, "..." appended."""
    words = text.str.split(" ")
    cut = words.list.head(limit).list.join(" ").str.strip_chars(".") + "..."
    return pl.when(words.list.len() > limit).then(cut).otherwise(text)


def notebook_text(item_words: int) -> pl.Expr:
    """Title, two category levels and brand as the SR notebook joined them (2014 only fills in an
    empty 2018 field; 2014 names its breadcrumb `categories`, so levels never fall back)."""

    def field(new: str, old: str) -> pl.Expr:
        value = pl.col(new).fill_null("")
        return notebook_part(pl.when(value == "").then(pl.col(old).fill_null("")).otherwise(value))

    levels = (
        pl.col("categories")
        .fill_null([])
        .list.head(2)
        .list.eval(notebook_part(pl.element()))
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.join(" ")
    )
    text = pl.concat_str([field("title", "title_2014"), levels, field("brand", "brand_2014")], separator=" ")
    return cut_spaced_words(text.str.strip_chars(" "), item_words)


def comma_text(item_words: int) -> pl.Expr:
    """Title, two category levels and brand joined with ", "; 2014 fills in fields missing or too
    long in 2018."""
    title = pl.coalesce(clean_field(pl.col("title")), clean_field(pl.col("title_2014")))
    brand = pl.coalesce(clean_field(pl.col("brand")), clean_field(pl.col("brand_2014")))
    # 2014 names the breadcrumb `categories`, so ECInstruct's category fallback never applies.
    levels = pl.col("categories").fill_null([]).list.head(2).list.eval(clean_field(pl.element()))
    return cut_words(pl.concat_list([title, levels, brand]).list.drop_nulls().list.join(", "), item_words)


def item_texts(
    meta18: pl.LazyFrame,
    meta14: pl.LazyFrame,
    item_words: int,
    items: str = "2018_or_2014",
    item_text: str = "comma",
) -> pl.LazyFrame:
    """`category, item, text` of every item with usable metadata (a 2018 record, or with
    `items = "2018_or_2014"` a 2014 one with a title) and some text."""
    new = _latest(meta18, ["title", "brand", "categories"]).with_columns(in_2018=pl.lit(True))
    old = _latest(meta14, ["title", "brand"]).rename({"title": "title_2014", "brand": "brand_2014"})
    merged = new.join(old, on=KEYS, how="full", coalesce=True)
    admitted = pl.col("in_2018").fill_null(False)
    if items == "2018_or_2014":
        admitted = admitted | clean_field(pl.col("title_2014")).is_not_null()
    text = notebook_text(item_words) if item_text == "notebook" else comma_text(item_words)
    return (
        merged.with_columns(text=text)
        .filter(admitted & (pl.col("text") != ""))
        .select("category", item=pl.col("asin"), text="text")
    )


@dataclass(frozen=True)
class UserIndex:
    """Every user after the core, from the key pass: `users` (`category, user, start, length`, in
    category and user order; the builder adds its own columns) points into `entries`, the
    histories end to end as positions in `items`, the ids of every category file one file after the
    other (`item_categories` names each one's file)."""

    users: pl.DataFrame
    items: pl.Series
    item_categories: pl.Series
    entries: np.ndarray

    def with_items(self, chosen: pl.DataFrame) -> pl.DataFrame:
        """Rows of `users` with their history's ids as the list column `items`."""
        lengths = chosen["length"].to_numpy()
        ends = np.cumsum(lengths)
        starts = chosen["start"].to_numpy()
        at = np.arange(int(ends[-1]) if len(ends) else 0) + np.repeat(starts - ends + lengths, lengths)
        values = self.items.gather(self.entries[at]).to_arrow()
        offsets = pa.array(np.r_[0, ends].astype(np.int32))
        items = pl.Series("items", pa.ListArray.from_arrays(offsets, values), dtype=pl.List(pl.String))
        return chosen.with_columns(items)

    def history_items(self) -> pl.DataFrame:
        """`category, item`: every item of some history, once."""
        codes = np.flatnonzero(np.bincount(self.entries, minlength=len(self.items)))
        return pl.DataFrame(
            {"category": self.item_categories.gather(codes), "item": self.items.gather(codes)}
        )


def _histories(ratings: pl.LazyFrame, items: pl.DataFrame, core: int, max_history: int) -> UserIndex:
    """Every user's first `max_history` items in time order, after the core (per category file)."""
    categories = ratings.select(pl.col("category").unique().sort()).collect().to_series().to_list()
    users, item_tables, entries = [], [], []
    start = offset = 0
    for category in categories:  # a handful of files; each core is independent and bounded in memory
        rows = ratings.filter(pl.col("category") == category).select("user", "item", "timestamp").drop_nulls()
        found = histories(rows, items.filter(pl.col("category") == category)["item"], core, max_history)
        users.append(
            pl.DataFrame(
                {
                    "category": pl.Series([category] * len(found.users), dtype=pl.String),
                    "user": found.users,
                    "start": start + found.starts[:-1],
                    "length": found.lengths,
                }
            )
        )
        item_tables.append(found.items)
        entries.append(found.entries + offset)
        start += int(found.starts[-1])
        offset += len(found.items)
    schema = {"category": pl.String, "user": pl.String, "start": pl.Int64, "length": pl.Int64}
    return UserIndex(
        pl.concat([pl.DataFrame(schema=schema), *(u.cast(schema) for u in users)]),
        pl.concat([pl.Series("item", [], dtype=pl.String), *item_tables]),
        pl.concat(
            [
                pl.Series("category", [], dtype=pl.String),
                *(
                    pl.repeat(c, len(t), dtype=pl.String, eager=True)
                    for c, t in zip(categories, item_tables, strict=True)
                ),
            ]
        ),
        np.concatenate([np.zeros(0, dtype=np.int64), *entries]),
    )


def lazy_slices(slices: Callable[[], Iterator[pl.LazyFrame]], schema: dict[str, pl.DataType]) -> pl.LazyFrame:
    """One LazyFrame over plans computed one after another when it is read: a streaming reader then
    holds one slice's intermediate results at a time, not every slice's at once (as Polars' own
    concat of the plans does)."""

    def source(
        columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, _batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        left = n_rows
        for plan in slices():
            frame = plan.collect()
            frame = frame.filter(predicate) if predicate is not None else frame
            frame = frame.select(columns) if columns is not None else frame
            if left is not None:
                frame = frame.head(left)
                left -= frame.height
            yield frame
            if left == 0:
                return

    return register_io_source(source, schema=schema)


def _steps(seed: int, pool: str, size: int) -> list[int]:
    """STEP_CHOICES seeded steps coprime to `size` (size - 1 always is, so the search stops)."""
    steps = []
    for j in range(STEP_CHOICES):
        step = 1 + int(seeded_fraction(seed, "SR-step", pool, j) * (size - 1))
        while math.gcd(step, size) != 1:
            step += 1
        steps.append(step)
    return steps


def _step_table(seed: int, sizes: pl.DataFrame) -> pl.LazyFrame:
    # Python over pools only (one per OOD category plus the in-domain one), never over users.
    rows = [
        {"pool": pool, "step_choice": j, "step": step}
        for pool, size in sizes.sort("pool").iter_rows()
        for j, step in enumerate(_steps(seed, pool, size))
    ]
    return pl.LazyFrame(rows, schema={"pool": pl.String, "step_choice": pl.Int64, "step": pl.Int64})


def _catalogue(
    users: UserIndex, items: pl.DataFrame, ood: tuple[str, ...], seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(pool, catalogue) of the items in the histories.

    pool: `pool, text, item, pos`, each pool's distinct item texts in a seeded order (pos 0..size-1),
    rows sorted by pool and pos. catalogue: `category, item, text, pos`, every history item with its
    text's position in its pool, so no slice has to match texts again.
    """
    pairs = (
        users.history_items()
        .lazy()
        .with_columns(pool=_pool(ood))
        .join(items.lazy(), on=["category", "item"])
        .collect()
    )
    pool = (
        pairs.lazy()
        .group_by("pool", "text")
        .agg(item=pl.col("item").min())  # the same text under several ASINs: one option, lowest ASIN
        .with_columns(order=stable_id_expr("SR-pool", pl.lit(seed), "pool", "text"))
        .sort("pool", "order", "text")
        .select("pool", "text", "item", pos=pl.int_range(pl.len()).over("pool"))
        .collect()
    )
    catalogue = pairs.join(pool.select("pool", "text", "pos"), on=["pool", "text"]).drop("pool")
    return pool, catalogue


def _pool(ood: tuple[str, ...]) -> pl.Expr:
    """A category's option pool: its own when out of domain, else the in-domain categories' one."""
    return pl.when(pl.col("category").is_in(list(ood))).then(pl.col("category")).otherwise(pl.lit(IND_POOL))


def _entries(users: pl.DataFrame, catalogue: pl.DataFrame) -> pl.DataFrame:
    """One row per history item, in user and time order: `uid, length, index, text, pos`."""
    return (
        users.lazy()
        .select(
            "uid",
            "category",
            item="items",
            length=pl.col("items").list.len(),
            index=pl.int_ranges(0, pl.col("items").list.len()),
        )
        .explode("item", "index")
        .join(catalogue.lazy(), on=["category", "item"], maintain_order="left")
        .drop("category", "item")
        .collect()
    )


def _requests(
    users: pl.DataFrame, entries: pl.DataFrame, sizes: pl.DataFrame, steps: pl.DataFrame, seed: int
) -> pl.DataFrame:
    """One row per (user, split): the target's index and pool position, and the request's seeded walk."""
    # One 64-bit draw per request, split into independent parts: walk start, step choice, target slot.
    draw = stable_id_expr("SR-draw", pl.lit(seed), "category", "user", "official_split").str.to_integer(
        base=16, dtype=pl.UInt64
    )
    size = pl.col("size").cast(pl.UInt64)
    return (
        users.lazy()
        .select("uid", "category", "user", "pool", "is_ood", "items", length=pl.col("items").list.len())
        .join(TARGET_SPLITS, on="is_ood")
        .with_columns(target=pl.col("length") - pl.col("offset"))
        .filter(pl.col("target") >= 1)  # an empty history is no example (only possible with core < 3)
        .join(entries.lazy().select("uid", target="index", target_pos="pos"), on=["uid", "target"])
        .join(sizes.lazy(), on="pool")
        .with_columns(draw=draw)
        .with_columns(
            start=(pl.col("draw") % size).cast(pl.Int64),
            step_choice=(pl.col("draw") // size % STEP_CHOICES).cast(pl.Int64),
            slot=(pl.col("draw") // size // STEP_CHOICES % N_OPTIONS).cast(pl.Int64),
        )
        .join(steps.lazy(), on=["pool", "step_choice"])
        .sort("uid", "offset", descending=[False, True])  # users in order, then train, validation, test
        .collect()
    )


def _excluded(requests: pl.DataFrame, entries: pl.DataFrame) -> np.ndarray:
    """Per request, the pool positions of its user's last three items (-1 pads), as an n x 3 array."""
    last = (
        entries.filter(pl.col("index") >= pl.col("length") - N_EXCLUDED)
        .group_by("uid")
        .agg(excluded=pl.col("pos"))
    )
    padding = pl.lit([-1] * N_EXCLUDED, dtype=pl.List(pl.Int64))
    padded = pl.col("excluded").cast(pl.List(pl.Int64)).list.concat(padding).list.head(N_EXCLUDED)
    rows = requests.select("uid").join(last, on="uid", how="left", maintain_order="left")
    return rows.select(padded.list.to_array(N_EXCLUDED)).to_series().to_numpy().reshape(-1, N_EXCLUDED)


def walk_negatives(
    start: np.ndarray, step: np.ndarray, size: np.ndarray, excluded: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(n x 19 negative positions, whether the request has 19): the first 19 positions of each walk
    `start, start + step, ...` (mod size) that are not excluded. A walk stops before it would wrap."""
    k = np.arange(N_NEGATIVES + N_EXCLUDED)
    positions = (start[:, None] + k[None, :] * step[:, None]) % size[:, None]
    blocked = (positions[:, :, None] == excluded[:, None, :]).any(axis=2) | (k[None, :] >= size[:, None])
    first = np.argsort(blocked, axis=1, kind="stable")[:, :N_NEGATIVES]  # the open ones, in walk order
    return np.take_along_axis(positions, first, axis=1), (~blocked).sum(axis=1) >= N_NEGATIVES


def place_target(negatives: np.ndarray, target: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """n x 20 option positions: the negatives in walk order with the target inserted at its slot."""
    j = np.arange(N_OPTIONS)[None, :]
    negative = np.minimum(j - (j > slot[:, None]), N_NEGATIVES - 1)  # option j's negative (j != slot)
    return np.where(j == slot[:, None], target[:, None], np.take_along_axis(negatives, negative, axis=1))


def _options(requests: pl.DataFrame, option_pos: np.ndarray, pool: pl.DataFrame) -> pl.DataFrame:
    """`options, option_items` per request: the lettered texts and ASINs at its option positions."""
    firsts = pool.with_row_index("row").group_by("pool").agg(first=pl.col("row").min())
    first = pl.col("pool").replace_strict(firsts["pool"], firsts["first"], return_dtype=pl.Int64)
    rows = (option_pos + requests.select(first).to_series().to_numpy()[:, None]).ravel()
    letters = pl.Series(list(LETTERS) * len(requests))
    lettered = pl.select(pl.concat_str([pl.lit(letters), pl.lit(": "), pl.lit(pool["text"].gather(rows))]))
    shape = (len(requests), N_OPTIONS)
    return pl.DataFrame(
        {
            "options": lettered.to_series().reshape(shape).cast(pl.List(pl.String)),
            "option_items": pool["item"].gather(rows).reshape(shape).cast(pl.List(pl.String)),
        }
    )


def _user_key(person: pl.Expr) -> pl.Expr:
    """A user's group key: users are per category file, as ECInstruct read them."""
    return pl.concat_str([pl.col("category"), person], separator=":")


def _history_lines(entries: pl.DataFrame) -> pl.LazyFrame:
    """`uid, lines`: the user's items as "1st: <text>", "2nd: <text>", ... in time order."""
    line = pl.concat_str([ordinal(pl.col("index") + 1), pl.lit(": "), pl.col("text")])
    return entries.lazy().group_by("uid").agg(lines=line.sort_by("index"))


class SequentialRecommendation(TaskBuilder):
    abbr = "SR"
    name = "Sequential_Recommendation"
    title = "Sequential Recommendation"
    group = "user understanding"
    order = 5
    definition = "From the products a user bought, in order, pick the one they buy next among 20 candidates."
    answer_format = AnswerFormat.CANDIDATE_LETTER
    output_shape = "option letter `A` to `T`"
    metrics = ("hr@1",)
    primary_metric = "hr@1"
    scoring = "hit rate at 1"
    paper = PaperResult(
        "hr@1", "HR@1", ind=(0.526, 0.542, 0.479, 0.387, 0.265), ood=(0.273, 0.28, 0.241, 0.198, 0.081)
    )
    tables = ("amazon2018_ratings", "amazon2018_meta", "amazon2014_meta")
    fields: ClassVar[dict[str, pl.DataType]] = {
        "history": pl.List(pl.String),  # "1st: <item text>", ... : rendered as Python str(list)
        "option_items": pl.List(pl.String),  # the ASIN behind each option, in option order
    }
    split_protocol = "leave_one_out"
    text_fields = ("history",)  # option_items are ASINs
    category_mix = "equal"  # the SR notebook took an equal share of users per IND category

    params_model = SrParams

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        by_user = self._by_user(tables, config, seed)
        return by_user.build(by_user.keys["group_key"].unique())

    def grouped(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> GroupedCandidates:
        return self._by_user(tables, config, seed)

    def _by_user(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> GroupedCandidates:
        """Keys from the users after the core (a user is a group); the option pool stays whole."""
        index, items, person = self._users(tables, config)
        users = index.users.with_row_index("uid").with_columns(
            group_key=_user_key(person),
            is_ood=pl.col("category").is_in(list(config.ood_categories)),
            pool=_pool(config.ood_categories),
        )
        keys = (
            users.lazy()
            .join(TARGET_SPLITS, on="is_ood")
            .filter(pl.col("length") > pl.col("offset"))  # as `_requests`: a history to show
            .select("group_key", domain="category", official_split="official_split")
            .collect()
        )
        make = self._maker(index, items, config.ood_categories, seed, person)

        def build(groups: pl.Series) -> pl.LazyFrame:
            return make(index.with_items(users.filter(pl.col("group_key").is_in(groups.implode()))))

        return GroupedCandidates(keys, build)

    def _users(
        self, tables: dict[str, pl.LazyFrame], config: TaskConfig
    ) -> tuple[UserIndex, pl.DataFrame, pl.Expr]:
        """(users, items, person): every user's history after the core; the item texts; the
        reviewer as published (a keyed pseudonym where the recipe asks for one)."""
        params: SrParams = config.params
        ind, ood = config.ind_categories, config.ood_categories
        # No IND list means every category not held out as OOD.
        in_scope = pl.col("category").is_in([*ind, *ood]) if ind else pl.lit(True)
        scoped = {name: tables[name].filter(in_scope) for name in self.tables}
        items = item_texts(
            scoped["amazon2018_meta"],
            scoped["amazon2014_meta"],
            params.item_words,
            params.items,
            params.item_text,
        ).collect()
        users = _histories(scoped["amazon2018_ratings"], items, params.core, params.max_history)
        privacy = config.privacy
        person = pseudonym(privacy.key, "category", "user") if privacy.pseudonymise_ids else pl.col("user")
        return users, items, person

    def _maker(
        self, users: UserIndex, items: pl.DataFrame, ood: tuple[str, ...], seed: int, person: pl.Expr
    ) -> Callable[[pl.DataFrame], pl.LazyFrame]:
        """The candidates of any of the users (rows of `users.users` with their `items`: one per
        (user, split) whose pool has 19 admissible negatives, in request order); the option pools
        come from every user's items.

        Users are handled in slices (the pool is shared): memory is bounded by a slice's candidates,
        not by all of them, when the result is streamed.
        """
        pool, catalogue = _catalogue(users, items, ood, seed)
        sizes = pool.group_by("pool").agg(size=pl.len())
        steps = _step_table(seed, sizes).collect()

        def make(chosen: pl.DataFrame) -> pl.LazyFrame:
            def slices() -> Iterator[pl.LazyFrame]:
                for start in range(0, max(chosen.height, 1), USER_BATCH):
                    users_slice = chosen.slice(start, USER_BATCH)
                    yield self._slice_candidates(users_slice, catalogue, pool, sizes, steps, seed, person)

            return lazy_slices(slices, self.schema())

        return make

    def _slice_candidates(
        self,
        users: pl.DataFrame,
        catalogue: pl.DataFrame,
        pool: pl.DataFrame,
        sizes: pl.DataFrame,
        steps: pl.DataFrame,
        seed: int,
        person: pl.Expr,
    ) -> pl.LazyFrame:
        entries = _entries(users, catalogue)
        requests = _requests(users, entries, sizes, steps, seed)
        walk = requests.select("start", "step", "size", "target_pos", "slot").to_numpy().T
        negatives, complete = walk_negatives(walk[0], walk[1], walk[2], _excluded(requests, entries))
        requests = requests.filter(pl.Series(complete))  # a pool too small for this user
        option_pos = place_target(negatives[complete], walk[3][complete], walk[4][complete])
        rows = pl.concat([requests, _options(requests, option_pos, pool)], how="horizontal")
        user_key = _user_key(person)
        lineage = pl.col("items").list.head(pl.col("target") + 1)  # the history items, then the target
        return (
            rows.lazy()
            .join(_history_lines(entries), on="uid", maintain_order="left")
            .select(
                candidate_id=stable_id_expr(self.abbr, "category", person, "official_split"),
                source=pl.lit("amazon2018+amazon2014"),
                source_ids=pl.concat_list(user_key, lineage),
                product_id=pl.col("items").list.get(pl.col("target")),
                category=pl.col("category"),
                domain=pl.col("category"),
                group_key=user_key,
                content_key=lineage.list.join(" "),
                official_split=pl.col("official_split"),
                label=pl.lit(LETTERS).str.slice(pl.col("slot"), 1),
                options=pl.col("options"),
                history=pl.col("lines").list.head(pl.col("target")),
                option_items=pl.col("option_items"),
            )
            .cast(self.schema())
        )
