"""Pipeline scale benchmark: the `ecinstruct` recipe on synthetic inputs at several scales.

For each scale it makes (or reuses) synthetic upstream files, then runs `ecbuild fetch --source-dir`
and `ecbuild render --task all`, each in a fresh process so that peak memory is per run, and reports
per stage: wall time, rows in / out, rows per second and peak RSS, plus totals. In the same run it
times two eCeLLM notebook steps against ours on the same files (`notebook_baseline.py`).

    python benchmarks/pipeline.py --scales 0.01 0.03 0.1 0.3

With `--baseline DIR` (an earlier source tree, e.g. `git archive REV | tar -x -C DIR`) each scale is
first built by that code on the same inputs, and every fetched table and dataset file of the two
builds is compared byte for byte.

Inputs live under --scratch (default /tmp/ecbuild-bench/inputs-<scale>) and are reused while the
generator's code is unchanged; results go to --scratch/results.json and, as Markdown, to stdout
(and --markdown FILE).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ecinstruct_builder.report import BuildReport, from_json  # plain dataclasses: nothing heavy

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SYNTHETIC = REPO / "ecinstruct_builder" / "synthetic"
MARKER = ".ecbuild-bench.json"
NOTEBOOK_STEPS = (("SA", "sa-notebook", "sa-ours"), ("SR", "sr-notebook", "sr-ours"))
RENDER_STAGES = ("build_clean", "select", "render")  # a task's stages in the build report, in order
REPEAT_UNDER_S = 60  # notebook-comparison runs longer than this are not repeated


class BenchmarkError(RuntimeError):
    """A child process failed; the message names its log."""


@dataclass
class Run:
    """One child process: its wall time and the peak resident memory of that process alone."""

    seconds: float
    peak_rss_mb: float


# Runs a command as its own child and writes that child's peak RSS (KiB) to the file named first.
# Linux charges a child, at exec, with the peak of the memory it was forked from; forked from this
# small launcher rather than from the benchmark process, the figure is the command's own.
LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"exit": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss}, out)
"""


def run_measured(command: list[str], log: Path, code: Path | None = None) -> Run:
    """Run `command` with its output in `log`; return its wall time and its own peak RSS. With
    `code` (the root of another ecbuild source tree), `ecinstruct_builder` is imported from there."""
    log.parent.mkdir(parents=True, exist_ok=True)
    usage_file = log.with_suffix(".rss.json")
    started = time.perf_counter()
    with log.open("wb") as out:
        launcher = [sys.executable, "-c", LAUNCHER, str(usage_file), *command]
        env = None if code is None else {**os.environ, "PYTHONPATH": str(code)}
        subprocess.run(launcher, stdout=out, stderr=subprocess.STDOUT, cwd=code or REPO, env=env, check=False)
    seconds = round(time.perf_counter() - started, 2)
    usage = json.loads(usage_file.read_text()) if usage_file.is_file() else {"exit": -1, "maxrss_kb": 0}
    if usage["exit"] != 0:
        raise BenchmarkError(f"{' '.join(command)} failed ({usage['exit']}); see {log}")
    return Run(seconds, round(usage["maxrss_kb"] / 1024, 1))


def generator_fingerprint() -> str:
    """A hash of the generator's code: inputs made by other code are not reused."""
    digest = hashlib.sha256()
    for path in sorted(SYNTHETIC.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_inputs(scratch: Path, scale: float, seed: int) -> tuple[Path, dict[str, Any]]:
    """The synthetic inputs of one scale, generated unless a folder made by the same code exists."""
    folder = scratch / f"inputs-{scale:g}"
    marker = folder / MARKER
    wanted = {"scale": scale, "seed": seed, "generator": generator_fingerprint()}
    if marker.is_file():
        made = json.loads(marker.read_text())
        if all(made.get(key) == value for key, value in wanted.items()):
            return folder, made
    shutil.rmtree(folder, ignore_errors=True)
    command = [sys.executable, "-m", "ecinstruct_builder.synthetic", "--out", str(folder)]
    command += ["--scale", str(scale), "--seed", str(seed), "--no-progress"]
    run = run_measured(command, scratch / "logs" / f"generate-{scale:g}.log")
    made = {
        **wanted,
        "generate": asdict(run),
        "records": count_records(scratch / "logs" / f"generate-{scale:g}.log"),
    }
    marker.write_text(json.dumps(made, indent=2) + "\n")
    return folder, made


def ensure_full_reviews(scratch: Path, seed: int) -> Path:
    """The 2018 review files alone at full size: 200,000 lines per category, all that ECInstruct's SA
    read, so the SA comparison can run at the real size (every source at 1.0 would take hours)."""
    # imported here only: everything else of ecbuild runs in child processes, measured on their own
    from ecinstruct_builder.synthetic import amazon2018
    from ecinstruct_builder.synthetic.common import Profile

    folder = scratch / "inputs-reviews-1"
    marker = folder / MARKER
    wanted = {"scale": 1.0, "seed": seed, "generator": generator_fingerprint(), "only": "amazon2018 reviews"}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    for category in amazon2018.CATEGORIES:
        amazon2018.write_reviews(folder, Profile(scale=1.0), seed, False, category)
    marker.write_text(json.dumps(wanted, indent=2) + "\n")
    return folder


def count_records(log: Path) -> int:
    """The total the generator prints last ("total  1,234")."""
    for line in reversed(log.read_text().splitlines()):
        if line.startswith("total"):
            return int(line.split()[-1].replace(",", ""))
    return 0


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name != MARKER)


def ecbuild(*args: str) -> list[str]:
    return [sys.executable, "-m", "ecinstruct_builder.cli", *args]


def per_second(rows: int | None, seconds: float) -> float | None:
    return round(rows / seconds) if rows and seconds > 0 else None


def fetch_stages(workdir: Path) -> list[dict[str, Any]]:
    """Per source: seconds and rows from the fetch manifest's timings."""
    timings = json.loads((workdir / "sources" / "manifest.json").read_text())["timings"]
    return [
        {"stage": f"fetch {source}", **t, "rows_per_s": per_second(t["rows_in"], t["seconds"])}
        for source, t in sorted(timings.items())
    ]


def render_stages(workdir: Path) -> list[dict[str, Any]]:
    """Per task and stage: seconds and rows from the build report's timings."""
    report = from_json(BuildReport, (workdir / "reports" / "build.json").read_text())
    stages = []
    for task, built in sorted(report.tasks.items()):
        for step, t in sorted(built.timings.items(), key=lambda item: RENDER_STAGES.index(item[0])):
            rows = t.rows_in if t.rows_in is not None else t.rows_out
            stages.append({"stage": f"{task} {step}", **asdict(t), "rows_per_s": per_second(rows, t.seconds)})
    leakage = report.cross_task_leakage.seconds
    return [*stages, {"stage": "cross-task leakage", "seconds": leakage, "rows_in": None, "rows_out": None}]


def notebook_comparison(
    inputs: Path, scratch: Path, scale: float, repeats: int, tasks: tuple[str, ...] = ("SA", "SR")
) -> list[dict[str, Any]]:
    """Each notebook step and ours on the same files, each run in its own process, `repeats` times
    (alternating, so both sides see the same machine load) unless a run takes over REPEAT_UNDER_S;
    the fastest run of each side counts, as usual for timings disturbed by other work."""
    rows = []
    for task, theirs, ours in (step for step in NOTEBOOK_STEPS if step[0] in tasks):
        runs: dict[str, list[dict[str, Any]]] = {"notebook": [], "ours": []}
        for attempt in range(1, repeats + 1):
            for side, step in (("notebook", theirs), ("ours", ours)):
                if runs[side] and runs[side][0]["seconds"] > REPEAT_UNDER_S:
                    continue
                log = scratch / "logs" / f"{step}-{scale:g}-{attempt}.log"
                script = str(HERE / "notebook_baseline.py")
                run = run_measured([sys.executable, script, step, "--source-dir", str(inputs)], log)
                printed = json.loads(log.read_text().strip().splitlines()[-1])
                runs[side].append({**printed, "peak_rss_mb": run.peak_rss_mb})
        result: dict[str, Any] = {"task": task}
        for side, side_runs in runs.items():
            best = min(side_runs, key=lambda r: r["seconds"])
            result[side] = {**best, "all_seconds": [r["seconds"] for r in side_runs]}
        result["ratio"] = round(result["notebook"]["seconds"] / result["ours"]["seconds"], 1)
        rows.append(result)
    return rows


def build(inputs: Path, workdir: Path, logs: Path, tag: str, code: Path | None = None) -> dict[str, Any]:
    """`ecbuild fetch` and `ecbuild render --task all` of the `ecinstruct` recipe in a fresh work dir,
    by this checkout or by the source tree `code`: time and peak RSS of each, and the stages."""
    shutil.rmtree(workdir, ignore_errors=True)
    fetch = run_measured(
        ecbuild(
            "fetch",
            "--recipe",
            "ecinstruct",
            "--source-dir",
            str(inputs),
            "--workdir",
            str(workdir),
            "--quiet",
        ),
        logs / f"fetch-{tag}.log",
        code,
    )
    render = run_measured(
        ecbuild("render", "--recipe", "ecinstruct", "--workdir", str(workdir), "--task", "all", "--quiet"),
        logs / f"render-{tag}.log",
        code,
    )
    rendered = from_json(BuildReport, (workdir / "reports" / "build.json").read_text()).tasks
    return {
        "fetch": asdict(fetch),
        "render": asdict(render),
        "total_seconds": round(fetch.seconds + render.seconds, 2),
        "peak_rss_mb": max(fetch.peak_rss_mb, render.peak_rss_mb),
        "rendered_rows": sum(task.rows for task in rendered.values()),
        "stages": fetch_stages(workdir) + render_stages(workdir),
    }


def same_outputs(one: Path, other: Path) -> list[str]:
    """The fetched tables and dataset files of two work dirs that differ (or exist in one only)."""
    files = {
        path.relative_to(root)
        for root in (one, other)
        for folder in ("sources", "dataset")
        for path in (root / folder).glob("*.parquet")
    }
    return sorted(
        str(name)
        for name in files
        if not ((one / name).is_file() and (other / name).is_file())
        or (one / name).read_bytes() != (other / name).read_bytes()
    )


def run_scale(
    scratch: Path, scale: float, seed: int, repeats: int, baseline: Path | None = None
) -> dict[str, Any]:
    """Inputs, fetch and render of one scale (a fresh work dir), and the notebook comparison; with
    `baseline`, the same build by that source tree first, and which outputs differ."""
    inputs, made = ensure_inputs(scratch, scale, seed)
    workdir = scratch / f"work-{scale:g}"
    logs = scratch / "logs"
    before = None
    if baseline is not None:
        before = build(inputs, scratch / f"work-{scale:g}-baseline", logs, f"{scale:g}-baseline", baseline)
    result = {
        "scale": scale,
        "input_records": made.get("records"),
        "input_bytes": folder_bytes(inputs),
        "generate": made.get("generate"),
        **build(inputs, workdir, logs, f"{scale:g}"),
        "notebook": notebook_comparison(inputs, scratch, scale, repeats) if repeats else [],
    }
    if before is not None:
        result["baseline"] = {
            **before,
            "differing": same_outputs(workdir, scratch / f"work-{scale:g}-baseline"),
        }
    return result


# --- Markdown ---------------------------------------------------------------------------------------


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _runs(side: dict[str, Any]) -> str:
    """The fastest run, and every run when there were several."""
    runs = side["all_seconds"]
    best = _number(side["seconds"], 2)
    return best if len(runs) == 1 else f"{best} ({', '.join(_number(r, 2) for r in runs)})"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return [*lines, *("| " + " | ".join(row) + " |" for row in rows), ""]


def machine() -> dict[str, Any]:
    """nproc, RAM and CPU model of this machine (Linux)."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(memory_kb / 1024**2, 1),
        "cpu": cpu,
        "python": platform.python_version(),
    }


def markdown(results: list[dict[str, Any]], host: dict[str, Any]) -> str:
    """The summary across scales, the notebook comparison, then per-stage figures per scale."""
    builds = [r for r in results if not r.get("reviews_only")]  # the SA-only run at full size has no build
    out = [
        f"Machine: {host['nproc']} cores, {host['ram_gb']} GB RAM, {host['cpu']}, Python {host['python']}.",
        "",
    ]
    summary = [
        [
            f"{r['scale']:g}",
            _number(r["input_records"]),
            _number(r["input_bytes"] / 1e6),
            _number(r["fetch"]["seconds"], 1),
            _number(r["render"]["seconds"], 1),
            _number(r["total_seconds"], 1),
            _number(r["fetch"]["peak_rss_mb"]),
            _number(r["render"]["peak_rss_mb"]),
            _number(r["rendered_rows"]),
        ]
        for r in builds
    ]
    header = ["scale", "input records", "input MB", "fetch s", "render s", "total s", "fetch peak RSS MB"]
    if summary:
        out += _table([*header, "render peak RSS MB", "rendered rows"], summary)
    comparison = [
        [
            f"{r['scale']:g}" + (" (review files only)" if r.get("reviews_only") else ""),
            c["task"],
            _runs(c["notebook"]),
            _runs(c["ours"]),
            f"{c['ratio']:g}×",
            _number(c["notebook"]["peak_rss_mb"]),
            _number(c["ours"]["peak_rss_mb"]),
            _number(c["notebook"]["rows_out"]),
            _number(c["ours"]["rows_out"]),
        ]
        for r in results
        for c in r["notebook"]
    ]
    if comparison:
        out += [
            "Notebook way against ours, same files, same run (seconds from first read to last row; "
            "the fastest of the runs, all runs in brackets):",
            "",
        ]
        header = ["scale", "step", "notebook s", "ours s", "ratio", "notebook RSS MB", "ours RSS MB"]
        out += _table([*header, "notebook rows out", "ours rows out"], comparison)
    compared = [r for r in builds if r.get("baseline")]
    if compared:
        out += [
            "Baseline (an earlier source tree) against this checkout, same inputs, same run; "
            "`outputs` compares every fetched table and dataset file byte for byte:",
            "",
        ]
        rows = []
        for r in compared:
            for code, side in (("baseline", r["baseline"]), ("this checkout", r)):
                rows.append(
                    [
                        f"{r['scale']:g}",
                        code,
                        _number(side["fetch"]["seconds"], 1),
                        _number(side["render"]["seconds"], 1),
                        _number(side["total_seconds"], 1),
                        _number(side["fetch"]["peak_rss_mb"]),
                        _number(side["render"]["peak_rss_mb"]),
                        "",
                    ]
                )
            differing = r["baseline"]["differing"]
            rows[-1][-1] = "identical" if not differing else "differ: " + ", ".join(differing)
        header = [
            "scale",
            "code",
            "fetch s",
            "render s",
            "total s",
            "fetch peak RSS MB",
            "render peak RSS MB",
        ]
        out += _table([*header, "outputs"], rows)
    sides = [(r, "") for r in builds] + [
        (r["baseline"] | {"scale": r["scale"]}, ", baseline") for r in compared
    ]
    for r, label in sides:
        out += [f"#### Scale {r['scale']:g}{label}", ""]
        stages = [
            [
                s["stage"],
                _number(s["seconds"], 2),
                _number(s.get("rows_in")),
                _number(s.get("rows_out")),
                _number(s.get("rows_per_s")),
            ]
            for s in r["stages"]
        ]
        stages.append(
            [
                "**fetch process**",
                _number(r["fetch"]["seconds"], 2),
                "",
                "",
                f"peak RSS {_number(r['fetch']['peak_rss_mb'])} MB",
            ]
        )
        stages.append(
            [
                "**render process**",
                _number(r["render"]["seconds"], 2),
                "",
                "",
                f"peak RSS {_number(r['render']['peak_rss_mb'])} MB",
            ]
        )
        out += _table(["stage", "seconds", "rows in", "rows out", "rows/s"], stages)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", type=float, nargs="*", default=[0.01, 0.03, 0.1, 0.3])
    parser.add_argument(
        "--scratch", type=Path, default=Path("/tmp/ecbuild-bench"), help="inputs, work dirs, logs"
    )
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs per side of the notebook comparison (the fastest counts; runs over a minute are "
        "not repeated); 0 skips the comparison",
    )
    parser.add_argument(
        "--sa-full",
        action="store_true",
        help="also time the SA comparison at full size (the review files alone, 200,000 lines per "
        "category; written once, about 1.5 GB uncompressed)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="the root of an earlier ecbuild source tree (e.g. `git archive REV | tar -x -C DIR`): each "
        "scale is also built by it, on the same inputs, and the outputs are compared byte for byte",
    )
    parser.add_argument("--markdown", type=Path, help="also write the Markdown tables to this file")
    args = parser.parse_args()
    host = machine()
    results = []
    for scale in args.scales:
        print(f"scale {scale:g} ...", file=sys.stderr, flush=True)
        results.append(run_scale(args.scratch, scale, args.seed, args.repeats, args.baseline))
        (args.scratch / "results.json").write_text(
            json.dumps({"machine": host, "results": results}, indent=2) + "\n"
        )
    if args.sa_full:
        print("SA at full size ...", file=sys.stderr, flush=True)
        reviews = ensure_full_reviews(args.scratch, args.seed)
        comparison = notebook_comparison(reviews, args.scratch, 1.0, max(args.repeats, 1), ("SA",))
        results.append({"scale": 1.0, "reviews_only": True, "notebook": comparison})
        (args.scratch / "results.json").write_text(
            json.dumps({"machine": host, "results": results}, indent=2) + "\n"
        )
    text = markdown(results, host)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
