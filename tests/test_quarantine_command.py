"""`ecbuild quarantine`: counts by source, file and reason, with the first examples, from a real fetch."""

from pathlib import Path

import polars as pl
from click.testing import CliRunner

from ecinstruct_builder.cli import main
from ecinstruct_builder.quarantine import Quarantine
from ecinstruct_builder.quarantine_command import summary_lines
from ecinstruct_builder.workdir import WorkDir


def _quarantine(rows: list[tuple[str, str, int, str, str]]) -> pl.DataFrame:
    quarantine = Quarantine()
    for source, file, line, raw, reason in rows:
        quarantine.add(source=source, file=file, line=line, raw=raw, reason=reason)
    return quarantine.frame()


def test_counts_nest_by_source_file_and_reason_with_capped_examples() -> None:
    frame = _quarantine(
        [
            ("s1", "a.json", 3, '{"x"', "invalid JSON"),
            ("s1", "a.json", 7, '{"y"', "invalid JSON"),
            ("s1", "a.json", 9, "\x00junk\n", "not valid UTF-8"),
            ("s1", "b.json", 1, "{}", "missing required field asin"),
            ("s2", "c.csv", 4, "a,b", "expected 5 CSV fields, got 2"),
        ]
    )

    lines = summary_lines(frame, examples=1)

    assert lines == [
        "5 quarantined record(s) in 3 file(s)",
        "s1: 4",
        "  a.json: 3",
        "    2 x invalid JSON",
        '        line 3: {"x"',
        "    1 x not valid UTF-8",
        "        line 9: \\x00junk\\n",
        "  b.json: 1",
        "    1 x missing required field asin",
        "        line 1: {}",
        "s2: 1",
        "  c.csv: 1",
        "    1 x expected 5 CSV fields, got 2",
        "        line 4: a,b",
    ]


def test_an_empty_quarantine_says_so() -> None:
    assert summary_lines(_quarantine([]), examples=3) == ["quarantine is empty: every record was read"]


def test_command_reports_the_fetch_of_the_bundled_samples(tmp_path: Path) -> None:
    runner = CliRunner()
    fetched = runner.invoke(main, ["fetch", "--workdir", str(tmp_path), "--quiet"])
    assert fetched.exit_code == 0, fetched.output
    stored = pl.read_parquet(WorkDir(tmp_path).quarantine_path)

    result = runner.invoke(main, ["quarantine", "--workdir", str(tmp_path), "--examples", "2"])

    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[0]
        == f"{stored.height} quarantined record(s) in {stored['file'].n_unique()} file(s)"
    )
    for source, count in stored.group_by("source").len().rows():
        assert f"{source}: {count}" in result.output.splitlines()


def test_without_a_fetch_it_is_one_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["quarantine", "--workdir", str(tmp_path)])

    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        f"Error: no quarantine in {tmp_path}; run `ecbuild fetch --workdir {tmp_path}` first"
    ]
