"""Row formats: how rendered fields are written, ours (`ecbuild`) or as ECInstruct published them.

The recipe's `[render]` table picks a preset (`row_format`) and may set any single rule apart from
it, so a build can, say, keep our 1-shot examples but write JSON with ASCII escapes. Each rule is a
small function below; the templates reach them through Jinja filters (`templates.environment`), and
`render` applies the 1-shot rules. The published rules, read from the authors' notebooks:

- JSON (inputs, option lists, 1-shot examples) is `json.dumps` with its default ASCII escapes;
- PRP's input keys carry a colon (`"Product 1:"`);
- SR's options cell is Python's `str(list)`, like its input;
- PM's missing values: `str(NaN)` = `"nan"` for manufacturer and price, a bare `NaN` for the
  description (the notebook left that field unconverted);
- the 1-shot example holds the train row's input, options (only when the task has options) and
  output, not its instruction;
- SR's 1-shot pairing: the notebook paired test row i with train row i of files that were laid out
  category by category, so the example of a first-category test row is the same user's train row.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from .schema import option

RowFormat = Literal["ecbuild", "ecinstruct"]


@dataclass(frozen=True)
class RenderConfig:
    """`[render]`: how rendered rows are written. Each rule left unset follows `row_format`."""

    row_format: RowFormat = option(
        "ecbuild",
        "ecbuild: our format; ecinstruct: each rule below as ECInstruct published it (unless set apart)",
    )
    ascii_json: bool | None = option(
        None,
        "JSON in inputs, options and 1-shot examples written with \\uXXXX escapes for non-ASCII "
        "characters (json.dumps' default, as published); false keeps the characters",
    )
    one_shot_example: Literal["full", "published"] | None = option(
        None,
        "full: the train example's instruction, input, options and output; published: its input, its "
        "options when the task has any, and its output",
    )
    one_shot_pairing: Literal["selection", "category_blocks"] | None = option(
        None,
        "SR: test row i gets train row i in selection order, or (category_blocks, as the SR notebook) "
        "with both laid out category by category in the order of `ind_categories`",
    )
    prp_input_keys: Literal["plain", "colon"] | None = option(
        None, 'PRP input keys "Product 1" / "Product 2", or with a colon ("Product 1:") as published'
    )
    sr_options: Literal["json", "python"] | None = option(
        None, "SR options cell as a JSON list, or as Python's str(list) as published"
    )
    pm_missing: Literal["null", "nan"] | None = option(
        None,
        'PM missing values as JSON null, or as published: "nan" for manufacturer and price, a bare NaN '
        "for the description",
    )


# What each preset means for every rule; a rule set in the recipe wins.
PRESETS: dict[str, dict[str, Any]] = {
    "ecbuild": {
        "ascii_json": False,
        "one_shot_example": "full",
        "one_shot_pairing": "selection",
        "prp_input_keys": "plain",
        "sr_options": "json",
        "pm_missing": "null",
    },
    "ecinstruct": {
        "ascii_json": True,
        "one_shot_example": "published",
        "one_shot_pairing": "category_blocks",
        "prp_input_keys": "colon",
        "sr_options": "python",
        "pm_missing": "nan",
    },
}


@dataclass(frozen=True)
class RowStyle:
    """The rules that apply to one task, resolved from `[render]` (the defaults are ecbuild's)."""

    ascii_json: bool = False
    colon_keys: bool = False
    python_option_lists: bool = False
    nan_missing: bool = False
    published_one_shot: bool = False
    category_blocks: bool = False


#: ecbuild's own format, the default of every renderer
ECBUILD_STYLE = RowStyle()


def resolved(config: RenderConfig) -> dict[str, Any]:
    """Every rule's value: the recipe's where set, else the preset's."""
    preset = PRESETS[config.row_format]
    rules = (f.name for f in fields(config) if f.name != "row_format")
    return {name: preset[name] if getattr(config, name) is None else getattr(config, name) for name in rules}


def style_for(config: RenderConfig, abbr: str) -> RowStyle:
    """The style of task `abbr`; the task-named rules apply to their task only."""
    rules = resolved(config)
    return RowStyle(
        ascii_json=rules["ascii_json"],
        colon_keys=abbr == "PRP" and rules["prp_input_keys"] == "colon",
        python_option_lists=abbr == "SR" and rules["sr_options"] == "python",
        nan_missing=abbr == "PM" and rules["pm_missing"] == "nan",
        published_one_shot=rules["one_shot_example"] == "published",
        category_blocks=abbr == "SR" and rules["one_shot_pairing"] == "category_blocks",
    )


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def ascii_escaped(json_text: str) -> str:
    """A JSON text with every non-ASCII character as json.dumps' \\uXXXX escape (a surrogate pair
    above U+FFFF); JSON allows such characters only inside strings, so the value is unchanged."""
    return _NON_ASCII.sub(lambda m: json.dumps(m.group())[1:-1], json_text)


def json_text(value: Any, style: RowStyle) -> str:
    """`value` as JSON, with json.dumps' ", " and ": " separators (as ECInstruct wrote it)."""
    return json.dumps(value, ensure_ascii=style.ascii_json)


def json_passthrough(text: str, style: RowStyle) -> str:
    """A JSON text a builder already wrote (AVE's label), escaped like `json_text` would write it."""
    return ascii_escaped(text) if style.ascii_json else text


def input_key(name: str, style: RowStyle) -> str:
    """A key of a JSON input: PRP's published keys end with a colon."""
    return f"{name}:" if style.colon_keys else name


def option_list(options: Sequence[str], style: RowStyle) -> str:
    """An options cell: a JSON list, or Python's str(list) as SR was published."""
    return str(list(options)) if style.python_option_lists else json_text(list(options), style)


def missing_as_str(value: Any, style: RowStyle) -> Any:
    """A field the notebook passed through str(): a missing value is pandas' str(NaN), "nan"."""
    return "nan" if value is None and style.nan_missing else value


def missing_as_float(value: Any, style: RowStyle) -> Any:
    """A field the notebook left as pandas gave it: missing is the float NaN, which json.dumps
    writes as a bare NaN."""
    return math.nan if value is None and style.nan_missing else value


def one_shot_text(example: Mapping[str, str], style: RowStyle) -> str:
    """A 1-shot example cell from a rendered train row (`instruction`, `input`, `options`, `output`)."""
    if style.published_one_shot:
        keys = ("input", "options", "output") if example["options"] else ("input", "output")
    else:
        keys = ("instruction", "input", "options", "output")
    return json_text({k: example[k] for k in keys}, style)
