"""Stage timings: per source in the fetch manifest, per task and stage in the build report."""

import json
from collections import Counter
from pathlib import Path

from ecinstruct_builder.report import BuildReport, from_json
from ecinstruct_builder.tasks import builders


def test_fetch_manifest_times_every_source_and_counts_its_rows(demo_workdir: Path) -> None:
    manifest = json.loads((demo_workdir / "sources" / "manifest.json").read_text())
    table_rows = Counter()
    for info in manifest["tables"].values():
        table_rows[info["source"]] += info["rows"]
    read = Counter()
    for file in manifest["files"]:
        read[file["source"]] += sum(file["rows"].values()) + file["quarantined"]
    timings = manifest["timings"]
    assert set(timings) == set(table_rows)
    for source, timing in timings.items():
        assert timing["seconds"] >= 0 and timing["read_seconds"] >= 0
        assert timing["rows_out"] == table_rows[source]
        assert timing["rows_in"] == read[source]
        assert timing["files"] == sum(f["source"] == source for f in manifest["files"])
    assert (
        timings["amazon2018"]["rows_in"] - timings["amazon2018"]["rows_out"] > 0
    )  # duplicates and bad lines


def read_report(workdir: Path) -> BuildReport:
    return from_json(BuildReport, (workdir / "reports" / "build.json").read_text())


def test_build_report_times_every_stage_of_every_task(demo_workdir: Path) -> None:
    report = read_report(demo_workdir)
    # other tests may re-render a few tasks into the shared demo work dir: check the tasks it holds
    assert set(report.tasks) <= set(builders())
    for task in report.tasks.values():
        stages = task.timings
        assert set(stages) == {"build_clean", "select", "render"}
        assert stages["build_clean"].rows_in is None
        assert stages["build_clean"].rows_out == task.split.candidates == stages["select"].rows_in
        assert stages["select"].rows_out == sum(q.selected for q in task.split.quotas)
        assert stages["render"].rows_out == task.rows
        assert all(stage.seconds >= 0 for stage in stages.values())
    assert report.cross_task_leakage.seconds >= 0


def test_build_markdown_lists_the_timings_of_every_task_stage(demo_workdir: Path) -> None:
    report = read_report(demo_workdir)
    text = (demo_workdir / "reports" / "build.md").read_text()
    section = text[text.index("## Stage timings") :]
    for abbr, task in report.tasks.items():
        for stage, timing in task.timings.items():
            assert f"| {abbr} | {stage} | {timing.seconds:.2f} |" in section
    assert "| all | cross-task leakage |" in section
