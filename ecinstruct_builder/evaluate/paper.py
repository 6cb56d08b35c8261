"""The eCeLLM paper's reported numbers, for side-by-side comparison only (never computed here).

Source: Peng et al., "eCeLLM", ICML 2024, headline tables as published on the project site
(ninglab.github.io/eCeLLM, `tables/overall_performance_indomain.html` and `..._OOD.html`). Each
number is the paper's primary metric of the task on ECInstruct's diverse-instruction test set, IND
or OOD; the paper has no headline numbers for the other settings. The paper left invalid outputs
out of its scores, so compare with our "valid only" column as well as the default one.
"""

from __future__ import annotations

# The paper's primary metric per task (our metric name, the paper's label).
PAPER_METRIC = {
    "AVE": ("f1", "F1*"),
    "PRP": ("macro_f1", "Macro F1"),
    "PM": ("f1", "F1"),
    "SA": ("macro_f1", "Macro F1"),
    "SR": ("hr@1", "HR@1"),
    "MPC": ("accuracy", "Accuracy"),
    "PSI": ("f1", "F1"),
    "QPR": ("ndcg", "NDCG"),
    "AP": ("f1", "F1"),
    "AG": ("f_bert", "F_BERT"),
}

_IND_TASKS = ("AVE", "PRP", "PM", "SA", "SR", "MPC", "PSI", "QPR", "AP", "AG")
_OOD_TASKS = ("AVE", "PRP", "SA", "SR", "AP", "AG")

# model -> (IND numbers in _IND_TASKS order, OOD numbers in _OOD_TASKS order)
_REPORTED: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "eCeLLM-L": (
        (0.582, 0.611, 0.995, 0.648, 0.526, 0.684, 0.501, 0.870, 0.851, 0.841),
        (0.335, 0.558, 0.629, 0.273, 0.867, 0.841),
    ),
    "eCeLLM-M": (
        (0.662, 0.558, 0.995, 0.639, 0.542, 0.696, 0.305, 0.876, 0.846, 0.842),
        (0.367, 0.502, 0.640, 0.280, 0.878, 0.840),
    ),
    "eCeLLM-S": (
        (0.509, 0.518, 0.991, 0.596, 0.479, 0.650, 0.392, 0.870, 0.846, 0.842),
        (0.302, 0.520, 0.565, 0.241, 0.879, 0.840),
    ),
    "GPT-4-Turbo": (
        (0.495, 0.326, 0.753, 0.516, 0.387, 0.611, 0.195, 0.875, 0.649, 0.858),
        (0.397, 0.392, 0.510, 0.198, 0.680, 0.860),
    ),
    "SoTA": (
        (0.546, 0.588, 0.995, 0.573, 0.265, 0.703, 0.389, 0.859, 0.830, 0.858),
        (0.269, 0.507, 0.567, 0.081, 0.853, 0.860),
    ),
}

PAPER_MODELS = tuple(_REPORTED)
DEFAULT_PAPER_MODEL = "eCeLLM-M"

# Only these settings have headline numbers in the paper.
_DOMAIN_OF_SETTING = {"IND_Diverse_Instruction": "IND", "OOD_Diverse_Instruction": "OOD"}


def paper_value(model: str, abbr: str, setting: str) -> float | None:
    """The paper's reported primary metric for a model, task and setting; None when it reports none."""
    domain = _DOMAIN_OF_SETTING.get(setting)
    ind, ood = _REPORTED[model]
    if domain == "IND" and abbr in _IND_TASKS:
        return ind[_IND_TASKS.index(abbr)]
    if domain == "OOD" and abbr in _OOD_TASKS:
        return ood[_OOD_TASKS.index(abbr)]
    return None
