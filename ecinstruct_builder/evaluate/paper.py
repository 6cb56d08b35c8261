"""The eCeLLM paper's reported numbers beside ours: which model row, which settings have them.

The numbers themselves live with each task (`TaskBuilder.paper`, see `PaperResult` for the source).
They are shown for comparison only, never computed here. The paper scored with its evaluate.py,
which left invalid outputs out of the classification tasks but counted them for AVE (an empty list)
and QPR (NDCG 0): `--protocol ecellm` scores the same way.
"""

from __future__ import annotations

from ..tasks.base import PAPER_MODELS, PaperResult

__all__ = ["DEFAULT_PAPER_MODEL", "PAPER_MODELS", "paper_value"]

DEFAULT_PAPER_MODEL = "eCeLLM-M"

# Only these settings have headline numbers in the paper.
_DOMAIN_OF_SETTING = {"IND_Diverse_Instruction": "IND", "OOD_Diverse_Instruction": "OOD"}


def paper_value(paper: PaperResult | None, model: str, setting: str) -> float | None:
    """The paper's reported primary metric for a task, model and setting; None when it reports none."""
    domain = _DOMAIN_OF_SETTING.get(setting)
    if paper is None or domain is None:
        return None
    return paper.value(model, domain)
