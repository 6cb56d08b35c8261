"""Shared fixtures: one demo build (fetch + render of the bundled samples) for the whole session."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from ecinstruct_builder.cli import main


def run_cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def build_demo(workdir: Path) -> Path:
    run_cli("fetch", "--workdir", str(workdir), "--quiet")
    run_cli("render", "--task", "all", "--workdir", str(workdir), "--quiet")
    return workdir


@pytest.fixture(scope="session")
def demo_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workdir holding the demo recipe's fetched sources, dataset, rejects and reports."""
    return build_demo(tmp_path_factory.mktemp("demo-build"))
