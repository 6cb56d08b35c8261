"""One parser per answer shape: free model text in, a structured answer out, or None when unreadable.

The rules are strict and written down here so that a score never depends on guessing:

- option letter (PRP, SA, SR, MPC): the text starts with one capital letter that names an option, alone
  or followed by ``:``, ``.`` or ``)`` (``B``, ``B.``, ``(B)``, ``B: positive``); or the text is exactly
  one option's wording (``positive``), case-insensitive. ``B positive`` or ``Answer: B`` is invalid.
- yes/no (PM, PSI, AP): the first word is ``yes`` or ``no``, any case (``Yes, they match.`` is yes).
- AVE: the text from the first ``[`` to the last ``]`` (inside a ```json fence if there is one) is a
  JSON list (Python literals accepted) whose items are all objects with ``attribute``, ``value`` and
  ``source``. Text is lower-cased and its whitespace collapsed,
  as ECInstruct's gold is; ``null``, ``"None"`` and ``""`` all mean "no evidence". Duplicates collapse.
- ranking (QPR): letters separated by commas, ``>`` or spaces, each naming a listed product once.
  A ranking that leaves products out is valid (and scores lower).
- free text (AG): anything that is not blank.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache

# An AVE triple after normalisation: (attribute, value, source); NONE stands for "no evidence".
Triple = tuple[str, str, str]
NONE = "none"

_LETTER = re.compile(r"[(\[]?([A-Z])(?:[)\]]|[:.]|$)")
_OPTION = re.compile(r"\s*([A-Z])\s*:\s*(.*)", re.DOTALL)
_FIRST_WORD = re.compile(r"[\W_]*([A-Za-z]+)")
_RANK_SEPARATORS = re.compile(r"[\s,>;]+")
_RANK_TOKEN = re.compile(r"[(\[]?([A-Z])[)\]:.]?")
_FENCE = re.compile(r"```(?:json|python)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def loads_loose(text: str) -> object:
    """JSON, falling back to Python literals (single quotes, None/True); raises ValueError if neither."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise ValueError(f"neither JSON nor a Python literal: {exc}") from exc


def parse_options(options: str | Sequence[str] | None) -> dict[str, str]:
    """Map option letter -> lower-cased wording from the `options` cell (a JSON list, or a list)."""
    if options is None:
        return {}
    if not isinstance(options, str):
        options = json.dumps(list(options))
    return dict(_parse_options_text(options))


@lru_cache(maxsize=1024)
def _parse_options_text(options: str) -> tuple[tuple[str, str], ...]:
    # Cached: PRP, SA and MPC repeat one option list on every row (SR's lists all differ).
    if not options.strip():
        return ()
    try:
        items = loads_loose(options)
    except ValueError:
        return ()
    if not isinstance(items, list):
        return ()
    pairs = []
    for item in items:
        match = _OPTION.fullmatch(str(item))
        if match:
            pairs.append((match.group(1), _wording(match.group(2))))
    return tuple(pairs)


def _normalise_text(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip().casefold()


def _wording(text: str) -> str:
    # An option's wording compares without case, spacing or a final full stop.
    return _normalise_text(text).rstrip(".").rstrip()


def parse_choice(text: str, options: Mapping[str, str]) -> str | None:
    """The option letter the text names, or None. With no known options any capital letter is allowed."""
    stripped = text.strip().strip("`'\"").strip()
    match = _LETTER.match(stripped)
    if match:
        letter = match.group(1)
        return letter if not options or letter in options else None
    wording = _wording(stripped)
    found = [letter for letter, option in options.items() if option == wording]
    return found[0] if len(found) == 1 else None


def parse_yes_no(text: str) -> str | None:
    """The first word of the text if it is yes or no (lower-cased), else None."""
    match = _FIRST_WORD.match(text)
    word = match.group(1).lower() if match else ""
    return word if word in ("yes", "no") else None


def parse_ranking(text: str, items: Collection[str] | None = None) -> tuple[str, ...] | None:
    """The ranked letters, or None if a token is not a letter, repeats, or is not among `items`."""
    tokens = [t for t in _RANK_SEPARATORS.split(text.strip().strip("`'\"")) if t]
    ranking: list[str] = []
    for token in tokens:
        match = _RANK_TOKEN.fullmatch(token)
        if not match:
            return None
        letter = match.group(1)
        if letter in ranking or (items is not None and letter not in items):
            return None
        ranking.append(letter)
    return tuple(ranking) or None


def parse_answer_text(text: str) -> str | None:
    """Free text as given, or None when blank."""
    return text if text.strip() else None


def parse_triples(text: str) -> tuple[Triple, ...] | None:
    """The unique normalised (attribute, value, source) triples in sorted order, or None."""
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    start, end = body.find("["), body.rfind("]")
    if start < 0 or end < start:
        return None
    try:
        items = loads_loose(body[start : end + 1])
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    triples = set()
    for item in items:
        triple = _triple(item)
        if triple is None:
            return None
        triples.add(triple)
    # Sorted, because set order of strings changes from run to run (hash randomisation).
    return tuple(sorted(triples))


def _triple(item: object) -> Triple | None:
    if not isinstance(item, dict) or not {"attribute", "value", "source"} <= item.keys():
        return None
    attribute = item["attribute"]
    if not isinstance(attribute, str) or not attribute.strip():
        return None
    return (_normalise_text(attribute), _evidence(item["value"]), _evidence(item["source"]))


def _evidence(value: object) -> str:
    if value is None:
        return NONE
    text = _normalise_text(value if isinstance(value, str) else json.dumps(value))
    return text if text and text != "null" else NONE


def parse_labels(text: str | None) -> tuple[str, ...] | None:
    """QPR's per-option ESCI labels (a JSON list such as ["I","E","S"]), or None when absent or bad."""
    if text is None or not str(text).strip():
        return None
    try:
        labels = loads_loose(str(text))
    except ValueError:
        return None
    if not isinstance(labels, list) or not labels:
        return None
    labels = [str(label).strip().upper() for label in labels]
    return tuple(labels) if all(label in ("E", "S", "C", "I") for label in labels) else None
