"""How a rendered row is shown to people, shared by the Markdown sample pages and the HTML page.

Inputs and examples are pretty-printed when they parse as JSON (or, like SR's lists, as a Python
literal), options are shown as a list, and the lineage names where the row came from.
"""

from __future__ import annotations

import ast
import json
from typing import Any

# Lineage fields shown after the source and its ids, with their labels.
LINEAGE_FIELDS = (
    ("product_id", "product"),
    ("category", "category"),
    ("template_id", "template"),
    ("labels", "labels"),
)


def parse_loose(text: str) -> Any:
    """A JSON value, or a Python literal (SR's lists are written that way); None when it is neither."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None


def pretty(text: str | None) -> tuple[str, bool]:
    """`text` indented as JSON when it holds a list or an object (True), else as it is (False)."""
    value = parse_loose(text or "")
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, ensure_ascii=False), True
    return text or "", False


def option_list(text: str | None) -> list[str] | None:
    """The options as a list; [] when the task has none; None when they are not a list (shown as text)."""
    if not (text or "").strip():
        return []
    value = parse_loose(text or "")
    return [str(option) for option in value] if isinstance(value, list) and value else None


def lineage(row: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(label, values) pairs: the source, its ids, then each lineage field the row has."""
    items = [("source", [str(row["source"])]), ("source ids", [str(i) for i in row["source_ids"] or []])]
    return items + [(label, [str(row[key])]) for key, label in LINEAGE_FIELDS if row.get(key)]


def _profile(scale: float | None) -> str:
    return "the bundled demo profile" if scale is None else f"scale {scale}"


def origin_note(synthetic: dict[str, Any] | None) -> str:
    """What the sample rows were built from, for the top of every sample page (plain text)."""
    if synthetic is None:
        return (
            "Built from source files that ecbuild synth did not write (your copies of the upstream "
            "data): check each source's licence before you share these pages."
        )
    if "seed" in synthetic:  # one scale and seed for every source
        made = f"{_profile(synthetic.get('scale'))}, seed {synthetic['seed']}"
    else:
        made = "; ".join(
            f"{name}: {_profile(entry.get('scale'))}, seed {entry.get('seed')}"
            for name, entry in synthetic.get("sources", {}).items()
        )
    return (
        "Synthetic data: every row here comes from files written by ecbuild synth "
        f"({made}), not from the upstream datasets; the text is "
        "made up, so it shows the format, not the content, of ECInstruct."
    )


def config_split(setting: str, split: str) -> str:
    """The Hub split of a row: its `split`, except that an OOD setting's test rows are `test_ood`."""
    return "test_ood" if setting.startswith("OOD_") and split == "test" else split
