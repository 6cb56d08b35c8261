"""MAVE, flattened: `mave/mave_positives.jsonl` and `mave/mave_negatives.jsonl`, one attribute per line.

Each product gets paragraphs (title, description, feature bullets, brand, sometimes price) built so
that the value of every positive attribute appears in one or more of them; the evidences carry the
exact `begin`/`end` character offsets (end exclusive) of each occurrence. Negative lines name an
attribute of the product's category whose values appear nowhere in its text, with `evidences: []`.
A product with several labelled attributes is written once per attribute, as the split files are.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from . import text
from .common import Profile, asin, dumps, record_sink, rng_for, truncated

REAL_POSITIVE_LINES = 2_987_151  # product-attribute pairs over 2,226,509 products
REAL_NEGATIVE_LINES = 1_780_428  # over 1,248,009 products
DEMO_POSITIVE_LINES = 400
DEMO_NEGATIVE_LINES = 150
POSITIVE_SHARE = 0.62  # chance an attribute of the category is stated in the text
NEGATIVE_SHARE = 0.6  # chance an unstated attribute is labelled as a negative

POSITIVES = "mave/mave_positives.jsonl"
NEGATIVES = "mave/mave_negatives.jsonl"
PLANTED_BAD_LINES = {POSITIVES: 1}  # a truncated JSON line
_PLANT_AFTER = 11
_NAMESPACE = 400

# Leaf category -> (product noun, {attribute key: values}). Values never overlap within a category,
# so a negative attribute can be checked to be absent from the text.
LEAVES: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "Hiking Backpacks": (
        "Backpack",
        {
            "Material": ("Nylon", "Polyester", "Canvas"),
            "Capacity": ("20 Liters", "35 Liters", "50 Liters"),
            "Closure Type": ("Zipper", "Drawstring", "Roll Top"),
        },
    ),
    "Headphones": (
        "Headphones",
        {
            "Connectivity": ("Bluetooth", "Wired", "2.4 GHz Wireless"),
            "Color": ("Black", "White", "Navy"),
        },
    ),
    "Insulated Water Bottles": (
        "Water Bottle",
        {
            "Capacity": ("18 oz", "32 oz", "40 oz"),
            "Material": ("Stainless Steel", "Tritan", "Glass"),
            "Lid Type": ("Straw Lid", "Flip Lid", "Screw Cap"),
        },
    ),
    "Desk Lamps": (
        "Desk Lamp",
        {
            "Light Source": ("LED", "Halogen", "Incandescent"),
            "Power Source": ("USB Powered", "Battery Powered", "Corded Electric"),
            "Finish": ("Brushed Nickel", "Matte Black", "Brass"),
        },
    ),
    "Chef Knives": (
        "Chef Knife",
        {
            "Blade Material": ("High Carbon Steel", "Damascus Steel", "Ceramic"),
            "Handle Material": ("Pakkawood", "G10", "Walnut"),
            "Blade Length": ("6 Inch", "8 Inch", "10 Inch"),
        },
    ),
    "Yoga Mats": (
        "Yoga Mat",
        {
            "Thickness": ("4 mm", "6 mm", "8 mm"),
            "Material": ("TPE", "Natural Rubber", "PVC"),
            "Pattern": ("Mandala", "Solid", "Ombre"),
        },
    ),
    "Cordless Drills": (
        "Drill",
        {
            "Voltage": ("12V", "18V", "20V"),
            "Chuck Size": ("3/8 Inch", "1/2 Inch"),
            "Power Source": ("Battery Powered", "Corded Electric"),
        },
    ),
    "Phone Cases": (
        "Phone Case",
        {
            "Material": ("Silicone", "TPU", "Leather"),
            "Pattern": ("Marble", "Floral", "Plain"),
            "Color": ("Clear", "Pink", "Black"),
        },
    ),
    "Running Shoes": (
        "Running Shoes",
        {
            "Shoe Width": ("Wide", "Narrow", "Regular Width"),
            "Sole Material": ("Rubber", "EVA Foam"),
            "Closure Type": ("Lace-Up", "Slip-On"),
        },
    ),
    "Rain Jackets": (
        "Rain Jacket",
        {
            "Hood Type": ("Detachable Hood", "Packable Hood", "Fixed Hood"),
            "Sleeve Length": ("Long Sleeve", "Short Sleeve"),
            "Material": ("Polyester", "Nylon"),
        },
    ),
    "Throw Pillows": (
        "Throw Pillow",
        {
            "Fill Material": ("Down Alternative", "Memory Foam", "Polyester Fiber"),
            "Pillow Shape": ("Square", "Lumbar", "Round"),
            "Color": ("Gray", "Mustard", "Teal"),
        },
    ),
    "Camping Tents": (
        "Tent",
        {
            "Capacity": ("2 Person", "4 Person", "6 Person"),
            "Season Rating": ("3-Season", "4-Season"),
            "Frame Material": ("Fiberglass", "Aluminum"),
        },
    ),
    "Cutting Boards": (
        "Cutting Board",
        {
            "Wood Type": ("Acacia", "Maple", "Teak"),
            "Finish": ("Oiled", "Unfinished"),
        },
    ),
}

DESCRIPTION_WITH_VALUE = (
    "This {noun} uses {value} so it keeps up with everyday life.",
    "We chose {value} for this {noun} after testing many options.",
    "Thanks to the {value} design, the {noun} is easy to live with.",
)
DESCRIPTION_PLAIN = (
    "It is a dependable {noun} for home, work and travel.",
    "Every {noun} is inspected before it ships.",
    "Simple to use and easy to care for.",
)
FEATURE_WITH_VALUE = (
    "{key}: {value}",
    "{value} for lasting comfort and use",
    "Built with {value} for daily use",
)
FEATURE_PLAIN = (
    "Backed by a one year warranty",
    "Lightweight and easy to carry",
    "Ships in recyclable packaging",
)


def _occurrences(value: str, paragraphs: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every whole-word occurrence of `value` in the paragraphs, as MAVE evidences."""
    pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)")
    return [
        {"value": value, "pid": pid, "begin": match.start(), "end": match.end()}
        for pid, paragraph in enumerate(paragraphs)
        for match in pattern.finditer(paragraph["text"])
    ]


def _mentions(values: tuple[str, ...], paragraphs: list[dict[str, str]]) -> bool:
    joined = "\n".join(p["text"] for p in paragraphs).lower()
    return any(re.search(rf"(?<!\w){re.escape(v.lower())}(?!\w)", joined) for v in values)


def product(rng: random.Random, index: int, seed: int) -> dict[str, Any]:
    """One product: leaf category, paragraphs, and its positive and negative attribute lines."""
    leaf = rng.choice(sorted(LEAVES))
    noun, attributes = LEAVES[leaf]
    stated = {key: rng.choice(values) for key, values in attributes.items() if rng.random() < POSITIVE_SHARE}
    if not stated and rng.random() < 0.5:
        key = rng.choice(sorted(attributes))
        stated[key] = rng.choice(attributes[key])
    brand = rng.choice(text.BRANDS)
    in_title = [value for value in stated.values() if rng.random() < 0.5]
    title = " ".join([brand, *in_title, noun])
    description = [rng.choice(DESCRIPTION_PLAIN).format(noun=noun.lower())]
    features = [rng.choice(FEATURE_PLAIN)]
    for key, value in stated.items():
        # Every stated value lands somewhere; some land in two places (several evidences).
        if value not in in_title or rng.random() < 0.3:
            if rng.random() < 0.5:
                description.append(rng.choice(DESCRIPTION_WITH_VALUE).format(noun=noun.lower(), value=value))
            else:
                features.append(rng.choice(FEATURE_WITH_VALUE).format(key=key, value=value))
    rng.shuffle(features)
    paragraphs = [
        {"text": title, "source": "title"},
        {"text": " ".join(description), "source": "description"},
    ]
    paragraphs += [{"text": feature, "source": "feature"} for feature in features]
    paragraphs.append({"text": brand, "source": "brand"})
    if rng.random() < 0.3:
        paragraphs.append({"text": text.price_text(rng.uniform(8, 120)), "source": "price"})
    negatives = [
        key
        for key, values in attributes.items()
        if key not in stated and rng.random() < NEGATIVE_SHARE and not _mentions(values, paragraphs)
    ]
    base = {"id": asin(_NAMESPACE, index, seed), "category": leaf, "paragraphs": paragraphs}
    return {
        "positives": [
            {**base, "attributes": [{"key": key, "evidences": _occurrences(value, paragraphs)}]}
            for key, value in stated.items()
        ],
        "negatives": [{**base, "attributes": [{"key": key, "evidences": []}]} for key in negatives],
    }


def write(out_dir: Path, profile: Profile, seed: int, progress: bool) -> dict[str, int]:
    """Write both MAVE files side by side, product by product, until each reaches its size."""
    positives = profile.count(REAL_POSITIVE_LINES, DEMO_POSITIVE_LINES) + PLANTED_BAD_LINES[POSITIVES]
    negatives = profile.count(REAL_NEGATIVE_LINES, DEMO_NEGATIVE_LINES)
    rng = rng_for(seed, "mave")
    index = 0
    with (
        record_sink(out_dir, POSITIVES, positives, progress) as pos_sink,
        record_sink(out_dir, NEGATIVES, negatives, progress) as neg_sink,
    ):
        while pos_sink.rows < positives or neg_sink.rows < negatives:
            lines = product(rng, index, seed)
            index += 1
            for line in lines["positives"]:
                if pos_sink.rows < positives:
                    pos_sink.write(dumps(line))
                    if pos_sink.rows == _PLANT_AFTER:
                        pos_sink.write_bytes(truncated(dumps(line)))
            for line in lines["negatives"]:
                if neg_sink.rows < negatives:
                    neg_sink.write(dumps(line))
    return {POSITIVES: pos_sink.rows, NEGATIVES: neg_sink.rows}
