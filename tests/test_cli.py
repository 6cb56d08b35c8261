"""CLI habits shared by every command: -q/-v, when progress bars show, and --json summaries."""

from __future__ import annotations

import json
from pathlib import Path

import click
import polars as pl
import pytest
from click.testing import CliRunner, Result

from ecinstruct_builder.cli import main
from ecinstruct_builder.sources.layout import SYNTHETIC_MARKER
from ecinstruct_builder.verbosity import progress_allowed


def invoke(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_takes_quiet_and_verbose(name: str) -> None:
    command = main.commands[name]
    flags = {flag for param in command.params if isinstance(param, click.Option) for flag in param.opts}
    assert {"-q", "--quiet", "-v", "--verbose"} <= flags


@pytest.mark.parametrize(
    ("quiet", "terminal", "environ", "shown"),
    [
        (False, True, {}, True),
        (False, True, {"TQDM_DISABLE": ""}, True),
        (False, True, {"TQDM_DISABLE": "0"}, True),
        (False, True, {"TQDM_DISABLE": "1"}, False),
        (False, True, {"TQDM_DISABLE": "true"}, False),
        (False, False, {}, False),
        (True, True, {}, False),
    ],
)
def test_progress_bars_only_on_a_terminal_without_quiet_or_tqdm_disable(
    quiet: bool, terminal: bool, environ: dict[str, str], shown: bool
) -> None:
    assert progress_allowed(quiet, terminal, environ) is shown


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Result]:
    """fetch, render and export of the bundled samples with --json, and without it for comparison."""
    work = tmp_path_factory.mktemp("cli") / "work"
    out = work.parent / "export"
    return {
        "fetch": invoke("fetch", "--workdir", work, "--json", "-v"),
        "fetch-text": invoke("fetch", "--workdir", work),
        "render": invoke("render", "--workdir", work, "--json"),
        "render-text": invoke("render", "--workdir", work),
        "export": invoke("export", "--workdir", work, "--out", out, "--json", "-q"),
        "export-text": invoke("export", "--workdir", work, "--out", out),
        "work": Path(work),  # type: ignore[dict-item]
    }


def test_no_progress_bar_when_output_is_not_a_terminal(runs: dict[str, Result]) -> None:
    # CliRunner's streams are not terminals: no bar redraws, although no --quiet was given
    for name in ("fetch-text", "render-text", "export-text"):
        assert "\r" not in runs[name].stderr and "it/s" not in runs[name].stderr


def test_verbose_says_more_on_stderr_and_quiet_silences_it(runs: dict[str, Result]) -> None:
    assert "INFO: recipe demo (" in runs["fetch"].stderr
    assert "INFO:" not in runs["fetch-text"].stderr
    quiet = invoke("fetch", "--workdir", runs["work"], "-q", "-v")
    assert "INFO:" not in quiet.stderr


def test_fetch_json_is_one_object_with_the_text_summary(runs: dict[str, Result]) -> None:
    summary = json.loads(runs["fetch"].stdout)
    assert summary["command"] == "fetch" and summary["recipe"] == "demo"
    text = runs["fetch-text"].stdout.splitlines()
    for table, rows in summary["tables"].items():
        assert f"  {table:<28} {rows:>12,} rows" in text
    assert f"  quarantined {summary['quarantined']:,} bad record(s)" in "\n".join(text)


def test_render_json_counts_the_rows_written(runs: dict[str, Result]) -> None:
    summary = json.loads(runs["render"].stdout)
    assert summary["command"] == "render" and summary["tasks"]
    written = pl.read_parquet(sorted(Path(summary["dataset"]).rglob("*.parquet")), columns=["task"])
    per_task = sum(task["rows"] for task in summary["tasks"].values())
    assert per_task == written.height
    assert set(summary["built"]) == set(summary["tasks"])  # a fresh work dir: every task built
    again = json.loads(invoke("render", "--workdir", runs["work"], "--json").stdout)
    assert again["built"] == [] and set(again["reused"]) == set(summary["tasks"])
    assert {t["state"] for t in again["tasks"].values()} == {"reused"}


def test_export_json_lists_configs_as_the_text_lines(runs: dict[str, Result]) -> None:
    summary = json.loads(runs["export"].stdout)
    assert summary["command"] == "export" and summary["configs"]
    text = runs["export-text"].stdout.splitlines()
    for name, splits in summary["configs"].items():
        assert f"  {name:<36} " + " ".join(f"{s}={n:,}" for s, n in splits.items()) in text
    assert f"exported {summary['files']} files to {summary['out']}" in text


def test_synth_writes_only_the_named_sources_and_refuses_unknown_ones(tmp_path: Path) -> None:
    invoke("synth", "--out", tmp_path / "raw", "--source", "amazon_google", "--quiet")
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == sorted(["amazon_google", SYNTHETIC_MARKER])
    result = CliRunner().invoke(main, ["synth", "--out", str(tmp_path / "x"), "--source", "esic"])
    assert result.exit_code == 2 and "--source 'esic' is not a source" in result.output
    assert not (tmp_path / "x").exists()
