"""A labelled set for the language filter's scope and defaults: the English catalogue text that
fools language identifiers (short titles that are mostly brand names, model numbers and gift-card
names, shopping queries) next to non-English titles and reviews.

Everything here is written for this benchmark: brand and product names are public trade names put
together by templates, reviews come from `lang_texts` (English, German, French, Spanish, Italian)
and from the Portuguese and Dutch sentences below; no text comes from a real review or catalogue.
"""

from __future__ import annotations

import numpy as np
from lang_texts import LANGUAGES, review, title

# Names that look like French, German, Italian, Spanish or nothing at all to a language identifier.
BRANDS = (
    "Starbucks|Petco|DSW|Marcus Theatres|Lowe's|Sephora|Ulta|Chipotle|Olive Garden|Fandango|Bosch|"
    "Krups|Le Creuset|Dolce Gusto|Nespresso|Braun|Miele|Zojirushi|Pelikan|Faber-Castell|Moleskine|"
    "Bialetti|Fjallraven|Haribo|Logitech|Sennheiser|Garmin|DeWalt|Makita|Ryobi|Husqvarna|Stihl|"
    "Victorinox|Zwilling|Wusthof|Rowenta|Tefal|Delonghi|Gaggia|Lavazza|Illy|Peugeot|Renault|Citroen|"
    "Lacoste|Pierre Cardin|Hugo Boss|Adidas|Puma|Asics|Saucony|Merrell|Quicken|TurboTax|Norton|"
    "Kaspersky|Corel|Adobe|Intuit|Lenovo|Asus|Acer|Toshiba|Panasonic|Casio|Seiko|Citizen|Tissot|"
    "Swatch|Oral-B|Philips|Sonicare|Remington|Conair|Cuisinart|KitchenAid|Vitamix|Ninja|Keurig|"
    "Yeti|Contigo|Igloo|Coleman|Osprey|Deuter|Vaude|Salomon|Rossignol|Lego|Playmobil|Ravensburger"
)
GIFT_SUFFIX = ("Gift Card", "eGift Card", "Gift Card $25", "Gift Card $50", "e-Gift Code")
SOFTWARE = ("premier", "deluxe", "home and business", "basic", "pro", "ultimate", "starter edition")
# (noun phrase, plausible model-number pattern) pairs for "<brand> <model> <noun phrase> ..." titles
PRODUCTS = (
    "wireless mouse|cordless drill driver kit|espresso machine|coffee grinder|chef knife 8 inch|"
    "running shoes|hiking backpack 40l|trail running shoe|toothbrush heads|hair dryer|stand mixer|"
    "blender|water bottle 32 oz|cooler|sleeping bag|gps watch|headphones|usb c charger|hdmi cable|"
    "laptop sleeve 15.6|fountain pen|notebook a5|puzzle 1000 pieces|building set|trimmer line|"
    "chainsaw chain|replacement filter|carafe|cast iron dutch oven|saucepan set"
)
DETAILS = (
    "black|stainless|2 pack|pack of 3|for men|for women|with case|renewed|compatible with iphone|"
    "20v max|with battery and charger|model 2019|white|graphite|red|large|size 10|bundle"
)
QUERY_PARTS = "replacement|cheap|best|for men|for women|kids|without|with|under 50|2 pack|large|black|mini"
EXTRA_SENTENCES = {
    "pt": [
        "Comprei este produto para a minha mãe e até agora funciona muito bem.",
        "A encomenda chegou antes do prazo e a embalagem estava perfeita.",
        "Depois de duas semanas de uso diário continua a funcionar sem problemas.",
        "Sinceramente esperava mais qualidade por este preço.",
        "As instruções eram difíceis de perceber mas a montagem foi rápida.",
        "É mais pequeno do que parece nas fotografias, o que me desiludiu um pouco.",
        "O serviço de apoio ao cliente respondeu depressa e enviou outro.",
        "Voltaria a comprar sem pensar duas vezes.",
    ],
    "nl": [
        "Ik heb dit voor mijn moeder gekocht en tot nu toe werkt het prima.",
        "Het pakket kwam een dag eerder dan verwacht en de verpakking was netjes.",
        "Na twee weken dagelijks gebruik werkt alles nog steeds zonder problemen.",
        "Eerlijk gezegd had ik voor deze prijs meer kwaliteit verwacht.",
        "De handleiding was lastig te begrijpen maar het monteren ging snel.",
        "Het is kleiner dan het op de foto's lijkt, dat viel een beetje tegen.",
        "De klantenservice reageerde snel en stuurde een nieuw exemplaar.",
        "Ik zou het zonder twijfel opnieuw bestellen.",
    ],
}
FOREIGN = (*[lang for lang in LANGUAGES if lang != "en"], *EXTRA_SENTENCES)
KINDS = ("english_title", "english_query", "foreign_title", "english_review", "foreign_review")


def _pick(rng: np.random.Generator, options: str | tuple[str, ...]) -> str:
    values = options.split("|") if isinstance(options, str) else options
    return str(values[int(rng.integers(0, len(values)))])


def model_number(rng: np.random.Generator) -> str:
    """Letters and digits as model numbers are written: "DCD771C2", "M510", "010-01234-00"."""
    letters = "".join(rng.choice(list("ABCDEFGHKLMNPRSTVWXZ"), size=int(rng.integers(1, 4))))
    digits = str(int(rng.integers(10, 99999)))
    shapes = (letters + digits, letters + "-" + digits, digits + letters, f"0{digits}-{digits}-00")
    return _pick(rng, shapes)


def english_title(rng: np.random.Generator) -> str:
    """A catalogue title dominated by names: gift cards, software editions, brand + model + noun."""
    shape = rng.random()
    if shape < 0.25:  # gift cards, alone or two run together as scraped listings show them
        cards = [f"{_pick(rng, BRANDS)} {_pick(rng, GIFT_SUFFIX)}" for _ in range(int(rng.integers(1, 3)))]
        text = " ".join(cards)
    elif shape < 0.35:
        text = f"{_pick(rng, BRANDS)} {int(rng.integers(2003, 2024))} {_pick(rng, SOFTWARE)}"
    else:
        words = [_pick(rng, BRANDS), model_number(rng), _pick(rng, PRODUCTS)]
        words += [_pick(rng, DETAILS) for _ in range(int(rng.integers(0, 3)))]
        text = " ".join(words)
    return text.lower() if rng.random() < 0.2 else text


def english_query(rng: np.random.Generator) -> str:
    """A shopping query: a brand or a model and a few words."""
    words = [_pick(rng, BRANDS) if rng.random() < 0.7 else model_number(rng), _pick(rng, PRODUCTS)]
    if rng.random() < 0.5:
        words.append(_pick(rng, QUERY_PARTS))
    return " ".join(words).lower()


def foreign_review(rng: np.random.Generator, lang: str) -> str:
    if lang not in EXTRA_SENTENCES:
        return review(rng, lang)
    sentences = EXTRA_SENTENCES[lang]
    chosen = rng.choice(len(sentences), size=int(rng.integers(2, 5)), replace=False)
    return " ".join(sentences[i] for i in chosen)


def catalogue_texts(count: int, seed: int) -> list[tuple[str, str, str]]:
    """About `count` (kind, language, text) triples, `count // 5` of each kind in KINDS; foreign
    titles are German, French, Spanish or Italian, foreign reviews any language in FOREIGN."""
    rng = np.random.default_rng(seed)
    each = count // len(KINDS)
    title_languages = [lang for lang in LANGUAGES if lang != "en"]
    out: list[tuple[str, str, str]] = []
    for i in range(each):
        out.append(("english_title", "en", english_title(rng)))
        out.append(("english_query", "en", english_query(rng)))
        lang = title_languages[i % len(title_languages)]
        out.append(("foreign_title", lang, title(rng, lang)))
        out.append(("english_review", "en", review(rng, "en")))
        lang = FOREIGN[i % len(FOREIGN)]
        out.append(("foreign_review", lang, foreign_review(rng, lang)))
    return out
