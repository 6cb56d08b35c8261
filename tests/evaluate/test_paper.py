"""The paper's reported numbers: which settings have them, and tasks the paper says nothing about."""

from __future__ import annotations

from ecinstruct_builder.evaluate.paper import DEFAULT_PAPER_MODEL, PAPER_MODELS, paper_value
from ecinstruct_builder.render import SETTING_ORDER
from ecinstruct_builder.tasks.base import PaperResult

IND = "IND_Diverse_Instruction"
OOD = "OOD_Diverse_Instruction"
BOTH = PaperResult("f1", "F1", ind=(0.1, 0.2, 0.3, 0.4, 0.5), ood=(0.6, 0.7, 0.8, 0.9, 1.0))
IND_ONLY = PaperResult("ndcg", "NDCG", ind=(0.1, 0.2, 0.3, 0.4, 0.5))


def test_each_model_reads_its_own_value() -> None:
    assert [paper_value(BOTH, model, IND) for model in PAPER_MODELS] == list(BOTH.ind)
    assert [paper_value(BOTH, model, OOD) for model in PAPER_MODELS] == list(BOTH.ood)


def test_settings_without_headline_numbers_have_none() -> None:
    others = [s for s in SETTING_ORDER if s not in (IND, OOD)]
    assert others
    for setting in others:
        assert paper_value(BOTH, DEFAULT_PAPER_MODEL, setting) is None


def test_no_ood_numbers_and_no_paper_numbers_give_none() -> None:
    assert paper_value(IND_ONLY, DEFAULT_PAPER_MODEL, OOD) is None
    assert paper_value(IND_ONLY, DEFAULT_PAPER_MODEL, IND) == 0.2
    assert paper_value(None, DEFAULT_PAPER_MODEL, IND) is None
