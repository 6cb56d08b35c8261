"""The pipeline benchmark's pieces: per-process peak memory, the notebook baseline, the tables."""

import gzip
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from benchmark_modules import load

pipeline = load("pipeline")
baseline = load("notebook_baseline")


def test_peak_memory_is_the_childs_own(tmp_path: Path) -> None:
    grow = "x = bytearray(300 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"
    big = pipeline.run_measured([sys.executable, "-c", grow], tmp_path / "big.log")
    small = pipeline.run_measured([sys.executable, "-c", "pass"], tmp_path / "small.log")
    # neither the first child's peak nor this (large) test process's is charged to the second child
    assert big.peak_rss_mb > 300 > 100 > small.peak_rss_mb
    with pytest.raises(pipeline.BenchmarkError, match=r"failed \(3\); see .*fail\.log"):
        pipeline.run_measured([sys.executable, "-c", "raise SystemExit(3)"], tmp_path / "fail.log")


def test_train_test_split_stand_in_takes_sizes_and_rows_like_scikit_learn() -> None:
    frame = pd.DataFrame({"n": range(10)})
    train, test = baseline.train_test_split(frame, test_size=0.2, random_state=1)
    again, _ = baseline.train_test_split(frame, test_size=0.2, random_state=1)
    assert (len(train), len(test)) == (8, 2)
    assert sorted([*train["n"], *test["n"]]) == list(range(10))
    assert train["n"].tolist() == again["n"].tolist()


def write_sources(root: Path) -> None:
    """Two review files and two ratings files: small, but every step has rows to keep and to drop."""
    folder = root / "amazon2018"
    folder.mkdir(parents=True)
    words = "this pan heats evenly and cleans up in seconds after dinner"
    for category in ("Electronics", "Tools_and_Home_Improvement"):  # an IND and the OOD category
        lines = [
            {"asin": f"B{i:03d}", "overall": float(1 + i % 5), "reviewText": words if i % 4 else "too short"}
            for i in range(40)
        ]
        records = [json.dumps(line) for line in lines] + ["not json"]
        (folder / f"{category}.json.gz").write_bytes(gzip.compress("\n".join(records).encode()))
        # the 5-core subset beside it (as upstream ships it): ECInstruct's SA read the full file only
        (folder / f"{category}_5.json.gz").write_bytes(gzip.compress("\n".join(records[:10]).encode()))
        # users u0..u5 rate items i0..i5 (a 6x6 block that survives 5-core), plus stragglers that do not
        ratings = [f"i{i},u{u},5.0,{100 + i}" for u in range(6) for i in range(6)]
        ratings += [f"i9,u{u},4.0,1" for u in range(3)] + ["i1,u9,3.0,2"]
        (folder / f"{category}.csv").write_text("\n".join(ratings) + "\n")


def test_notebook_way_and_ours_keep_the_same_rows(tmp_path: Path) -> None:
    write_sources(tmp_path)
    sa = [baseline.run_step(step, tmp_path) for step in ("sa-notebook", "sa-ours")]
    assert [s["rows_in"] for s in sa] == [82, 82]
    assert [s["rows_out"] for s in sa] == [60, 60]  # every fourth review is under 10 words
    sr = [baseline.run_step(step, tmp_path) for step in ("sr-notebook", "sr-ours")]
    assert [s["rows_in"] for s in sr] == [80, 80]
    assert [s["rows_out"] for s in sr] == [72, 72]  # the 6x6 block of each file


def test_markdown_tables() -> None:
    stage = {"stage": "fetch esci", "seconds": 1.5, "rows_in": 3000, "rows_out": 2990, "rows_per_s": 2000}
    result = {
        "scale": 0.1,
        "input_records": 8_000_000,
        "input_bytes": 1_500_000_000,
        "fetch": {"seconds": 40.0, "peak_rss_mb": 900.0},
        "render": {"seconds": 100.0, "peak_rss_mb": 2500.0},
        "total_seconds": 140.0,
        "rendered_rows": 250_000,
        "stages": [stage],
        "notebook": [
            {
                "task": "SA",
                "notebook": {"seconds": 3.0, "all_seconds": [3.2, 3.0], "peak_rss_mb": 700.0, "rows_out": 10},
                "ours": {"seconds": 0.5, "all_seconds": [0.5], "peak_rss_mb": 600.0, "rows_out": 10},
                "ratio": 6.0,
            }
        ],
    }
    reviews_only = {"scale": 1.0, "reviews_only": True, "notebook": result["notebook"]}
    host = {"nproc": 2, "ram_gb": 24.0, "cpu": "AMD EPYC", "python": "3.11.7"}
    text = pipeline.markdown([result, reviews_only], host)
    assert "| 1 (review files only) | SA | 3.00 (3.20, 3.00) | 0.50 | 6× |" in text
    assert "#### Scale 1" not in text  # no build, so no summary row and no stage table
    assert "| 0.1 | 8,000,000 | 1,500 | 40.0 | 100.0 | 140.0 | 900 | 2,500 | 250,000 |" in text
    assert "| 0.1 | SA | 3.00 (3.20, 3.00) | 0.50 | 6× | 700 | 600 | 10 | 10 |" in text
    assert "| fetch esci | 1.50 | 3,000 | 2,990 | 2,000 |" in text


def test_notebook_comparison_alternates_keeps_the_fastest_and_skips_repeating_long_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # seconds each step prints, run after run: the notebook SR step is long after its first run
    planned = {
        "sa-notebook": [3.0, 2.5, 2.8],
        "sa-ours": [0.6, 0.7, 0.5],
        "sr-notebook": [pipeline.REPEAT_UNDER_S + 1],
        "sr-ours": [4.0, 3.5, 3.9],
    }
    order = []

    def fake_run(command: list[str], log: Path):
        step = command[2]
        order.append(step)
        seconds = planned[step][sum(1 for s in order if s == step) - 1]
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(json.dumps({"step": step, "seconds": seconds, "rows_out": 5}) + "\n")
        return pipeline.Run(seconds, 100.0)

    monkeypatch.setattr(pipeline, "run_measured", fake_run)
    sa, sr = pipeline.notebook_comparison(tmp_path, tmp_path, 0.1, repeats=3)
    assert order[:4] == ["sa-notebook", "sa-ours"] * 2  # alternating: both sides see the same load
    assert (sa["notebook"]["seconds"], sa["ours"]["seconds"], sa["ratio"]) == (2.5, 0.5, 5.0)
    assert sa["notebook"]["all_seconds"] == [3.0, 2.5, 2.8]
    assert sr["notebook"]["all_seconds"] == [pipeline.REPEAT_UNDER_S + 1]  # not repeated
    assert sr["ours"]["all_seconds"] == [4.0, 3.5, 3.9]


def test_baseline_rows_say_whether_the_outputs_are_identical(tmp_path: Path) -> None:
    side = {
        "fetch": {"seconds": 40.0, "peak_rss_mb": 900.0},
        "render": {"seconds": 100.0, "peak_rss_mb": 2500.0},
        "total_seconds": 140.0,
        "stages": [
            {"stage": "SR build_clean", "seconds": 9.0, "rows_in": None, "rows_out": 5, "rows_per_s": None}
        ],
    }
    result = {
        "scale": 0.1,
        "input_records": 10,
        "input_bytes": 10,
        "rendered_rows": 5,
        "notebook": [],
        **side,
    }
    result["baseline"] = {**side, "render": {"seconds": 300.0, "peak_rss_mb": 4000.0}, "differing": []}
    host = {"nproc": 2, "ram_gb": 24.0, "cpu": "AMD EPYC", "python": "3.11.7"}
    text = pipeline.markdown([result], host)
    assert "| 0.1 | baseline | 40.0 | 300.0 | 140.0 | 900 | 4,000 |  |" in text
    assert "| 0.1 | this checkout | 40.0 | 100.0 | 140.0 | 900 | 2,500 | identical |" in text
    assert "#### Scale 0.1, baseline" in text
    result["baseline"]["differing"] = ["dataset/SR.parquet"]
    assert "| differ: dataset/SR.parquet |" in pipeline.markdown([result], host)


def test_outputs_compared_byte_for_byte(tmp_path: Path) -> None:
    for name, content in (("one", b"a"), ("other", b"a")):
        for folder in ("sources", "dataset"):
            (tmp_path / name / folder).mkdir(parents=True)
            (tmp_path / name / folder / "t.parquet").write_bytes(content)
    assert pipeline.same_outputs(tmp_path / "one", tmp_path / "other") == []
    (tmp_path / "other" / "dataset" / "t.parquet").write_bytes(b"b")
    (tmp_path / "one" / "dataset" / "only.parquet").write_bytes(b"c")
    assert pipeline.same_outputs(tmp_path / "one", tmp_path / "other") == [
        "dataset/only.parquet",
        "dataset/t.parquet",
    ]
