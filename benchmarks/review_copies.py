"""A labelled set for near-duplicate detection on review-length text (15-80 words): templated
reviews, near copies of some of them, and unrelated reviews that share their template.

Everything here is written for this benchmark; no text comes from a real review. A review is a
sequence of sentence templates (opener, clause, closer) with its own slot values ({item}, {adj},
...). A *family* is one sequence of templates filled three times with different values: three
unrelated reviews that share a template, which a near-duplicate filter must keep apart. One of
them gets copies, one per edit:

- `phrase`: one phrase replaced by another way of saying it ("Overall I rate it" -> "All in all I
  rate it"), the templated-spam edit;
- `add`: a sentence added; `remove`: a sentence removed;
- `punctuation`: other case, punctuation and spacing (an exact duplicate after normalisation).

Two families never share a whole sentence by accident: a family is drawn again when one of its
sentences (members and copies, after normalisation) already stands in another family, so unrelated
reviews coincide only where they are meant to. That is in *stock* families, an explicit negative
class: every member also says one stock sentence from a small bank ("Works like a charm."), as real
short reviews do, so unrelated reviews of different families share that sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# A sentence is an opener, a clause and a closer; a family draws its own (opener, clause, closer)
# triples, and the members of a family share all of them.
OPENERS = [
    "Honestly,",
    "To be fair,",
    "So far",
    "Overall,",
    "In short,",
    "Well,",
    "As expected,",
    "Sadly,",
    "Luckily,",
    "After a month,",
    "At first",
    "Right away",
    "For what it is worth,",
    "Long story short,",
    "Funny enough,",
]
CLAUSES = [
    "I bought this {item} for my {who} and it has been {adj}",
    "the {item} arrived {when} and the box was in good shape",
    "after a few weeks of use it still feels {adj}",
    "Overall I rate it {stars} stars",
    "the {feature} is the best part of it",
    "setting it up took about {minutes} minutes",
    "my {who} uses it every day and likes the {feature}",
    "for the price it is a {adj} buy",
    "I would recommend it to anyone who needs a {item}",
    "the only thing I do not like is the {feature}",
    "it works great with my old {item}",
    "customer service answered within {minutes} minutes",
    "it is a bit smaller than I expected but still {adj}",
    "I have ordered a second one for my {who}",
    "the {feature} stopped working after {minutes} days, which is a shame",
    "shipping was fast and it came {when}",
    "the {feature} feels cheap compared to my last {item}",
    "it replaced a {item} that my {who} had for years",
    "the colour matches the pictures and the {feature} is {adj}",
    "I use it mostly on weekends with my {who}",
    "cleaning the {feature} takes only {minutes} minutes",
    "the manual was useless but the {item} is {adj}",
    "we took it camping and the {feature} held up",
    "it is louder than my old {item}",
    "the {feature} broke once and was replaced {when}",
    "my {who} says it is {adj}",
    "it fits in the drawer next to the {item}",
    "I expected more from the {feature}",
]
CLOSERS = [
    "and I am happy",
    "which I did not expect",
    "to be honest",
    "for sure",
    "as promised",
    "in my experience",
    "so no complaints",
    "if that helps",
    "as far as I can tell",
    "which is nice",
    "most of the time",
]
SLOTS = {
    "item": "kettle|blender|desk lamp|backpack|phone charger|toaster|vacuum|drill|tent|yoga mat|"
    "coffee grinder|mouse|keyboard|pillow|knife set|water bottle|rain jacket|camera bag|fan|heater|"
    "router|speaker|cutting board|frying pan|stroller|car seat|dog bed|litter box|hose|shovel|"
    "rice cooker|hair dryer|lunch box|bike lock|desk chair|monitor|webcam|headlamp|scale|grill|"
    "thermos|sleeping bag|air purifier|humidifier|power bank|printer|label maker|tripod|"
    "cooler|hammock|jump rope|step stool|tool box|ladder|mixer|juicer|sander|baby monitor|"
    "flashlight|alarm clock",
    "adj": "great|solid|reliable|fine|decent|excellent|okay|sturdy|handy|perfect|good|useful|"
    "nice|wonderful|dependable|fantastic|worth it|well made|impressive|sensible|brilliant|"
    "robust|practical|convenient|superb|tough",
    "who": "wife|son|daughter|office|kitchen|brother|mother|partner|dad|grandma|roommate|team|"
    "husband|sister|neighbour|nephew|niece|uncle|aunt|grandpa|cousin|classmate|boss|"
    "landlord|flatmate|students",
    "when": "a day early|on time|two days late|within a week|the next morning|before the weekend|"
    "in two days|right on schedule|after a week|three days early|late at night|on a Sunday|"
    "the same day|before Friday",
    "stars": "one|two|three|four|five|three and a half|four and a half|two and a half",
    "feature": "handle|battery|cable|lid|switch|display|strap|zipper|motor|timer|case|remote|"
    "button|light|filter|charger|stand|wheel|belt|pump|hinge|knob|blade|hook|sensor|"
    "speaker grille|cord|clip|lock|tray|basket|nozzle|brush|cushion|frame|fabric|screen|"
    "power cord|base|dial",
    "minutes": "five|ten|fifteen|twenty|thirty|forty|two|three|four|six|seven|eight|twelve|forty five|ninety",
}
# phrase -> other ways of saying it; each template holds at least one of these phrases
PARAPHRASES = {
    "Overall I rate it": ("All in all I rate it", "In the end I give it"),
    "Honestly,": ("To be honest,", "Frankly,"),
    "In short,": ("In a word,", "Briefly,"),
    "Long story short,": ("To cut it short,", "In a nutshell,"),
    "which I did not expect": ("which surprised me", "which I never expected"),
    "so no complaints": ("so I am satisfied", "so nothing to complain about"),
    "as far as I can tell": ("from what I can see", "as far as I know"),
    "I expected more from": ("I hoped for more from", "I was let down by"),
    "fits in the drawer": ("goes in the drawer", "fits into the drawer"),
    "I bought this": ("I purchased this", "I picked up this"),
    "so far": ("up to now", "until now"),
    "in good shape": ("undamaged", "in perfect condition"),
    "still feels": ("still seems", "continues to feel"),
    "is the best part of it": ("is what I like most", "is its best feature"),
    "took about": ("needed roughly", "took around"),
    "uses it every day": ("uses it daily", "relies on it every day"),
    "For the price": ("For the money", "At this price"),
    "I would recommend it": ("I would suggest it", "I can recommend it"),
    "I do not like": ("I dislike", "bothers me"),
    "works great": ("works well", "works perfectly"),
    "answered within": ("replied within", "got back to me within"),
    "smaller than I expected": ("smaller than I thought", "more compact than expected"),
    "I have ordered": ("I already ordered", "I just ordered"),
    "which is a shame": ("which is disappointing", "sadly"),
    "Shipping was fast": ("Delivery was quick", "It shipped fast"),
}
# stock sentences, shared on purpose by the members of stock families (none holds a PARAPHRASES key)
STOCK = [
    "Works like a charm.",
    "Highly recommended.",
    "Would buy again.",
    "Five stars.",
    "Love it.",
    "Does the job.",
    "Great value.",
    "Exactly as described.",
    "Thumbs up.",
    "Money well spent.",
]
EDITS = ("phrase", "add", "remove", "punctuation")
BUCKETS = ((15, 20), (20, 40), (40, 80))  # word-count ranges [low, high) of the copied reviews


@dataclass(frozen=True)
class Doc:
    text: str
    family: int  # reviews of one family share their templates
    member: int  # which fill of the family (0-2); copies are of member 0
    edit: str  # "" for the three originals, else the edit that made the copy
    words: int  # word count of the original the doc comes from
    stock: bool = False  # the family's members each say one stock sentence


SLOT_VALUES = {name: values.split("|") for name, values in SLOTS.items()}


def _fill(rng: np.random.Generator) -> dict[str, str]:
    return _fills(rng, 1)[0]


def _fills(rng: np.random.Generator, count: int) -> list[dict[str, str]]:
    """`count` slot fillings that differ in every slot (unrelated reviews, not copies)."""
    picks = {name: rng.permutation(len(values))[:count] for name, values in SLOT_VALUES.items()}
    return [{name: SLOT_VALUES[name][int(at[k])] for name, at in picks.items()} for k in range(count)]


Template = tuple[str, str, str]  # opener, clause, closer


def _sentence(rng: np.random.Generator) -> Template:
    """A clause, with an opener and a closer half of the time each."""
    opener = _choice(rng, OPENERS) if rng.random() < 0.5 else ""
    closer = _choice(rng, CLOSERS) if rng.random() < 0.5 else ""
    return (opener, _choice(rng, CLAUSES), closer)


def _choice(rng: np.random.Generator, values: list[str]) -> str:
    return values[int(rng.integers(0, len(values)))]


def _templates(rng: np.random.Generator, low: int, high: int, said: list[str]) -> list[Template] | None:
    """Sentence templates whose filled length, with the sentences `said` besides, should land in
    [low, high) words; None for a single template (its fillings would differ in one slot value, as
    a copy with one word changed does)."""
    chosen: list[Template] = []
    words, target = len(" ".join(said).split()), int(rng.integers(low, high))
    while words < target:
        chosen.append(_sentence(rng))
        words += len(" ".join(chosen[-1]).split()) + 1  # slots such as {when} may fill with two words
    return chosen if len(chosen) >= 2 else None


def _render(templates: list[Template], slots: dict[str, str]) -> list[str]:
    out = []
    for opener, clause, closer in templates:
        text = " ".join(part for part in (opener, clause.format(**slots), closer) if part)
        out.append(text[0].upper() + text[1:] + ".")
    return out


def _phrase_edit(rng: np.random.Generator, sentences: list[str]) -> list[str] | None:
    text = " ".join(sentences)
    present = [p for p in PARAPHRASES if p in text]
    if not present:
        return None
    phrase = present[int(rng.integers(0, len(present)))]
    other = PARAPHRASES[phrase][int(rng.integers(0, 2))]
    return [s.replace(phrase, other, 1) for s in sentences] if phrase in text else None


def _punctuated(rng: np.random.Generator, sentences: list[str]) -> list[str]:
    text = " ".join(sentences)
    text = text.upper() if rng.random() < 0.3 else text.lower()
    return [re.sub(r"\.", lambda _: str(rng.choice(["!", " ...", "!!", "."])), text).replace(" ", "  ")]


def _copy(
    rng: np.random.Generator, edit: str, sentences: list[str], used: set[str], own: set[str]
) -> list[str] | None:
    if edit == "phrase":
        return _phrase_edit(rng, sentences)
    if edit == "add":  # a sentence no review has yet
        extra = _render([_sentence(rng)], _fill(rng))
        while sentence_key(extra[0]) in used or sentence_key(extra[0]) in own:
            extra = _render([_sentence(rng)], _fill(rng))
        at = int(rng.integers(0, len(sentences) + 1))
        return sentences[:at] + extra + sentences[at:]
    if edit == "remove":  # every review has at least two sentences of its own besides a stock one
        at = int(rng.integers(0, len(sentences)))
        return sentences[:at] + sentences[at + 1 :]
    return _punctuated(rng, sentences)


def sentence_key(sentence: str) -> str:
    """A sentence as the index compares it: lower case, punctuation and spacing ignored."""
    return " ".join(re.sub(r"[^\w ]", " ", sentence.lower()).split())


def _with_stock(rng: np.random.Generator, members: list[list[str]], stock: str) -> list[list[str]]:
    """The members with the stock sentence, at the same place in each (it is part of the template)."""
    at = int(rng.integers(0, len(members[0]) + 1))
    return [[*sentences[:at], stock, *sentences[at:]] for sentences in members]


@dataclass
class Drawn:
    """What a draw of families kept, and how often a sentence template was drawn again."""

    originals: list[Doc]
    copies: list[Doc]
    redrawn: int  # sentence templates drawn again: their filling stood in another review already


def _keys(template: Template, fills: list[dict[str, str]]) -> set[str]:
    return {sentence_key(sentence) for slots in fills for sentence in _render([template], slots)}


def _fresh(
    rng: np.random.Generator, templates: list[Template], fills: list[dict[str, str]], used: set[str]
) -> tuple[list[Template], set[str], int]:
    """The templates with each one whose filling (for any member) stands in `used` or earlier in
    this family drawn again, the family's sentences, and how many templates were drawn again."""
    out: list[Template] = []
    own: set[str] = set()
    redrawn = 0
    for template in templates:
        keys = _keys(template, fills)
        while len(keys) < len(fills) or not keys.isdisjoint(used) or not keys.isdisjoint(own):
            template, redrawn = _sentence(rng), redrawn + 1
            keys = _keys(template, fills)
        out.append(template)
        own |= keys
    return out, own, redrawn


def _member_words(templates: list[Template], slots: dict[str, str], said: list[str]) -> int:
    return len(" ".join([*_render(templates, slots), *said]).split())


def families(
    count: int, low: int, high: int, seed: int, used: set[str], stock: bool = False, first: int = 0
) -> Drawn:
    """`count` families of reviews of [low, high) words, numbered from `first`: the originals (three
    per family) and the copies of each family's first member (one per edit in EDITS).

    `used` holds the sentences of the families drawn before (normalised; stock sentences are not
    entered). A sentence template whose filling stands in `used` is drawn again (the family too if
    its length then leaves the band, or its phrase edit makes such a sentence); the sentences of
    every family kept join `used`."""
    rng = np.random.default_rng(seed)
    out = Drawn([], [], 0)
    family = 0
    while family < count:
        fills = _fills(rng, 3)
        said = [_choice(rng, STOCK)] if stock else []
        templates = _templates(rng, low, high, said)
        if templates is None or not low <= _member_words(templates, fills[0], said) < high:
            continue  # checked before the costlier look-ups in `used`
        templates, own, redrawn = _fresh(rng, templates, fills, used)
        out.redrawn += redrawn
        words = _member_words(templates, fills[0], said)
        if not low <= words < high:
            continue
        members = [_render(templates, slots) for slots in fills]
        if said:
            members = _with_stock(rng, members, said[0])
        edited = {edit: _copy(rng, edit, members[0], used, own) for edit in EDITS}
        if any(sentences is None for sentences in edited.values()):
            continue
        phrased = {sentence_key(s) for s in edited["phrase"]} - {sentence_key(s) for s in members[0]}
        if not phrased.isdisjoint(used):
            continue
        used |= own | phrased | {sentence_key(s) for s in edited["add"]}
        number = first + family
        for member, sentences in enumerate(members):
            out.originals.append(Doc(" ".join(sentences), number, member, "", words, stock))
        out.copies += [Doc(" ".join(s), number, 0, edit, words, stock) for edit, s in edited.items()]
        family += 1
    return out


def labelled_set(count: int, stock: int, bands: tuple[tuple[int, int], ...], seed: int) -> Drawn:
    """Per band, `count` families and `stock` stock families (numbered apart), no two families
    sharing a sentence other than a stock one."""
    used: set[str] = set()
    out = Drawn([], [], 0)
    for k, (low, high) in enumerate(bands):
        for kind, number in ((False, count), (True, stock)):
            first = len(out.originals) // 3  # three originals per family
            drawn = families(number, low, high, seed * 100 + 2 * k + kind, used, kind, first)
            out.originals += drawn.originals
            out.copies += drawn.copies
            out.redrawn += drawn.redrawn
    return out
