"""Leipzig Amazon-GoogleProducts: `Amazon.csv`, `GoogleProducts.csv` and the (misspelled) mapping file.

Software products, lower-case as upstream. Strings are quoted and numbers are not; descriptions
hold commas, quotes and line breaks; rows that contain accented characters are written as latin-1
bytes (so the files are not clean UTF-8, like the originals). Google names a matched product its own
way, sometimes prices it in pounds ("12.99 gbp"), and repeats a few records exactly. The benchmark
is small (1,363 / 3,226 / 1,300 rows), so it is built in memory and never grows beyond its real size.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from .common import Profile, asin, csv_line, record_sink, rng_for

AMAZON = "amazon_google/Amazon.csv"
GOOGLE = "amazon_google/GoogleProducts.csv"
MAPPING = "amazon_google/Amzon_GoogleProducts_perfectMapping.csv"  # upstream's spelling
REAL = {AMAZON: 1363, GOOGLE: 3226, MAPPING: 1300}
DEMO = {AMAZON: 200, GOOGLE: 300, MAPPING: 150}
# Gold pairs whose Google record repeats another gold pair's under a new id, so that the pair reads
# exactly like that one: the PM notebook's de-duplication on the shown fields keeps 1,264 of the
# 1,300 (2,528 examples with as many negatives, split 2,022 / 253 / 253). Scaled profiles only, in
# proportion; the demo profile has none (the bundled samples predate them).
REAL_REPEATED_PAIRS = 36

PLANTED_BAD_LINES = {AMAZON: 1}  # a row with six fields instead of five
_PLANT_AFTER = 17
_GOOGLE_ID = "http://www.google.com/base/feeds/snippets/"

MAKERS = (
    "novasoft", "quillworks", "brightbyte", "datavine", "pixelharbor", "tallysoft", "cloudmere",
    "learnsmith", "kidmosaic", "vectorlane", "shieldpoint", "tunecraft",
)  # fmt: skip
LINES = (
    "photo studio", "video editor", "home accounting", "tax planner", "antivirus plus", "security suite",
    "spanish tutor", "typing coach", "office suite", "pdf converter", "backup manager", "music maker",
    "greeting card creator", "landscape designer", "math adventure", "web page builder", "font collection",
)  # fmt: skip
EDITIONS = ("deluxe", "standard", "professional", "home edition", "premium", "")
VERSIONS = ("2007", "2008", "8.0", "v5", "3", "2.5", "11")
PLATFORMS = ("win/mac", "pc", "mac", "dvd-rom", "cd-rom", "upgrade", "3-user")
SENTENCES = (
    "create professional looking projects in minutes, even if you have never used {line} software before",
    "includes step-by-step tutorials, ready-made templates and free online updates",
    "works with your existing files, so you can pick up right where you left off",
    "the new version is faster, easier to use and adds dozens of requested features",
    'rated "excellent" by families, students and small business owners',
    "system requirements: 512 mb ram, 1 gb free disk space, cd or dvd drive",
)


@dataclass(frozen=True)
class Software:
    maker: str
    line: str
    edition: str
    version: str
    platform: str
    accented: bool  # carries latin-1-only characters (written as latin-1 bytes)

    def amazon_title(self) -> str:
        maker = f"{self.maker}\u00ae" if self.accented else self.maker
        return " ".join(p for p in (maker, self.line, self.version, self.edition, f"({self.platform})") if p)

    def google_name(self, rng: random.Random) -> str:
        """The same product as a Google Base seller names it: other order, fewer or other words."""
        style = rng.randrange(3)
        if style == 0:
            return " ".join(p for p in (self.maker, self.line, self.edition, self.version) if p)
        if style == 1:
            return " ".join(p for p in (self.line, self.version, self.platform) if p)
        return f"{self.maker} {self.line} {self.version} {self.platform} software"


def software(rng: random.Random) -> Software:
    return Software(
        maker=rng.choice(MAKERS),
        line=rng.choice(LINES),
        edition=rng.choice(EDITIONS),
        version=rng.choice(VERSIONS),
        platform=rng.choice(PLATFORMS),
        accented=rng.random() < 0.03,
    )


def description(rng: random.Random, item: Software) -> str:
    if rng.random() < 0.25:
        return ""
    parts = [s.format(line=item.line) for s in rng.sample(SENTENCES, rng.randint(1, 4))]
    text = ", ".join(parts) if rng.random() < 0.7 else "\n".join(parts)  # line breaks inside quotes
    return text + (" r\u00e9sum\u00e9 templates included." if item.accented else "")


def _encode(fields: list[object]) -> bytes:
    line = csv_line(fields, quoting=csv.QUOTE_NONNUMERIC)
    return line.encode("latin-1" if not line.isascii() else "ascii")


def write(out_dir: Path, profile: Profile, seed: int, progress: bool) -> dict[str, int]:
    """Write the three CSVs; matched Google records are variants of Amazon products."""
    sizes = {name: profile.count(REAL[name], DEMO[name], cap_at_real=True) for name in REAL}
    repeated = 0 if profile.is_demo else round(sizes[MAPPING] * REAL_REPEATED_PAIRS / REAL[MAPPING])
    rng = rng_for(seed, "amazon_google")
    amazon = [(asin(700, i, seed).lower(), software(rng)) for i in range(sizes[AMAZON])]
    mapping: list[tuple[str, str]] = []
    google: list[list[object]] = []
    for amazon_id, item in amazon:
        # A few Amazon products match two Google records; the rest of the mapping is one-to-one.
        for _ in range(2 if rng.random() < 0.05 else 1):
            if len(mapping) < sizes[MAPPING] - repeated:
                google_id = _GOOGLE_ID + str(rng.randrange(10**16, 10**20))
                mapping.append((amazon_id, google_id))
                google.append(
                    [google_id, item.google_name(rng), description(rng, item), *_google_tail(rng, item)]
                )
    _repeat_pairs(rng_for(seed, "amazon_google:repeats"), mapping, google, repeated)
    while len(google) < sizes[GOOGLE]:
        if google and rng.random() < 0.02:
            google.append(list(rng.choice(google)))  # an exact duplicate record
            continue
        item = software(rng)
        google_id = _GOOGLE_ID + str(rng.randrange(10**16, 10**20))
        google.append([google_id, item.google_name(rng), description(rng, item), *_google_tail(rng, item)])
    rng.shuffle(google)

    with record_sink(out_dir, AMAZON, len(amazon), progress, header=_header("title")) as sink:
        for n, (amazon_id, item) in enumerate(amazon):
            price = 0 if rng.random() < 0.05 else round(rng.uniform(9, 400), 2)
            maker = item.maker if rng.random() < 0.8 else ""
            sink.write_bytes(_encode([amazon_id, item.amazon_title(), description(rng, item), maker, price]))
            if n == _PLANT_AFTER:
                sink.write_bytes(_encode([amazon_id, item.amazon_title(), "", maker, price, "extra"]))
    amazon_rows = sink.rows
    with record_sink(out_dir, GOOGLE, len(google), progress, header=_header("name")) as sink:
        for fields in google:
            sink.write_bytes(_encode(fields))
    google_rows = sink.rows
    with record_sink(out_dir, MAPPING, len(mapping), progress, header='"idAmazon","idGoogleBase"') as sink:
        for pair in mapping:
            sink.write(csv_line(pair, quoting=csv.QUOTE_ALL))
    return {AMAZON: amazon_rows, GOOGLE: google_rows, MAPPING: sink.rows}


def _repeat_pairs(
    rng: random.Random, mapping: list[tuple[str, str]], google: list[list[object]], count: int
) -> None:
    """Add `count` gold pairs, each repeating a different gold pair's Google record under a new id
    (the mapped records come first in `google`, in mapping order)."""
    for index in sorted(rng.sample(range(len(mapping)), count)):
        google_id = _GOOGLE_ID + str(rng.randrange(10**16, 10**20))
        mapping.append((mapping[index][0], google_id))
        google.append([google_id, *google[index][1:]])


def _header(name_column: str) -> str:
    return csv_line(["id", name_column, "description", "manufacturer", "price"], quoting=csv.QUOTE_ALL)


def _google_tail(rng: random.Random, item: Software) -> list[object]:
    """Google's manufacturer (often empty) and price (a number, "NN.NN gbp", or empty)."""
    manufacturer = item.maker if rng.random() < 0.5 else ""
    roll = rng.random()
    price: object = round(rng.uniform(9, 400), 2)
    if roll < 0.1:
        price = f"{rng.uniform(5, 200):.2f} gbp"
    elif roll < 0.3:
        price = ""
    return [manufacturer, price]
