"""Instruction templates: data files in `templates/<ABBR>.toml`, rendered with a strict sandbox.

A template file holds, for one task:

- `task`: the task abbreviation;
- `base`: the id of the base instruction (the `Single` setting);
- `unseen`: the id of the held-out instruction (the `Unseen` setting only; never in train/validation);
- `[[instructions]]`: at least 6 paraphrases, each with a stable `id` and `text`;
- `[render]`: Jinja for `input`, `options` and `output`, over the builder's candidate columns.

Rendering uses `SandboxedEnvironment(undefined=StrictUndefined)`: a misspelled field is an error,
never an empty string. Its filters write a field by the recipe's row format (`rowformat.py`):
`json` (a value as JSON), `json_text` (JSON text a builder wrote), `input_key`, `option_list`,
`missing_str` and `missing_float`; `truncate_words` cuts a text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from .compat import tomllib
from .errors import EcbuildError
from .paths import templates_dir
from .rowformat import (
    ECBUILD_STYLE,
    RowStyle,
    input_key,
    json_passthrough,
    json_text,
    missing_as_float,
    missing_as_str,
    option_list,
)

MIN_INSTRUCTIONS = 6
RENDERED_FIELDS = ("input", "options", "output")


def _truncate_words(text: str | None, limit: int, suffix: str = "...") -> str:
    words = (text or "").split()
    return " ".join(words) if len(words) <= limit else " ".join(words[:limit]) + suffix


@cache
def environment(style: RowStyle = ECBUILD_STYLE) -> SandboxedEnvironment:
    """The strict environment whose filters write fields in `style` (rowformat.py has the rules)."""
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters["truncate_words"] = _truncate_words
    rules = {
        "json": json_text,
        "json_text": json_passthrough,
        "input_key": input_key,
        "option_list": option_list,
        "missing_str": missing_as_str,
        "missing_float": missing_as_float,
    }
    for name, rule in rules.items():
        env.filters[name] = lambda value, rule=rule: rule(value, style)
    return env


class TemplateFileError(EcbuildError):
    """A template file is malformed."""


@dataclass(frozen=True)
class TaskTemplates:
    task: str
    path: Path
    base: str
    unseen: str
    instructions: dict[str, str]  # id -> text, in file order
    render: dict[str, str]  # input / options / output -> Jinja source

    @property
    def seen_ids(self) -> list[str]:
        """Instructions for the Diverse setting: all but the held-out one (the base included)."""
        return [i for i in self.instructions if i != self.unseen]

    def variables(self) -> set[str]:
        """Every candidate column the render Jinja reads."""
        env = environment()
        found: set[str] = set()
        for source in self.render.values():
            found |= meta.find_undeclared_variables(env.parse(source))
        return found

    def compiled(self, style: RowStyle = ECBUILD_STYLE) -> dict[str, Any]:
        env = environment(style)
        return {name: env.from_string(source) for name, source in self.render.items()}


def _fail(path: Path, message: str) -> TemplateFileError:
    return TemplateFileError(f"template {path}: {message}")


def parse_template_file(path: Path) -> TaskTemplates:
    """Read and validate one template file (structure only; fields are checked against builders in tests)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise _fail(path, f"cannot be read ({exc})") from exc
    instructions: dict[str, str] = {}
    for entry in data.get("instructions", []):
        ident, text = entry.get("id"), entry.get("text")
        if not isinstance(ident, str) or not isinstance(text, str) or not text.strip():
            raise _fail(path, f"every instruction needs a string id and a non-empty text, got {entry!r}")
        if ident in instructions:
            raise _fail(path, f"duplicate instruction id {ident!r}")
        instructions[ident] = " ".join(text.split())
    if len(instructions) < MIN_INSTRUCTIONS:
        raise _fail(path, f"needs at least {MIN_INSTRUCTIONS} instructions, has {len(instructions)}")
    if len(set(instructions.values())) != len(instructions):
        raise _fail(path, "two instructions have the same text")
    base, unseen = data.get("base"), data.get("unseen")
    if base not in instructions or unseen not in instructions or base == unseen:
        raise _fail(path, "`base` and `unseen` must name two different instruction ids")
    render = data.get("render", {})
    missing = [name for name in RENDERED_FIELDS if not isinstance(render.get(name), str)]
    if missing:
        raise _fail(path, f"[render] lacks {', '.join(missing)}")
    try:
        for name in RENDERED_FIELDS:
            environment().parse(render[name])
    except TemplateError as exc:
        raise _fail(path, f"[render] {name} is not valid Jinja ({exc})") from exc
    task = data.get("task")
    if task != path.stem:
        raise _fail(path, f"`task` must equal the file name {path.stem!r}, got {task!r}")
    return TaskTemplates(
        task=task,
        path=path,
        base=base,
        unseen=unseen,
        instructions=instructions,
        render={name: render[name] for name in RENDERED_FIELDS},
    )


def template_path(abbr: str, folder: Path | None = None) -> Path:
    """Where a task's template file is: `folder/<ABBR>.toml` when the user's folder has one, else
    the bundled file (a user folder may replace the wording of some tasks only)."""
    if folder is not None and (folder / f"{abbr}.toml").is_file():
        return folder / f"{abbr}.toml"
    return templates_dir() / f"{abbr}.toml"


def load_templates(abbr: str, folder: Path | None = None) -> TaskTemplates:
    path = template_path(abbr, folder)
    if not path.is_file():
        raise TemplateFileError(f"no template file for task {abbr} at {path}; add templates/{abbr}.toml")
    return parse_template_file(path)


def check_fields(templates: TaskTemplates, columns: set[str]) -> None:
    """Every variable the templates use is a column of the task's candidates."""
    unknown = sorted(templates.variables() - columns)
    if unknown:
        raise TemplateFileError(
            f"template {templates.path}: uses {', '.join(unknown)}, which task {templates.task} does not "
            f"have; its fields: {', '.join(sorted(columns))}"
        )


def render_fields(compiled: dict[str, Any], row: dict[str, Any]) -> dict[str, str]:
    """Render input / options / output for one candidate row (a dict of its columns)."""
    return {name: template.render(**row).strip() for name, template in compiled.items()}
