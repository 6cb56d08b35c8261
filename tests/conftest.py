"""Shared fixtures: one demo build (fetch + render of the bundled samples) for the whole session."""

from pathlib import Path

import pytest
from demo_build import build_demo


@pytest.fixture(scope="session")
def demo_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workdir holding the demo recipe's fetched sources, dataset, rejects and reports."""
    return build_demo(tmp_path_factory.mktemp("demo-build"))
