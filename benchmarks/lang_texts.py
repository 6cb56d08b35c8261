"""Synthetic labelled texts for the language-id benchmark: product reviews (two to four sentences)
and 3-8-word product-title snippets in English, German, French, Spanish and Italian.

Everything here was written for this benchmark; no text comes from a real review or catalogue.
Sentences are templates with slots ({item}, {adj}, {who}, {when}) filled from per-language
"|"-separated word lists, so a small amount of hand-written material yields many distinct texts.
"""

from __future__ import annotations

import numpy as np

LANGUAGES = ("en", "de", "fr", "es", "it")

SENTENCES = {
    "en": [
        "I bought this {item} for my {who} and it has been {adj} so far.",
        "The {item} arrived {when} and the packaging was fine.",
        "After two weeks of daily use the {item} still feels {adj}.",
        "Honestly I expected more from a {item} at this price.",
        "My {who} uses it every morning and has no complaints.",
        "The instructions were hard to follow but setting it up only took a few minutes.",
        "It is smaller than it looks in the pictures, which was a bit disappointing.",
        "Customer service replied quickly and sent a replacement {item}.",
        "I would definitely order this {item} again.",
        "The battery lasts much longer than on my old one.",
        "It makes a strange noise when you switch it on, but it works.",
        "For the money you really cannot go wrong with it.",
    ],
    "de": [
        "Ich habe {item} für meine {who} gekauft und bisher läuft alles {adj}.",
        "Die Lieferung kam {when} und die Verpackung war in Ordnung.",
        "Nach zwei Wochen täglicher Nutzung funktioniert alles noch {adj}.",
        "Ehrlich gesagt hätte ich für diesen Preis etwas mehr erwartet.",
        "Meine {who} benutzt es jeden Morgen und ist sehr zufrieden.",
        "Die Anleitung war schwer zu verstehen, aber der Aufbau ging schnell.",
        "Es ist kleiner als auf den Bildern, das war etwas enttäuschend.",
        "Der Kundendienst hat schnell geantwortet und Ersatz geschickt.",
        "Ich würde {item} jederzeit wieder bestellen.",
        "Der Akku hält viel länger als bei meinem alten Gerät.",
        "Beim Einschalten macht es ein seltsames Geräusch, aber es funktioniert.",
        "Für das Geld kann man wirklich nichts falsch machen.",
    ],
    "fr": [
        "J'ai acheté {item} pour ma {who} et pour l'instant tout marche {adj}.",
        "Le colis est arrivé {when} et l'emballage était correct.",
        "Après deux semaines d'utilisation quotidienne, tout fonctionne encore {adj}.",
        "Franchement, je m'attendais à mieux pour ce prix.",
        "Ma {who} l'utilise tous les matins et ne se plaint de rien.",
        "La notice était difficile à comprendre mais l'installation a été rapide.",
        "Il est plus petit que sur les photos, ce qui est un peu décevant.",
        "Le service client a répondu rapidement et a envoyé un remplacement.",
        "Je commanderais de nouveau {item} sans hésiter.",
        "La batterie tient beaucoup plus longtemps que celle de mon ancien appareil.",
        "Il fait un bruit bizarre au démarrage, mais il fonctionne.",
        "Pour ce prix, on ne peut vraiment pas se tromper.",
    ],
    "es": [
        "Compré {item} para mi {who} y de momento todo va {adj}.",
        "El paquete llegó {when} y el embalaje estaba bien.",
        "Después de dos semanas de uso diario todo sigue funcionando {adj}.",
        "Sinceramente esperaba algo mejor por este precio.",
        "Mi {who} lo usa todas las mañanas y no tiene ninguna queja.",
        "Las instrucciones eran difíciles de entender pero el montaje fue rápido.",
        "Es más pequeño de lo que parece en las fotos, y eso me decepcionó un poco.",
        "El servicio de atención al cliente respondió rápido y mandó un repuesto.",
        "Volvería a pedir {item} sin dudarlo.",
        "La batería dura mucho más que la de mi aparato anterior.",
        "Hace un ruido raro al encenderlo, pero funciona.",
        "Por este precio de verdad no te puedes equivocar.",
    ],
    "it": [
        "Ho comprato {item} per mia {who} e finora va tutto {adj}.",
        "Il pacco è arrivato {when} e l'imballaggio era a posto.",
        "Dopo due settimane di uso quotidiano funziona ancora {adj}.",
        "Sinceramente mi aspettavo qualcosa di meglio a questo prezzo.",
        "Mia {who} lo usa ogni mattina e non si lamenta mai.",
        "Le istruzioni erano difficili da capire ma il montaggio è stato veloce.",
        "È più piccolo di quanto sembri nelle foto, e questo mi ha un po' deluso.",
        "Il servizio clienti ha risposto subito e ha spedito un ricambio.",
        "Ordinerei di nuovo {item} senza esitare.",
        "La batteria dura molto più a lungo di quella del mio vecchio apparecchio.",
        "Fa un rumore strano quando lo accendi, ma funziona.",
        "A questo prezzo davvero non si può sbagliare.",
    ],
}

SLOTS = {
    "en": {
        "item": "kettle|blender|desk lamp|backpack|phone charger|toaster|vacuum|drill",
        "adj": "great|solid|reliable|fine|decent|excellent|okay|sturdy",
        "who": "wife|son|daughter|office|kitchen|brother|mother|partner",
        "when": "a day early|on time|two days late|within a week|the next morning",
    },
    "de": {
        "item": "den Wasserkocher|den Mixer|die Lampe|den Rucksack|das Ladegerät|den Toaster",
        "adj": "sehr gut|einwandfrei|bestens|tadellos|prima|ohne Probleme",
        "who": "Frau|Tochter|Mutter|Schwester|Freundin|Oma",
        "when": "einen Tag früher|pünktlich|zwei Tage zu spät|innerhalb einer Woche",
    },
    "fr": {
        "item": "la bouilloire|le mixeur|la lampe|le sac à dos|le chargeur|le grille-pain",
        "adj": "très bien|parfaitement|à merveille|sans problème|correctement|plutôt bien",
        "who": "femme|fille|mère|sœur|copine|grand-mère",
        "when": "un jour en avance|à l'heure|avec deux jours de retard|en moins d'une semaine",
    },
    "es": {
        "item": "el hervidor|la batidora|la lámpara|la mochila|el cargador|la tostadora",
        "adj": "muy bien|perfectamente|de maravilla|sin problemas|correctamente|bastante bien",
        "who": "mujer|hija|madre|hermana|novia|abuela",
        "when": "un día antes|a tiempo|con dos días de retraso|en menos de una semana",
    },
    "it": {
        "item": "il bollitore|il frullatore|la lampada|lo zaino|il caricatore|il tostapane",
        "adj": "molto bene|perfettamente|alla grande|senza problemi|correttamente|abbastanza bene",
        "who": "moglie|figlia|madre|sorella|ragazza|nonna",
        "when": "un giorno prima|in orario|con due giorni di ritardo|in meno di una settimana",
    },
}

# Title parts, "|"-separated phrases: features, nouns, qualifiers; a title mixes them with a size.
TITLE_WORDS = {
    "en": (
        "stainless steel|wireless|portable|waterproof|adjustable|rechargeable|foldable|ceramic|cotton|"
        "non stick|lightweight|ergonomic|compact|heavy duty|soft",
        "water bottle|kettle|frying pan|desk lamp|backpack|earbuds|charger|bath towels|rain jacket|"
        "cordless drill|coffee mug|camping tent|yoga mat|hdmi cable|mouse|keyboard|pillow|blanket",
        "for kids|with lid|for men|for women|with case|for travel|for kitchen|black|blue|gift",
    ),
    "de": (
        "Edelstahl|kabellos|tragbar|wasserdicht|verstellbar|wiederaufladbar|faltbar|Keramik|Baumwolle|"
        "antihaft|leicht|ergonomisch|kompakt|robust|weich",
        "Trinkflasche|Wasserkocher|Bratpfanne|Schreibtischlampe|Rucksack|Kopfhörer|Ladegerät|"
        "Handtücher|Regenjacke|Akkuschrauber|Kaffeetasse|Campingzelt|Yogamatte|Kabel|Kopfkissen|Decke",
        "für Kinder|mit Deckel|für Herren|für Damen|mit Tasche|für Reisen|für die Küche|schwarz|blau",
    ),
    "fr": (
        "inox|sans fil|portable|étanche|réglable|rechargeable|pliable|en céramique|en coton|"
        "antiadhésive|légère|ergonomique|compacte|robuste|douce",
        "gourde|bouilloire|poêle|lampe de bureau|sac à dos|écouteurs|chargeur|serviettes de bain|"
        "veste de pluie|perceuse|tasse à café|tente de camping|tapis de yoga|câble|oreiller|couverture",
        "pour enfants|avec couvercle|pour homme|pour femme|avec étui|pour voyage|pour cuisine|noir|bleu",
    ),
    "es": (
        "acero inoxidable|inalámbrico|portátil|impermeable|ajustable|recargable|plegable|de cerámica|"
        "de algodón|antiadherente|ligera|ergonómica|compacta|resistente|suave",
        "botella de agua|hervidor|sartén|lámpara de escritorio|mochila|auriculares|cargador|"
        "toallas de baño|chaqueta impermeable|taladro|taza de café|tienda de campaña|esterilla|"
        "almohada|manta",
        "para niños|con tapa|para hombre|para mujer|con funda|para viaje|para cocina|negro|azul",
    ),
    "it": (
        "acciaio inox|senza fili|portatile|impermeabile|regolabile|ricaricabile|pieghevole|in ceramica|"
        "in cotone|antiaderente|leggera|ergonomica|compatta|robusta|morbida",
        "borraccia|bollitore|padella|lampada da scrivania|zaino|auricolari|caricabatterie|"
        "asciugamani|giacca antipioggia|trapano|tazza da caffè|tenda da campeggio|tappetino yoga|"
        "cuscino|coperta",
        "per bambini|con coperchio|per uomo|per donna|con custodia|per viaggio|per cucina|nero|blu",
    ),
}
SIZES = ["2 pack", "500 ml", "1.7 l", "28 cm", "xl", "3 m", "10000 mah", "set of 6", "usb c"]


def review(rng: np.random.Generator, lang: str) -> str:
    """Two to four sentences of one language with their slots filled."""
    chosen = rng.choice(len(SENTENCES[lang]), size=int(rng.integers(2, 5)), replace=False)
    slots = {name: str(rng.choice(values.split("|"))) for name, values in SLOTS[lang].items()}
    return " ".join(SENTENCES[lang][i].format(**slots) for i in chosen)


def title(rng: np.random.Generator, lang: str) -> str:
    """A 3-8-word product-title snippet: features, a noun phrase, maybe a qualifier and a size."""
    features, nouns, qualifiers = (group.split("|") for group in TITLE_WORDS[lang])
    phrases = [*rng.choice(features, size=int(rng.integers(1, 3)), replace=False), rng.choice(nouns)]
    if rng.random() < 0.6:
        phrases.append(rng.choice(qualifiers))
    if rng.random() < 0.4:
        phrases.append(rng.choice(SIZES))
    words = " ".join(map(str, phrases)).split()
    while len(words) < 3:  # pad very short ones with another noun
        words += str(rng.choice(nouns)).split()
    return " ".join(words[:8])


def labelled_texts(count: int, seed: int) -> list[tuple[str, str, str]]:
    """`count` (language, kind, text) triples, half reviews and half titles, languages in turn."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        lang = LANGUAGES[i % len(LANGUAGES)]
        kind = "review" if (i // len(LANGUAGES)) % 2 == 0 else "title"
        out.append((lang, kind, review(rng, lang) if kind == "review" else title(rng, lang)))
    return out
