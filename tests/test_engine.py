"""The engines: fetch and render on a 2-CPU local Ray cluster write what the local engine writes."""

import json
import shutil
import socket
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import ray
from click.testing import CliRunner

from ecinstruct_builder import engine
from ecinstruct_builder.clean.dedup import DedupConfig, DuplicateIndex, sketches
from ecinstruct_builder.cli import main
from ecinstruct_builder.engine import LocalEngine, RayEngine, running_on
from ecinstruct_builder.paths import raw_sources_dir
from ecinstruct_builder.workdir import differing_outputs

# small enough for a test, large enough that every task has candidates from every source
SYNTH_SCALE = "0.002"


@pytest.fixture(scope="session")
def ray_cluster() -> None:
    """One local Ray cluster of 2 CPUs for the session; `--engine ray` joins it."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def ecbuild(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def build(
    workdir: Path,
    engine: str,
    recipe: str = "demo",
    source_dir: Path | None = None,
    render_options: tuple[str, ...] = (),
) -> Path:
    common = ["--workdir", str(workdir), "--engine", engine, "--recipe", recipe, "--quiet"]
    ecbuild("fetch", *common, *(["--source-dir", str(source_dir)] if source_dir else []))
    ecbuild("render", *common, *render_options)
    return workdir


@pytest.fixture(scope="module")
def synthetic_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    ecbuild("synth", "--out", str(out), "--scale", SYNTH_SCALE, "--quiet")
    return out


def assert_same_build(local: Path, on_ray: Path) -> None:
    assert differing_outputs(local, on_ray) == []
    # the comparison saw the work: every stage's outputs are there
    for folder in ("sources", "dataset", "rejects", "selection", "reports"):
        assert any((on_ray / folder).rglob("*.parquet" if folder != "reports" else "*.json")), folder


def test_the_demo_builds_the_same_on_ray(ray_cluster: None, tmp_path: Path) -> None:
    local = build(tmp_path / "local", "local")
    on_ray = build(tmp_path / "ray", "ray")
    assert_same_build(local, on_ray)


def test_a_synthetic_build_is_the_same_on_ray(
    ray_cluster: None, synthetic_sources: Path, tmp_path: Path
) -> None:
    local = build(tmp_path / "local", "local", "ecinstruct", synthetic_sources)
    on_ray = build(tmp_path / "ray", "ray", "ecinstruct", synthetic_sources)
    assert_same_build(local, on_ray)
    manifest = json.loads((on_ray / "sources" / "manifest.json").read_text())
    for source, timing in manifest["timings"].items():
        # where each file was read, one entry per file of the source, on a node of the cluster
        files = [f for f in manifest["files"] if f["source"] == source]
        assert len(timing["ran_on"]) == len(files)
        assert {p["node"] for p in timing["ran_on"]} <= {n["NodeID"] for n in ray.nodes()}
    # a re-render on the other engine reuses every task: the engine is not part of any stamp
    output = ecbuild("render", "--workdir", str(on_ray), "--engine", "local", "--recipe", "ecinstruct")
    assert "0 task(s) built" in output


def test_tasks_selected_two_at_a_time_build_the_same(synthetic_sources: Path, tmp_path: Path) -> None:
    one = build(tmp_path / "one", "local", "ecinstruct", synthetic_sources)
    two = build(tmp_path / "two", "local", "ecinstruct", synthetic_sources, ("--workers", "2"))
    assert_same_build(one, two)


def test_workers_are_for_the_local_engine_only(tmp_path: Path) -> None:
    ecbuild("fetch", "--workdir", str(tmp_path), "--quiet")
    result = CliRunner().invoke(
        main, ["render", "--workdir", str(tmp_path), "--engine", "ray", "--workers", "2"]
    )
    assert result.exit_code == 2 and "--workers" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "dataset").exists()


def test_placements_are_logged_under_verbose(ray_cluster: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fetch", "--workdir", str(tmp_path), "--engine", "ray", "-v"])
    assert result.exit_code == 0, result.output
    node = ray.get_runtime_context().get_node_id()
    read = [line for line in result.output.splitlines() if line.startswith("INFO: read ")]
    assert read and all(f"node {node[:12]} pid " in line for line in read)


def test_signatures_through_ray_data_equal_the_local_ones(
    ray_cluster: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)]
    originals = [list(rng.choice(words, size=rng.integers(8, 40))) for _ in range(300)]
    edited = [[*text[:-1], "changed"] for text in originals[:150]]  # near duplicates
    texts = pl.Series([" ".join(t) for t in [*originals, *edited, *originals[:50]]])  # and exact ones
    texts[5] = None
    config = DedupConfig(unit="word", ngram=2, threshold=0.5)
    monkeypatch.setattr(engine, "RAY_DATA_BATCH_ROWS", 64)  # several blocks, to be put back in order
    on_ray = RayEngine(cwd=str(Path.cwd()), min_rows=1)  # every batch through Ray Data
    local = sketches(texts, config)
    with running_on(on_ray):
        distributed = sketches(texts, config)
        matches = DuplicateIndex(config).add_chunk(texts)
    assert np.array_equal(local[0], distributed[0]) and np.array_equal(local[1], distributed[1])
    assert matches == DuplicateIndex(config).add_chunk(texts)
    assert {m.kind for m in matches if m is not None} == {"exact", "near"}  # both kinds were found


def test_a_damaged_file_read_in_a_ray_task_is_one_line(ray_cluster: None, tmp_path: Path) -> None:
    sources = tmp_path / "raw"
    shutil.copytree(raw_sources_dir(), sources)
    damaged = sources / "amazon2018" / "Electronics.json.gz"
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])  # cut off mid-stream
    outputs = []
    for name in ("local", "ray"):
        args = ["fetch", "--workdir", str(tmp_path / name), "--source-dir", str(sources)]
        result = CliRunner().invoke(main, [*args, "--engine", name, "--quiet"])
        assert result.exit_code == 1, result.output
        assert len(result.output.strip().splitlines()) == 1 and "RayTaskError" not in result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1]  # the same one-line error on both engines
    assert "compressed stream broken" in outputs[0]  # raised while the file was read, in a Ray task


def test_engine_ray_without_ray_installed_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails as it does without the extra
    for command in ("fetch", "render"):
        result = CliRunner().invoke(main, [command, "--workdir", str(tmp_path), "--engine", "ray"])
        assert result.exit_code == 2
        assert result.output.strip().splitlines() == [
            'Error: --engine ray needs Ray, which is not installed: pip install "ecinstruct-builder[ray]"'
        ]


def test_a_cluster_address_nobody_answers_at_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as unused:  # a port of this machine that nothing listens on
        unused.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{unused.getsockname()[1]}"
    args = ["fetch", "--workdir", str(tmp_path), "--engine", "ray", "--ray-address", address]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: no Ray cluster answers at {address}; start one (`ray start --head`) or fix --ray-address"
    ]


@pytest.mark.parametrize(
    "options",
    [
        ["--ray-address", "auto"],
        ["--ray-cpus", "2"],
        ["--engine", "ray", "--ray-address", "auto", "--ray-cpus", "1"],
    ],
)
def test_ray_options_need_the_ray_engine_and_no_conflict(tmp_path: Path, options: list[str]) -> None:
    result = CliRunner().invoke(main, ["fetch", "--workdir", str(tmp_path), *options])
    assert result.exit_code == 2 and "--ray-" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "sources").exists()


def test_the_local_engine_gives_results_in_item_order_whatever_finishes_first() -> None:
    import time

    def slow_first(item: int) -> int:
        time.sleep(0.05 if item == 0 else 0)
        return item * 10

    results = LocalEngine().map(slow_first, [0, 1, 2, 3], workers=2)
    assert [result for result, _ in results] == [0, 10, 20, 30]
