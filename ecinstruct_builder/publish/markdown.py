"""Small Markdown builders shared by the dataset card and the sample pages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

_BACKTICKS = re.compile(r"`+")


def cell(value: Any) -> str:
    """A table cell: pipes escaped and line breaks flattened, so any text keeps the table intact."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fence(text: str, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any run of backticks inside `text`."""
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(text)), default=0)
    marker = "`" * max(3, longest + 1)
    return f"{marker}{lang}\n{text}\n{marker}"


def number(value: int) -> str:
    return f"{value:,}"
