"""Build the demo recipe through the CLI, as a user runs it (shared by the session fixture and tests)."""

from pathlib import Path

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
