"""Amazon Review Data 2018: full reviews, 19-field metadata and ratings-only CSVs, per category.

Files: `amazon2018/{Cat}.json.gz`, `amazon2018/meta_{Cat}.json.gz`, `amazon2018/{Cat}.csv`.
Product `i` of a category has the same ASIN in the meta, the reviews, the ratings and the 2014
meta, so every file can be written on its own, streaming, without holding the catalog in memory.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gzip
import html
import itertools
import json
import random
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import text
from .common import (
    Profile,
    asin,
    binary_junk,
    dumps,
    fraction_for,
    power_law_int,
    record_sink,
    rng_for,
    truncated,
)
from .common import user_id as make_user_id

CATEGORIES = ("Electronics", "Home_and_Kitchen", "Sports_and_Outdoors", "Tools_and_Home_Improvement")

# Real sizes (sources.md): meta records per category, and ratings rows (= full review counts).
REAL_META = {
    "Electronics": 786_868,
    "Home_and_Kitchen": 1_301_225,
    "Sports_and_Outdoors": 962_876,
    "Tools_and_Home_Improvement": 571_982,
}
REAL_RATINGS = {
    "Electronics": 20_994_353,
    "Home_and_Kitchen": 21_928_568,
    "Sports_and_Outdoors": 12_980_837,
    "Tools_and_Home_Improvement": 9_015_203,
}
REAL_REVIEWS = 200_000  # the recipe reads only the first 200k lines of each review file
DEMO_META = 200
DEMO_REVIEWS = 300
# The dense core every ratings file starts with (the whole demo): rows over its first items.
CORE_RATINGS = 840
CORE_ITEMS = 120
TAIL_USER_SKEW = 3.0
TAIL_ITEM_ALPHA = 1.4
MAX_ITEM_RATINGS = 60_000  # about the most-rated items upstream; bounds the per-item user set

# One duplicate ASIN row after every DUPLICATE_EVERY unique products (~2.2%, as in Tools upstream).
DUPLICATE_EVERY = 45
# Links point past the catalog for this share of partner ids: products the category file lacks.
DANGLING_SHARE = 0.2
RATING_STARS = ((5, 0.60), (4, 0.20), (3, 0.08), (2, 0.05), (1, 0.07))
_STAR_VALUES = tuple(stars for stars, _ in RATING_STARS)
_STAR_CUMULATIVE = tuple(itertools.accumulate(weight for _, weight in RATING_STARS))[:-1]
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
_FIRST_DAY = dt.date(2008, 1, 1).toordinal()
_LAST_DAY = dt.date(2018, 9, 30).toordinal()

# Scraping debris upstream has in place of some titles: tag fragments without a closing `>`.
DEBRIS_TITLES = ('<span class="a-size-medium a-color-secondary"', '" Magazines" />')
DEBRIS_SHARE = 0.03
ENTITY_SHARE = 0.1  # products whose breadcrumb and feature bullets carry `&amp;`-style entities
HTML_DATE_SHARE = 0.02  # products whose `date` holds a block of the product page
HTML_DATE = (
    '<div class="a-fixed-left-grid a-spacing-none"><div class="a-fixed-left-grid-inner" '
    'style="padding-left:280px"><div class="a-text-center a-fixed-left-grid-col a-col-left">'
)
EXACT_DUPLICATE_SHARE = 0.02  # products whose meta line is written twice, byte for byte
# Products whose reviews are also listed, same reviewer and text, under the next product's ASIN
# (a variant of one family): upstream lists one review under every ASIN of the family.
SHARED_REVIEW_SHARE = 0.1
# Categories that also get the 5-core subset `{Cat}_5.json.gz` (the reviews of items with 5 or more).
FIVE_CORE_CATEGORIES = ("Electronics",)
FIVE_CORE_MIN = 5

# Malformed lines planted on purpose (relative path -> count) so the quarantine has work to do.
PLANTED_BAD_LINES = {
    "amazon2018/Electronics.json.gz": 2,  # one truncated JSON line, one line of binary junk
    "amazon2018/meta_Sports_and_Outdoors.json.gz": 1,  # one truncated JSON line
    "amazon2018/Home_and_Kitchen.csv": 1,  # one row with three fields instead of four
}
_PLANT_AFTER = 7  # records written before the first planted line


def catalog_namespace(category: str) -> int:
    return 10 + CATEGORIES.index(category)


def catalog_asin(category: str, index: int, seed: int) -> str:
    """The ASIN of product `index` of a category (shared by 2018 meta, reviews, ratings and 2014 meta)."""
    return asin(catalog_namespace(category), index, seed)


def title_missing(category: str, index: int, seed: int) -> bool:
    """Whether the 2018 meta row of a product has an empty title (~3%, decided per product)."""
    return fraction_for(seed, "no-title", category, index) < 0.03


def unique_products(profile: Profile, category: str) -> int:
    """How many distinct ASINs the meta file of a category holds (its rows minus duplicate rows)."""
    rows = profile.count(REAL_META[category], DEMO_META)
    return rows - rows // (DUPLICATE_EVERY + 1)


def _day_to_unix(day: int) -> int:
    """Midnight UTC of a proleptic ordinal day, in seconds (upstream times are whole days)."""
    return (day - _EPOCH_DAY) * 86_400


def _random_day(rng: random.Random) -> int:
    return _FIRST_DAY + int(rng.random() * (_LAST_DAY - _FIRST_DAY + 1))  # randint, without its overhead


def _stars(rng: random.Random) -> int:
    return _STAR_VALUES[bisect.bisect(_STAR_CUMULATIVE, rng.random())]


# ---------------------------------------------------------------------------------------------
# Metadata


def _links(rng: random.Random, index: int, catalog: int, count: int, seed: int, category: str) -> list[str]:
    """Partner ASINs for a link list: other products of the same file, some missing from the file."""
    partners = []
    for _ in range(count):
        other = rng.randrange(round(catalog * (1 + DANGLING_SHARE)))
        if other != index:
            partners.append(catalog_asin(category, other, seed))
    return partners


def _similar_item_html(rng: random.Random, partners: list[str]) -> str:
    """The comparison-table markup upstream stores in `similar_item` (ASINs in links and asin= params)."""
    cells = "".join(
        f'<th class="comparison_image_title_cell" role="columnheader"><div class="a-row">'
        f'<a class="a-link-normal" href="/dp/{partner}/ref=psdc_{rng.randint(1000, 9999)}_t{n}'
        f'?asin={partner}">'
        f'<img alt="" src="https://images-na.ssl-images-amazon.com/images/I/{partner}.jpg"></a></div></th>'
        for n, partner in enumerate(partners, start=1)
    )
    ratings = "".join(
        f'<td><span class="a-icon-alt">{rng.randint(30, 50) / 10} out of 5 stars</span></td>'
        for _ in partners
    )
    return (
        ' class="a-bordered a-horizontal-stripes a-spacing-extra-large a-size-base comparison_table">\n'
        f'<tr class="comparison_table_image_row"><td class="comparison_table_first_col"></td>{cells}</tr>\n'
        f'<tr><th class="comparison_attribute_name_column">Customer Rating</th>{ratings}</tr>\n'
    )


def _rank(rng: random.Random, vocab: text.CategoryVocab, item: text.Product) -> Any:
    """Sales rank: upstream stores a string on some rows and a list of strings on others."""
    main = f">#{rng.randint(1, 3_000_000):,} in {vocab.root} (See Top 100 in {vocab.root})"
    roll = rng.random()
    if roll < 0.4:
        return main
    if roll < 0.9:
        return [main, f">#{rng.randint(1, 90_000):,} in {vocab.root} > {item.subcategory}"]
    return []


def _price(rng: random.Random, item: text.Product) -> str:
    roll = rng.random()
    if roll < 0.6:
        return text.price_text(item.price)
    if roll < 0.95:
        return ""
    return f"{text.price_text(item.price / 2)} - {text.price_text(item.price)}"


def _details(rng: random.Random, item: text.Product) -> dict[str, str]:
    size = f"{rng.randint(2, 30)} x {rng.randint(2, 20)} x {rng.randint(1, 9)} inches"
    details = {
        "\n    Product Dimensions: \n    ": size,  # upstream keys keep the scraped page's whitespace
        "Shipping Weight:": f"{rng.randint(1, 90) / 10} pounds",
        "ASIN:": "",  # filled by the caller, which knows the ASIN
    }
    if rng.random() < 0.3:
        details["Item model number:"] = f"{item.brand[:3].upper()}-{rng.randint(100, 999)}"
    return details


def _breadcrumb(rng: random.Random, vocab: text.CategoryVocab, item: text.Product) -> list[str]:
    roll = rng.random()
    if roll < 0.05:
        return []
    crumbs = [vocab.root, item.subcategory, item.noun.title()]
    if roll < 0.07:  # feature text that leaked into the breadcrumb upstream
        crumbs.append(text.fill(rng, text.FEATURES[0], item))
    return crumbs


def _images(rng: random.Random, count: int, size: str) -> list[str]:
    return [
        f"https://images-na.ssl-images-amazon.com/images/I/{rng.randint(10**9, 10**10)}.{size}.jpg"
        for _ in range(count)
    ]


def meta_record(rng: random.Random, category: str, index: int, catalog: int, seed: int) -> dict[str, Any]:
    """One 2018 meta record (19 fields, upstream key order) with upstream's type quirks."""
    vocab = text.CATEGORIES[category]
    item = text.product(category, index, seed)
    own = catalog_asin(category, index, seed)
    title = item.title()
    if rng.random() < 0.5:  # upstream titles often carry HTML entities (&quot; for inches, &amp;)
        title = html.escape(title)
    if title_missing(category, index, seed):  # the 2014 metadata is the fallback for these
        title = ""
    elif fraction_for(seed, "debris-title", category, index) < DEBRIS_SHARE:
        title = DEBRIS_TITLES[index % len(DEBRIS_TITLES)]
    brand = item.brand if rng.random() < 0.93 else rng.choice(("", f"Visit Amazon's {item.brand} Page"))
    description = [text.description_text(rng, item, rng.randint(1, 3))] if rng.random() < 0.8 else []
    if description and rng.random() < 0.1:
        description.append("")
    also_buy = _links(rng, index, catalog, rng.choice((0, 1, 2, 3, 3)), seed, category)
    also_view = _links(rng, index, catalog, rng.choice((0, 2, 3, 4)), seed, category)
    if also_buy and rng.random() < 0.1:  # upstream lists overlap; PRP drops such ambiguous pairs
        also_view.append(also_buy[0])
    similar = _links(rng, index, catalog, rng.randint(2, 4), seed, category) if rng.random() < 0.25 else []
    tech1: Any = ""
    if rng.random() < 0.15:
        tech1 = {"Brand Name": item.brand, "Color": item.color, "Material": item.material}
    main_cat = vocab.main_cat
    if rng.random() < 0.03:
        alt = rng.choice(("Digital Music", "Amazon Devices", "AMAZON FASHION"))
        main_cat = (
            f'<img src="https://images-na.ssl-images-amazon.com/images/G/01/nav/{alt[:4]}.png" alt="{alt}"/>'
        )
    image_count = rng.randint(0, 3)
    breadcrumb = _breadcrumb(rng, vocab, item)
    feature = text.feature_bullets(rng, item, rng.randint(0, 4))
    if fraction_for(seed, "entities", category, index) < ENTITY_SHARE:  # `Fashion &amp; Style`
        breadcrumb, feature = [html.escape(c) for c in breadcrumb], [html.escape(f) for f in feature]
    record: dict[str, Any] = {
        "category": breadcrumb,
        "tech1": tech1,
        "description": description,
        "fit": "",
        "title": title,
        "also_buy": also_buy,
        "tech2": "",
        "brand": brand,
        "feature": feature,
        "rank": _rank(rng, vocab, item),
        "also_view": also_view,
        "main_cat": main_cat,
        "similar_item": _similar_item_html(rng, similar) if similar else "",
        "date": _date(rng, fraction_for(seed, "html-date", category, index) < HTML_DATE_SHARE),
        "price": _price(rng, item),
        "asin": own,
        "imageURL": _images(rng, image_count, "_US40_"),
        "imageURLHighRes": _images(rng, image_count, "_SL1500_"),
    }
    if rng.random() < 0.95:  # `details` is absent on some rows upstream
        details = _details(rng, item)
        details["ASIN:"] = own
        record["details"] = details
    return record


def _date(rng: random.Random, scraped_html: bool) -> str:
    """The `date` field; `scraped_html`: a block of the product page instead (as upstream has)."""
    roll = rng.random()
    if scraped_html:
        return HTML_DATE
    if roll < 0.4:
        date = dt.date.fromordinal(_random_day(rng))
        return f"{_MONTHS[date.month - 1]} {date.day}, {date.year}"  # not strftime: it follows the locale
    if roll < 0.98:
        return ""
    return f"{rng.randint(1, 5)} star{rng.randint(1, 5)} star ({rng.randint(0, 40)}%)"  # scraped junk


def write_meta(out_dir: Path, profile: Profile, seed: int, progress: bool, category: str) -> tuple[str, int]:
    relative = f"amazon2018/meta_{category}.json.gz"
    catalog = unique_products(profile, category)
    rng = rng_for(seed, relative)
    recent: deque[dict[str, Any]] = deque(maxlen=50)
    plant = PLANTED_BAD_LINES.get(relative, 0)
    with record_sink(out_dir, relative, catalog + catalog // DUPLICATE_EVERY, progress) as sink:
        for index in range(catalog):
            record = meta_record(rng, category, index, catalog, seed)
            line = dumps(record)
            sink.write(line)
            if fraction_for(seed, "exact-duplicate", category, index) < EXACT_DUPLICATE_SHARE:
                sink.write(line)  # the very same line twice, as upstream files have
            recent.append(record)
            if plant and index == _PLANT_AFTER:
                sink.write_bytes(truncated(line))
            if (index + 1) % DUPLICATE_EVERY == 0:
                # A repeated ASIN whose later row differs a little: "last row wins" matters.
                again = dict(rng.choice(recent))
                root = text.CATEGORIES[category].root
                again["rank"] = f">#{rng.randint(1, 3_000_000):,} in {root} (See Top 100 in {root})"
                sink.write(dumps(again))
    return relative, sink.rows


# ---------------------------------------------------------------------------------------------
# Reviews

_NAMES = ("Jane", "Mark T.", "Priya", "Luis R.", "Chen", "Fatima", "Tom", "Olga K.", "Sam", "Amazon Customer")


@dataclass
class _ReviewText:
    """The text-level decisions of one review, with the recent texts (and their ratings) used for
    duplicates."""

    recent: deque[tuple[str, int]]

    def make(self, rng: random.Random, item: text.Product, stars: int) -> tuple[str, int]:
        """A review text and the rating it goes with: a copy keeps the rating of the review it copies,
        so the text's tone always matches its stars."""
        roll = rng.random()
        if roll < 0.02 and self.recent:  # copy-pasted review
            return rng.choice(self.recent)
        if roll < 0.03 and self.recent:  # edited copy
            copied, rating = rng.choice(self.recent)
            return text.near_duplicate(rng, copied), rating
        if roll < 0.045:
            return text.foreign_text(rng, stars, rng.randint(1, 3)), stars
        body = text.review_text(rng, item, stars, text.review_length(rng))
        if roll < 0.06:
            body = text.garble(rng, body)
        self.recent.append((body, stars))
        return body, stars


def _vote(rng: random.Random) -> str:
    """Helpful votes as upstream writes them: a string, with thousands separators ("1,234")."""
    votes = rng.randint(1_000, 25_000) if rng.random() < 0.03 else power_law_int(rng, 6, 1.3, 999)
    return f"{votes:,}"


def review_record(
    rng: random.Random, writer: _ReviewText, item: text.Product, own: str, reviewer: str
) -> dict:
    """One 2018 review record; optional keys are left out the way upstream leaves them out."""
    stars = _stars(rng)
    day = _random_day(rng)
    date = dt.date.fromordinal(day)
    record: dict[str, Any] = {
        "overall": float(stars),
        "verified": rng.random() < 0.85,
        "reviewTime": f"{date.month:02d} {date.day}, {date.year}",
        "reviewerID": reviewer,
        "asin": own,
    }
    if rng.random() < 0.3:
        record["style"] = {"Color:": f" {item.color}"} | (
            {"Size:": f" {item.size}"} if rng.random() < 0.5 else {}
        )
    if rng.random() < 0.9:
        record["reviewerName"] = rng.choice(_NAMES)
    body, stars = writer.make(rng, item, stars)
    record["overall"] = float(stars)  # a copied text brings its rating
    if rng.random() < 0.995:
        record["reviewText"] = body
    if rng.random() < 0.997:
        record["summary"] = text.review_summary(rng, item, stars)
    record["unixReviewTime"] = _day_to_unix(day)
    if rng.random() < 0.2:
        record["vote"] = _vote(rng)
    if rng.random() < 0.03:
        record["image"] = _images(rng, 1, "_SY88")
    return record


def write_reviews(
    out_dir: Path, profile: Profile, seed: int, progress: bool, category: str
) -> tuple[str, int]:
    """Reviews grouped by product, as upstream files are; popular products get long runs."""
    relative = f"amazon2018/{category}.json.gz"
    total = profile.count(REAL_REVIEWS, DEMO_REVIEWS)
    catalog = unique_products(profile, category)
    # Upstream averages ~27 reviews per product; small files spread thinner so splits have products.
    per_product = min(27.0, max(3.0, total / 100))
    rng = rng_for(seed, relative)
    writer = _ReviewText(recent=deque(maxlen=200))
    plant = PLANTED_BAD_LINES.get(relative, 0)
    reviewer_space = max(total, 1000)
    index = 0
    planted = False
    with record_sink(out_dir, relative, total + plant, progress) as sink:
        while sink.rows < total + plant:
            item = text.product(category, index % catalog, seed)
            own = catalog_asin(category, index % catalog, seed)
            sibling = catalog_asin(category, (index + 1) % catalog, seed)
            shared = fraction_for(seed, "shared-reviews", category, index % catalog) < SHARED_REVIEW_SHARE
            for _ in range(min(power_law_int(rng, per_product, 1.4, 5000), total + plant - sink.rows)):
                reviewer = make_user_id(catalog_namespace(category), rng.randrange(reviewer_space), seed)
                record = review_record(rng, writer, item, own, reviewer)
                line = dumps(record)
                sink.write(line)
                if plant and not planted and sink.rows >= _PLANT_AFTER:
                    sink.write_bytes(truncated(line))
                    sink.write_bytes(binary_junk(rng))
                    planted = True
                if shared and sink.rows < total + plant:
                    sink.write(dumps({**record, "asin": sibling}))
            index += 1
    return relative, sink.rows


def write_five_core(out_dir: Path, category: str, progress: bool) -> tuple[str, int]:
    """`{Cat}_5.json.gz`: the reviews of the category's file whose item has FIVE_CORE_MIN or more
    (the item half of upstream's 5-core rule), same lines and order, planted bad lines left out.
    The reviews file is streamed twice (count, then copy), so memory stays flat at any scale."""
    relative = f"amazon2018/{category}_5.json.gz"
    source = out_dir / f"amazon2018/{category}.json.gz"
    counts = Counter(item for item, _ in _review_lines(source))
    with record_sink(out_dir, relative, None, progress) as sink:
        for item, line in _review_lines(source):
            if counts[item] >= FIVE_CORE_MIN:
                sink.write(line)
    return relative, sink.rows


def _review_lines(path: Path) -> Iterator[tuple[str, str]]:
    """(asin, line) of each review line that parses (the planted bad lines do not)."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as lines:
        for line in lines:
            try:
                yield json.loads(line)["asin"], line.rstrip("\n")
            except (ValueError, KeyError):
                continue


# ---------------------------------------------------------------------------------------------
# Ratings


@dataclass(frozen=True)
class Graph:
    """One block of the user-item graph a ratings file samples, and how skewed its activity is."""

    rows: int
    items: int
    users: int
    user_offset: int  # first user index of this block, so blocks never share users
    user_skew: float  # user rank = users * u**user_skew: larger means a heavier head of active users
    item_alpha: float  # Pareto shape of item popularity: smaller means a heavier tail


def ratings_graphs(profile: Profile, category: str) -> tuple[Graph, Graph]:
    """The dense core (~80 users x 6-15 items over ~120 items, the demo) and the realistic tail.

    The core survives 5-core filtering at any scale, so sequential recommendation always has users;
    the tail follows upstream's shape (~2.2 ratings per user, ~27 per item, long tails on both), of
    which 5-core filtering keeps only a part, as it does upstream. The demo has no tail.
    """
    core = Graph(rows=CORE_RATINGS, items=CORE_ITEMS, users=80, user_offset=0, user_skew=1.25, item_alpha=2.5)
    if profile.is_demo:
        return core, Graph(rows=0, items=0, users=0, user_offset=80, user_skew=1.0, item_alpha=2.0)
    rows = round(REAL_RATINGS[category] * (profile.scale or 0))
    items = round(unique_products(profile, category) * 0.96)
    tail = Graph(
        rows=rows,
        items=items,
        users=max(1, round(rows / 2.2)),
        user_offset=80,
        user_skew=TAIL_USER_SKEW,
        item_alpha=TAIL_ITEM_ALPHA,
    )
    return core, tail


def write_ratings(
    out_dir: Path, profile: Profile, seed: int, progress: bool, category: str
) -> tuple[str, int]:
    """`item,user,rating,timestamp` rows, no header, grouped by item like upstream."""
    relative = f"amazon2018/{category}.csv"
    core, tail = ratings_graphs(profile, category)
    rng = rng_for(seed, relative)
    namespace = 100 + catalog_namespace(category)
    plant = PLANTED_BAD_LINES.get(relative, 0)
    catalog = unique_products(profile, category)
    items = max(core.items, tail.items)
    orphans = max(1, items // 20)  # items without meta, spread through the file
    left = [core.rows, tail.rows]  # rows each block still has to write
    meta_index = orphan_index = 0
    with record_sink(out_dir, relative, core.rows + tail.rows + plant, progress) as sink:
        for position in range(items + orphans):
            if position % 21 == 20 and orphan_index < orphans:
                own = catalog_asin(category, catalog + orphan_index, seed)
                orphan_index += 1
            else:
                own = catalog_asin(category, meta_index, seed)
                meta_index += 1
            for block, graph in enumerate((core, tail)):
                remaining_items = graph.items + graph.items // 20 - position
                if left[block] <= 0 or remaining_items <= 0:
                    continue
                mean = left[block] / remaining_items  # self-correcting: the block total lands near its rows
                cap = min(graph.users // 2, MAX_ITEM_RATINGS)
                count = min(power_law_int(rng, mean, graph.item_alpha, cap), left[block])
                left[block] -= count
                for user in _distinct_users(rng, graph, count):
                    fields = [own, make_user_id(namespace, user, seed), f"{_stars(rng)}.0"]
                    sink.write(",".join([*fields, str(_day_to_unix(_random_day(rng)))]))
                    if plant and sink.rows == _PLANT_AFTER:
                        sink.write(",".join(fields))  # the timestamp is missing: three fields
    return relative, sink.rows


def _distinct_users(rng: random.Random, graph: Graph, count: int) -> list[int]:
    """`count` different users for one item, active users drawn far more often (power law)."""
    chosen: dict[int, None] = {}  # insertion-ordered set: the output order must be reproducible
    while len(chosen) < count:
        chosen[graph.user_offset + int(graph.users * rng.random() ** graph.user_skew)] = None
    return list(chosen)


def write(out_dir: Path, profile: Profile, seed: int, progress: bool) -> dict[str, int]:
    """Write every Amazon-2018 file; returns rows per relative path."""
    written: dict[str, int] = {}
    for category in CATEGORIES:
        for writer in (write_meta, write_reviews, write_ratings):
            relative, rows = writer(out_dir, profile, seed, progress, category)
            written[relative] = rows
        if category in FIVE_CORE_CATEGORIES:
            relative, rows = write_five_core(out_dir, category, progress)
            written[relative] = rows
    return written
