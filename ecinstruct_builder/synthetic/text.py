"""Deterministic English-like shop text: product vocabularies, titles, reviews, questions, queries.

Every phrase here was written for this generator (no upstream text). The sentences are ordinary
English with plenty of function words so that `langdetect` classifies them as English; a small,
separate pool of Spanish, German, French and Japanese phrases provides the non-English share.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from functools import cache

from .common import rng_for

BRANDS = (
    "Altoria",
    "Brightfield",
    "Corvane",
    "Dunmore",
    "Everpeak",
    "Fenwick & Rowe",
    "Glimmerline",
    "Harbor Oak",
    "Ironvale",
    "Juniper Lane",
    "Kestrelco",
    "Lumacore",
    "Maplecrest",
    "Northwind Gear",
    "Orbiton",
    "Pinegrove",
    "Quillon",
    "Redstone Works",
    "Silvermoor",
    "Trailhaven",
    "Umbrelo",
    "Vantero",
    "Westbrook Home",
    "Yarrowby",
    "Zentrik",
    "Copperleaf",
    "Bluefern",
    "Stonebridge",
)
COLORS = (
    "Black",
    "White",
    "Navy Blue",
    "Charcoal",
    "Silver",
    "Red",
    "Forest Green",
    "Rose Gold",
    "Gray",
    "Teal",
    "Sand",
    "Burgundy",
)
MATERIALS = ("Aluminum", "Stainless Steel", "Bamboo", "Silicone", "Nylon", "ABS Plastic", "Oak", "Canvas")
PRODUCT_ADJECTIVES = (
    "Compact",
    "Heavy-Duty",
    "Lightweight",
    "Adjustable",
    "Foldable",
    "Waterproof",
    "Rechargeable",
    "Ergonomic",
    "Portable",
    "Premium",
    "Slim",
    "Universal",
)
PEOPLE = ("husband", "wife", "son", "daughter", "roommate", "dad", "mom", "neighbor", "coworker")
DURATIONS = ("two weeks", "a month", "three months", "six months", "a year", "a few days", "two years")


@dataclass(frozen=True)
class CategoryVocab:
    """Words for one product category: breadcrumb names, product nouns and the contexts they live in."""

    root: str  # first breadcrumb level, as the storefront writes it
    main_cat: str  # the `main_cat` display string
    subcategories: tuple[str, ...]
    nouns: tuple[str, ...]
    parts: tuple[str, ...]
    uses: tuple[str, ...]
    compat: tuple[str, ...]  # things a shopper asks whether the product works with
    sizes: tuple[str, ...]


CATEGORIES: dict[str, CategoryVocab] = {
    "Electronics": CategoryVocab(
        root="Electronics",
        main_cat="All Electronics",
        subcategories=("Headphones", "Computer Accessories", "Portable Audio", "Camera & Photo", "Cables"),
        nouns=(
            "wireless headset",
            "bluetooth speaker",
            "wall charger",
            "HDMI cable",
            "wireless mouse",
            "mechanical keyboard",
            "webcam",
            "power bank",
            "soundbar",
            "laptop stand",
            "memory card",
            "surge protector",
            "tablet stand",
            "car charger",
            "desk microphone",
        ),
        parts=("battery", "charging cable", "power button", "carrying case", "volume knob", "connector"),
        uses=("my home office", "long flights", "gaming at night", "video calls", "the living room"),
        compat=("my older laptop", "a USB-C tablet", "a standard tripod", "my smart TV"),
        sizes=("6 ft", "10 ft", '13"', '15.6"', "2 Pack", "64GB"),
    ),
    "Home_and_Kitchen": CategoryVocab(
        root="Home & Kitchen",
        main_cat="Amazon Home",
        subcategories=("Kitchen & Dining", "Bedding", "Storage & Organization", "Home Decor", "Bath"),
        nouns=(
            "nonstick skillet",
            "chef knife",
            "cutting board",
            "coffee grinder",
            "storage bin",
            "throw pillow",
            "bath towel set",
            "spice rack",
            "mixing bowl set",
            "table lamp",
            "blender",
            "cast iron pan",
            "dish rack",
            "shower curtain",
            "food container set",
        ),
        parts=("handle", "lid", "blade", "base", "cord", "non-slip feet"),
        uses=(
            "weeknight dinners",
            "our guest room",
            "meal prep",
            "baking with the kids",
            "a small apartment",
        ),
        compat=("an induction cooktop", "a standard dishwasher", "a queen size bed", "my kitchen drawer"),
        sizes=('10"', '12"', "Set of 4", "Queen", "2 Quart", "Large"),
    ),
    "Sports_and_Outdoors": CategoryVocab(
        root="Sports & Outdoors",
        main_cat="Sports & Outdoors",
        subcategories=("Camping & Hiking", "Exercise & Fitness", "Cycling", "Water Sports", "Team Sports"),
        nouns=(
            "yoga mat",
            "water bottle",
            "hiking backpack",
            "camping tent",
            "resistance band set",
            "bike helmet",
            "trekking pole",
            "sleeping bag",
            "jump rope",
            "foam roller",
            "camp chair",
            "dumbbell set",
            "headlamp",
            "cooler bag",
            "bike light",
        ),
        parts=("strap", "zipper", "buckle", "grip", "frame", "carry bag"),
        uses=("weekend hikes", "morning runs", "camping trips", "home workouts", "the gym"),
        compat=("a road bike", "a standard backpack", "a car roof rack", "a two person tent"),
        sizes=("Medium", "Large", "32 oz", "40L", "2 Person", "6 mm"),
    ),
    "Tools_and_Home_Improvement": CategoryVocab(
        root="Tools & Home Improvement",
        main_cat="Tools & Home Improvement",
        subcategories=("Power Tools", "Hand Tools", "Lighting & Ceiling Fans", "Hardware", "Electrical"),
        nouns=(
            "cordless drill",
            "socket set",
            "tape measure",
            "stud finder",
            "LED work light",
            "utility knife",
            "wrench set",
            "circular saw",
            "screwdriver set",
            "extension cord",
            "smart light switch",
            "ceiling fan",
            "tool bag",
            "wall anchor kit",
            "impact driver",
        ),
        parts=("battery pack", "chuck", "trigger", "clip", "blade guard", "charger"),
        uses=("small repairs", "building shelves", "my garage workshop", "weekend projects", "the attic"),
        compat=("standard drill bits", "a two gang wall box", "20V batteries", "metric bolts"),
        sizes=("20V", "1/2 inch", "25 ft", "40 Piece", "4 Pack", '7-1/4"'),
    ),
    "Cell_Phones_and_Accessories": CategoryVocab(
        root="Cell Phones & Accessories",
        main_cat="Cell Phones & Accessories",
        subcategories=(
            "Cases, Holsters & Sleeves",
            "Chargers & Power Adapters",
            "Screen Protectors",
            "Mounts",
        ),
        nouns=(
            "phone case",
            "screen protector",
            "car phone mount",
            "charging cable",
            "wireless charger",
            "phone stand",
            "selfie stick",
            "pop grip",
            "wallet case",
            "fast charger",
        ),
        parts=("camera cutout", "charging port", "magnet", "clip", "cable", "button covers"),
        uses=("driving to work", "watching videos in bed", "my daily commute", "running errands"),
        compat=("my older phone", "a thick case", "wireless charging pads", "a car air vent"),
        sizes=("6.1 inch", "3 Pack", "6 ft", "2 Pack", "Slim", "Universal"),
    ),
}

# ---------------------------------------------------------------------------------------------
# Products


@dataclass(frozen=True)
class Product:
    """The identity of one synthetic product; the same (category, index) always gives the same one."""

    category: str
    brand: str
    noun: str
    adjective: str
    material: str
    color: str
    size: str
    subcategory: str
    part: str
    price: float
    layout: int  # which title shape this product uses
    model: str  # a model number: reviews and questions name it, which keeps their texts apart

    def title(self) -> str:
        noun = self.noun.title().replace("Hdmi", "HDMI").replace("Led", "LED").replace("Usb", "USB")
        if self.layout == 0:
            return f"{self.brand} {self.adjective} {noun} with {self.part.title()}, {self.color}"
        if self.layout == 1:
            return f"{self.brand} {noun} - {self.adjective} {self.material} Design ({self.size})"
        return f"{self.adjective} {noun} by {self.brand}, {self.size}, {self.color}"


def product(category: str, index: int, seed: int, namespace: str = "catalog") -> Product:
    """The product at `index` of a category's catalog, drawn from its own seeded stream."""
    vocab = CATEGORIES[category]
    rng = rng_for(seed, namespace, category, index)
    return Product(
        category=category,
        brand=rng.choice(BRANDS),
        noun=rng.choice(vocab.nouns),
        adjective=rng.choice(PRODUCT_ADJECTIVES),
        material=rng.choice(MATERIALS),
        color=rng.choice(COLORS),
        size=rng.choice(vocab.sizes),
        subcategory=rng.choice(vocab.subcategories),
        part=rng.choice(vocab.parts),
        price=round(rng.lognormvariate(3.0, 0.8)) + 0.99,  # shelf prices end in .99
        layout=rng.randrange(3),
        model="".join(rng.choices(string.ascii_uppercase, k=2)) + f"-{rng.randint(100, 9999)}",
    )


def price_text(value: float) -> str:
    return f"${max(value, 0.99):,.2f}"


FEATURES = (
    "Durable {material} construction that holds up to daily use",
    "Compact design that fits easily in a drawer, bag or glove box",
    "Backed by a {n}-year limited warranty and friendly customer support",
    "Easy to set up in minutes with no special tools required",
    "The {part} is designed to be comfortable and simple to use",
    "Available in {color} and several other colors to match your style",
    "Tested for safety and built to meet strict quality standards",
    "Perfect for {use} and just as handy around the house",
    "Wipes clean with a damp cloth, so it always looks like new",
)
DESCRIPTIONS = (
    "This {noun} from {brand} is made for people who want something that simply works.",
    "We designed it with a sturdy {part} and a clean {color} finish that looks good anywhere.",
    "Whether you use it for {use} or every day at home, it is ready when you are.",
    "Every unit is checked before it leaves our warehouse.",
    "The package includes the {noun}, a quick start guide and everything you need to get going.",
    "If you are not happy with it, contact us and we will make it right.",
)


@cache
def _slots(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def fill(rng: random.Random, template: str, item: Product) -> str:
    """Fill a sentence template's slots from a product, with seeded choices for the free slots."""
    vocab = CATEGORIES[item.category]
    values: dict[str, object] = {}
    for slot in _slots(template):  # only the slots the template uses: this runs for every sentence
        if slot == "part":
            values[slot] = item.part if rng.random() < 0.6 else rng.choice(vocab.parts)
        elif slot in _PRODUCT_SLOTS:
            values[slot] = _PRODUCT_SLOTS[slot](item)
        elif slot == "n":
            values[slot] = rng.randint(2, 12)
        elif slot in _VOCAB_SLOTS:
            values[slot] = rng.choice(getattr(vocab, _VOCAB_SLOTS[slot]))
        else:
            values[slot] = rng.choice(_FREE_SLOTS[slot])
    return template.format(**values)


_PRODUCT_SLOTS = {
    "noun": lambda item: item.noun,
    "brand": lambda item: item.brand,
    "color": lambda item: item.color.lower(),
    "material": lambda item: item.material.lower(),
    "adj": lambda item: item.adjective.lower(),
    "size": lambda item: item.size,
    "model": lambda item: item.model,
}
_VOCAB_SLOTS = {"use": "uses", "compat": "compat"}
_FREE_SLOTS = {"person": PEOPLE, "time": DURATIONS}


def feature_bullets(rng: random.Random, item: Product, count: int) -> list[str]:
    return [fill(rng, template, item) for template in rng.sample(FEATURES, count)]


def description_text(rng: random.Random, item: Product, sentences: int) -> str:
    return " ".join(fill(rng, template, item) for template in rng.sample(DESCRIPTIONS, sentences))


# ---------------------------------------------------------------------------------------------
# Reviews

POSITIVE = (
    "I bought the {brand} {model} for {use} and it has worked perfectly since day one.",
    "The {part} of the {model} feels solid and well made, much better than I expected at this price.",
    "Setup of the {model} took about {n} minutes and the instructions were easy to follow.",
    "It's lighter than my old one, which makes it easy to carry around the house.",
    "My {person} liked the {model} so much that I ordered a second one as a gift.",
    "After {time} of daily use my {brand} {noun} still looks and works like new.",
    "The {color} finish of the {model} is exactly what the pictures show.",
    "I've recommended this {brand} {noun} to several friends already.",
    "For the money, I don't think you can find a better {noun} right now.",
    "Customer service answered my question within a day, which was a nice surprise.",
    "The build quality is excellent and nothing rattles or feels loose.",
    "It does exactly what it says and it does it well.",
    "We use it every weekend and it has held up great.",
    "I was skeptical at first, but this {noun} won me over quickly.",
    "The {part} is smooth and comfortable to use for a long time.",
)
NEGATIVE = (
    "The {part} of my {model} broke after only {time}, which was really disappointing.",
    "My {model} stopped working after {time} and the seller never replied to my messages.",
    "The {brand} {noun} arrived with a cracked {part} and a missing screw.",
    "It looks nothing like the photos and the {color} color is much duller in person.",
    "The instructions were confusing and I had to watch a video to put it together.",
    "I returned the {model} because the {part} kept coming loose every time I used it.",
    "Save your money and buy a better {noun} than the {model}.",
    "It feels cheap and flimsy, and the plastic has a strong smell.",
    "The {part} of the {model} gets very hot after {n} minutes, which makes me nervous.",
    "The {brand} {noun} worked for a week and then it simply would not turn on anymore.",
    "I wanted to like this {noun}, but it just does not do the job.",
    "The size is much smaller than the listing says.",
)
NEUTRAL = (
    "The {model} does the job, but the {part} feels a little cheap for the price.",
    "Not bad overall, although I expected it to be a bit sturdier.",
    "The {brand} {noun} works fine for {use}, but I would not use it for anything heavy.",
    "The {brand} {noun} is okay, nothing special but nothing terrible either.",
    "Some parts are well designed while others feel like an afterthought.",
    "It took longer to arrive than promised, but it works as described.",
    "I'm still deciding if the {model} was worth the money.",
    "The color is a little different from the picture, but I can live with it.",
)
FILLER = (
    "I ordered it on a Monday and it showed up two days later.",
    "The box was a bit dented but everything inside was fine.",
    "We have a small apartment, so space matters a lot to us.",
    "I have owned a few of these over the years.",
    "My {person} picked this one after reading a lot of reviews.",
    "I will update this review if anything changes.",
    "It came in a plain brown box with a short manual.",
    "I mainly use the {model} for {use}.",
    "I compared the {model} with two other models before buying it.",
    "The {noun} I had before the {model} lasted about {time}.",
)
SHORT_REVIEWS = {
    5: ("Works great, love it.", "Perfect, thank you!", "Exactly as described."),
    4: ("Pretty good overall.", "Nice, does the job."),
    3: ("It's okay I guess.", "Average."),
    2: ("Not very good.", "Meh, expected more."),
    1: ("Broke in a week.", "Junk. Do not buy."),
}
SUMMARIES = {
    5: (
        "Love it",
        "Five Stars",
        "Great {noun}",
        "Exactly what I needed",
        "Works perfectly",
        "Highly recommend",
    ),
    4: ("Very good", "Four Stars", "Solid {noun}", "Good value for the price", "Happy with it"),
    3: ("It's okay", "Three Stars", "Does the job", "Mixed feelings", "Average at best"),
    2: ("Disappointed", "Two Stars", "Not what I expected", "Flimsy {part}"),
    1: ("Broke quickly", "One Star", "Do not buy", "Stopped working", "Waste of money"),
}
# The tone a star rating stands for (SA's five classes pooled in three), for texts written in one tone.
STAR_TONE = {5: "positive", 4: "positive", 3: "neutral", 2: "negative", 1: "negative"}
# Sentence pools by star rating: mostly on-tone sentences, with one off-tone pool for nuance.
_TONE = {
    5: (POSITIVE, POSITIVE),
    4: (POSITIVE, NEUTRAL),
    3: (NEUTRAL, NEGATIVE),
    2: (NEGATIVE, NEUTRAL),
    1: (NEGATIVE, NEGATIVE),
}

# Per language, sentences by the tone of the rating they go with (as STAR_TONE names it).
FOREIGN_REVIEWS = {
    "es": {
        "positive": (
            "Llegó muy rápido y funciona perfectamente, estoy muy contento con la compra.",
            "Es justo lo que buscaba para mi cocina, lo recomiendo.",
            "El material parece resistente y el color es igual que en la foto.",
        ),
        "neutral": (
            "La calidad es buena pero el tamaño es más pequeño de lo que esperaba.",
            "Cumple su función, aunque esperaba un poco más por el precio.",
        ),
        "negative": (
            "No funciona bien, se apagó a los pocos días y tuve que devolverlo.",
            "Se rompió la primera semana y el vendedor nunca respondió.",
        ),
    },
    "de": {
        "positive": (
            "Das Produkt kam schnell an und funktioniert einwandfrei, ich bin sehr zufrieden.",
            "Für den Preis kann man wirklich nicht meckern, klare Kaufempfehlung.",
        ),
        "neutral": (
            "Die Anleitung war schwer zu verstehen, aber am Ende hat alles geklappt.",
            "Es ist kleiner als erwartet, erfüllt aber seinen Zweck.",
        ),
        "negative": (
            "Die Verarbeitung ist leider nicht besonders gut, nach einer Woche war es kaputt.",
            "Ich würde es nicht noch einmal kaufen, das Material wirkt billig.",
        ),
    },
    "fr": {
        "positive": (
            "Le produit est arrivé rapidement et fonctionne très bien, je suis ravi.",
            "Très pratique pour la maison, je le recommande à tout le monde.",
        ),
        "neutral": (
            "La qualité est correcte mais la couleur ne correspond pas à la photo.",
            "Le montage a pris un peu de temps mais le résultat est solide.",
        ),
        "negative": (
            "Il a cessé de fonctionner au bout de deux semaines, très déçu.",
            "Le plastique semble fragile et le produit ne correspond pas à la description.",
        ),
    },
}
FOREIGN_SENTENCES = frozenset(
    s for tones in FOREIGN_REVIEWS.values() for pool in tones.values() for s in pool
)


def review_length(rng: random.Random) -> int:
    """Target words of a review: most 10-80, a long tail into the hundreds, a few under 10."""
    return max(4, round(rng.lognormvariate(3.4, 0.75)))


def review_text(rng: random.Random, item: Product, stars: int, words: int) -> str:
    """An English review of about `words` words whose tone follows the star rating."""
    if words < 10:
        return rng.choice(SHORT_REVIEWS[stars])
    main, other = _TONE[stars]
    sentences: list[str] = []
    count = attempts = 0
    while count < words:
        roll = rng.random()
        pool = main if roll < 0.6 else other if roll < 0.75 else FILLER
        sentence = fill(rng, rng.choice(pool), item)
        attempts += 1
        if sentence in sentences and attempts < 4 * words:  # people rarely repeat a sentence verbatim
            continue
        sentences.append(sentence)
        count += len(sentence.split())
    return " ".join(sentences)


def review_summary(rng: random.Random, item: Product, stars: int) -> str:
    return fill(rng, rng.choice(SUMMARIES[stars]), item).replace(item.noun, item.noun.title())


def foreign_text(rng: random.Random, stars: int, sentences: int = 2) -> str:
    """A short review in Spanish, German or French (one language per text) whose tone fits `stars`."""
    pool = FOREIGN_REVIEWS[rng.choice(sorted(FOREIGN_REVIEWS))][STAR_TONE[stars]]
    return " ".join(rng.sample(pool, min(sentences, len(pool))))


def near_duplicate(rng: random.Random, text: str) -> str:
    """An edited copy of a text: the kind of small change a reposted review carries."""
    edit = rng.randrange(3)
    if edit == 0:
        return text + " Update: still working fine."
    if edit == 1:
        return text.replace(".", "!", 1)
    return text.replace(" the ", " this ", 1) if " the " in text else text.lower()


def garble(rng: random.Random, text: str) -> str:
    """Dirty a clean text the way scraped data is dirty: mojibake, U+FFFD or leftover HTML."""
    kind = rng.randrange(3)
    if kind == 0:  # UTF-8 read as cp1252: apostrophes and no-break spaces turn into junk
        return text.replace("'", "â€™") if "'" in text else text.replace(", ", ",Â ", 1) + " CafÃ© style."
    if kind == 1:  # bytes lost in a bad decode
        return text.replace("'", "\ufffd") if "'" in text else text.replace(" ", " \ufffd", 1)
    if ". " in text:  # markup the scraper did not strip
        return text.replace(". ", ".<br /><br />", 1)
    return f"<p>{text.replace(' and ', ' &amp; ', 1)}</p>"


# ---------------------------------------------------------------------------------------------
# Questions and answers

# Questions name the product (model, brand, size) as shoppers do, so different products rarely share
# a question text; the ~7% of repeated questions come from the AmazonQA writer on purpose.
YESNO_QUESTIONS = (
    "Does the {model} come with a {part}?",
    "Is the {part} on the {model} replaceable if it breaks after {time}?",
    "Will the {model} work with {compat}?",
    "Can I use the {color} {brand} {noun} for {use}?",
    "Would the {size} {model} be a good {noun} for my {person}?",
    "Does the {color} finish on the {model} fade after {time} of use?",
    "Is the {brand} {noun} easy to clean after {use}?",
    "Does the {part} of the {model} feel sturdy enough for {use}?",
    "Can the {part} on the {brand} {model} be adjusted, or is it fixed in place?",
    "Does the {brand} {model} come with a warranty longer than {n} months?",
    "Is the {material} part of the {model} rough on the edges?",
)
DESCRIPTIVE_QUESTIONS = (
    "How long does the {part} of the {model} last before it needs replacing?",
    "What are the exact dimensions of the {size} {model} in inches?",
    "How heavy is the {brand} {noun} compared to the {material} models?",
    "What is the best way to clean the {part} of the {model} after {use}?",
    "How loud is the {model} when you use it for {use}?",
    "What does the {part} attach to on the {brand} {model}?",
    "Why does my {model} make a clicking sound near the {part}?",
    "How well does the {part} of the {model} hold up after {time} of regular use?",
    "What comes in the box with the {color} {model}?",
    "How do you connect the {part} of the {model} to {compat}?",
    "What size {part} fits the {brand} {model}?",
    "How long did shipping take for the {color} {brand} {noun}?",
)
YES_ANSWERS = (
    "Yes, mine came with one in the box.",
    "Yes, I have used it with {compat} without any problems.",
    "Yes it is, and it has been fine for {time} now.",
    "Yes, you can order a new {part} from the seller.",
)
NO_ANSWERS = (
    "No, you have to buy the {part} separately.",
    "No, it is only water resistant, so I would not put it under water.",
    "No, mine only came in {color}.",
    "I do not think so, the manual does not mention it.",
)
DESCRIPTIVE_ANSWERS = (
    "Mine has lasted about {n} months with daily use and it still works well.",
    "It is roughly {n} inches wide, so it fits on a small counter or desk.",
    "I just wipe the {part} with a damp cloth and let it dry before putting it away.",
    "It is quieter than my old one, about as loud as a fan on its lowest setting.",
    "The {part} clips onto the side and it stays in place very well.",
    "After {time} it still works like the day I bought it, no complaints at all.",
    "You get the {noun}, a short manual and a spare {part} in the box.",
    "It is a little heavier than it looks, but that makes it feel solid and stable.",
)


def question_text(rng: random.Random, item: Product, question_type: str) -> str:
    pool = YESNO_QUESTIONS if question_type == "yesno" else DESCRIPTIVE_QUESTIONS
    return fill(rng, rng.choice(pool), item)


def answer_text(rng: random.Random, item: Product, question_type: str) -> tuple[str, str]:
    """An answer and its AmazonQA `answerType` (Y / N / ? for yes-no questions, NA otherwise)."""
    if question_type == "yesno":
        answer_type = rng.choice("YYN?")
        pool = NO_ANSWERS if answer_type == "N" else YES_ANSWERS
        text = fill(rng, rng.choice(pool), item)
        return (text if answer_type != "?" else "I am not sure, sorry. " + text), answer_type
    return fill(rng, rng.choice(DESCRIPTIVE_ANSWERS), item), "NA"


# ---------------------------------------------------------------------------------------------
# Search queries (ESCI)

# Real queries are often a few words that language identification cannot place; the longer natural
# phrasings keep most of the English ones recognisable as English.
QUERY_PATTERNS = {
    "other": (
        "{adj} {noun}",
        "{noun} for {use}",
        "{adj} {noun} with {part} for {use}",
        "{color} {noun} with a {part}",
    ),
    "negations": ("{noun} without {part}", "{noun} that is not {material}"),
    "parse_pattern": ("{brand} {noun} {size}", "{noun} {size} {color}"),
    "behavioral": ("{noun}", "{noun} for my {person}"),
    "nlqec": (
        "{noun} that is {adj} and easy to clean",
        "small {noun} that works with {compat}",
        "gift for my {person} who loves {use}",
    ),
}
FOREIGN_QUERIES = {
    "es": (
        "funda para celular resistente",
        "audífonos inalámbricos con micrófono",
        "sartén antiadherente grande",
        "mochila impermeable para acampar",
        "taladro inalámbrico con batería",
        "botella de agua de acero",
    ),
    "jp": (
        "ワイヤレスイヤホン 防水",
        "フライパン 28cm",
        "ヨガマット 厚手",
        "電動ドリル コードレス",
        "スマホケース 手帳型",
        "水筒 大容量",
    ),
}
FOREIGN_TITLE_WORDS = {
    "es": (
        ("Funda", "Sartén", "Mochila", "Botella", "Lámpara", "Taladro"),
        ("resistente", "ligera", "de acero inoxidable", "impermeable", "recargable"),
        ("color negro", "para uso diario", "con garantía de dos años", "tamaño grande"),
    ),
    "jp": (
        ("イヤホン", "フライパン", "ヨガマット", "ドリル", "スマホケース", "水筒"),
        ("防水", "軽量", "大容量", "コードレス", "耐久性"),
        ("ブラック", "日本語説明書付き", "2年保証", "送料無料"),
    ),
}


def query_text(rng: random.Random, item: Product, source: str) -> str:
    """A lower-case English shopping query for a product, in the style of one ESCI query source."""
    return fill(rng, rng.choice(QUERY_PATTERNS[source]), item).lower()


def foreign_title(rng: random.Random, locale: str, brand: str) -> str:
    heads, middles, tails = FOREIGN_TITLE_WORDS[locale]
    return f"{brand} {rng.choice(heads)} {rng.choice(middles)} {rng.choice(tails)}"
