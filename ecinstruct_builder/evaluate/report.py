"""The terminal view of an EvalReport: one table row per task x setting, then warnings and notes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import click

from .metrics import Scores, label
from .scorer import EvalReport, GroupResult
from .tasks import PROTOCOLS

# id problem -> (what it is, what was done about it)
_ID_ISSUES = {
    "duplicate_ids": ("duplicate ids", "the first line is used"),
    "outside_selection_ids": ("ids of rows outside the selected split/setting/task", "ignored"),
    "unknown_ids": ("ids not in the dataset", "ignored"),
    "missing_ids": ("rows of the scored groups without a prediction", "counted as wrong"),
}
_SHOWN_IDS = 5


@dataclass(frozen=True)
class Cell:
    """A table cell: its plain text (for widths) and what is printed (maybe with ANSI styles)."""

    plain: str
    shown: str
    right: bool = False

    @classmethod
    def text(cls, value: object, right: bool = False) -> Cell:
        return cls(str(value), str(value), right)


def number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def scores_cell(metrics: Scores, primary: str) -> Cell:
    """Every metric with a value, the primary one in bold."""
    parts = [(f"{label(k)} {number(v)}", k == primary) for k, v in metrics.items() if v is not None]
    plain = "  ".join(text for text, _ in parts)
    shown = "  ".join(click.style(text, bold=True) if bold else text for text, bold in parts)
    return Cell(plain, shown)


def _row(result: GroupResult, show_valid_only: bool, show_paper: bool) -> list[Cell]:
    cells = [
        Cell.text(result.abbr),
        Cell.text(result.setting),
        Cell.text(result.rows, right=True),
        Cell.text(result.invalid, right=True),
        Cell.text(result.missing, right=True),
        scores_cell(result.metrics, result.primary),
    ]
    if show_valid_only:
        shown = result.valid_only.get(result.primary) if result.valid_only is not None else None
        cells.append(Cell.text(f"{label(result.primary)} {number(shown)}"))
    if show_paper:
        cells.append(Cell.text(_paper_text(result), right=True))
    return cells


def _paper_text(result: GroupResult) -> str:
    # Name the paper's metric when ours differs (AG scored with ROUGE-L because F_BERT could not run).
    if result.paper is None or result.paper_metric == result.primary:
        return number(result.paper)
    return f"{number(result.paper)} ({result.paper_label})"


def _line(cells: Sequence[Cell], widths: Sequence[int]) -> str:
    padded = []
    for cell, width in zip(cells, widths, strict=True):
        pad = " " * (width - len(cell.plain))
        padded.append(pad + cell.shown if cell.right else cell.shown + pad)
    return "  ".join(padded).rstrip()


def format_table(report: EvalReport) -> list[str]:
    """The table lines (task x setting rows), with a header."""
    show_paper = report.paper_model is not None
    # A protocol with a single way of counting (ecellm) has no "valid only" column.
    show_valid_only = any(result.valid_only is not None for result in report.results)
    header = ["task", "setting", "rows", "invalid", "missing", "scores (primary in bold)"]
    if show_valid_only:
        header.append("primary, valid only")
    if show_paper:
        header.append(f"paper {report.paper_model}")
    body = [_row(result, show_valid_only, show_paper) for result in report.results]
    head = [Cell.text(h, right=i in (2, 3, 4)) for i, h in enumerate(header)]
    rows = [head, *body]
    widths = [max(len(row[i].plain) for row in rows) for i in range(len(header))]
    return [_line(row, widths) for row in rows]


def format_report(report: EvalReport) -> list[str]:
    """Everything printed on the terminal: title, table, how to read it, id problems, notes."""
    mode = "aligned row by row" if report.aligned else "matched by id"
    lines = [f"{report.predictions} ({mode}) on {report.dataset}, {report.selection.describe()}", ""]
    lines += format_table(report)
    lines += ["", PROTOCOLS[report.protocol].summary]
    if report.paper_model is not None:
        lines.append(
            f"paper {report.paper_model}: the eCeLLM paper's reported primary metric on the "
            "diverse-instruction test sets (n/a for other settings), not computed here"
        )
    for kind, ids in report.id_issues.items():
        if ids:
            shown = ", ".join(ids[:_SHOWN_IDS]) + (", ..." if len(ids) > _SHOWN_IDS else "")
            what, action = _ID_ISSUES[kind]
            lines.append(f"warning: {what}: {len(ids)} ({action}): {shown}")
    lines += [f"note: {note}" for note in report.notes]
    return lines
