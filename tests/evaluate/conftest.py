"""Fixtures of the eval tests."""

import pytest

from ecinstruct_builder.evaluate import neural


@pytest.fixture(autouse=True)
def no_model_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Behave as on a machine without bert_score / bleurt_pytorch, whatever this one has."""
    monkeypatch.setattr(neural, "availability", lambda metric: (None, f"{metric.label} skipped: test"))
