"""Acceptance: a task added the way the design promises (a module in `tasks/` plus its template
file, nothing else) is built, rendered, exported with a filled card row and scored by `ecbuild eval`.

The task is a copy of PSI under a new abbreviation, name and class name, in a temporary copy of
the package run in subprocesses (so nothing of the copy leaks into this test session).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from ecinstruct_builder.evaluate.paper import DEFAULT_PAPER_MODEL
from ecinstruct_builder.paths import PACKAGE_DIR, raw_sources_dir, templates_dir
from ecinstruct_builder.tasks import builders
from ecinstruct_builder.templates import load_templates

COPIED = builders()["PSI"]
NEW_ABBR = "PSX"
NEW_NAME = "Product_Stand_In_Identification"
NEW_CLASS = "ProductStandInIdentification"
REPO_ROOT = PACKAGE_DIR.parent


def _copy_checkout(root: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PACKAGE_DIR, root / PACKAGE_DIR.name, ignore=ignore)
    shutil.copytree(templates_dir(), root / "templates", ignore=ignore)
    shutil.copytree(raw_sources_dir(), root / "raw_sources", ignore=ignore)
    shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected one {old!r} to rename"
    return text.replace(old, new)


def _add_copied_task(root: Path) -> None:
    """Copy PSI's module and template file, renaming only the abbreviation, name, class and ids."""
    module = Path(sys.modules[type(COPIED).__module__].__file__ or "")
    source = module.read_text(encoding="utf-8")
    source = _replace_once(source, f'abbr = "{COPIED.abbr}"', f'abbr = "{NEW_ABBR}"')
    source = _replace_once(source, f'name = "{COPIED.name}"', f'name = "{NEW_NAME}"')
    source = _replace_once(source, f"class {type(COPIED).__name__}(", f"class {NEW_CLASS}(")
    (root / PACKAGE_DIR.name / "tasks" / f"{NEW_ABBR.lower()}.py").write_text(source, encoding="utf-8")
    template = load_templates(COPIED.abbr).path.read_text(encoding="utf-8")
    template = _replace_once(template, f'task = "{COPIED.abbr}"', f'task = "{NEW_ABBR}"')
    prefix = f"{COPIED.abbr.lower()}-"
    template = template.replace(f'"{prefix}', f'"{NEW_ABBR.lower()}-')  # the instruction ids
    (root / "templates" / f"{NEW_ABBR}.toml").write_text(template, encoding="utf-8")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("copied-task")
    _copy_checkout(root)
    _add_copied_task(root)
    return root


def ecbuild(checkout: Path, *args: str | Path) -> str:
    """Run the copy's CLI in a subprocess, the copy first on PYTHONPATH; it must exit 0 cleanly."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from ecinstruct_builder.cli import main; sys.argv[0] = 'ecbuild'; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output, output
    return output


@pytest.fixture(scope="module")
def workdir(checkout: Path) -> Path:
    work = checkout / "work"
    ecbuild(checkout, "fetch", "--workdir", work, "--quiet")
    ecbuild(checkout, "render", "--task", NEW_ABBR, "--workdir", work, "--quiet")
    return work


def test_the_copy_runs_its_own_package(checkout: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    code = "import ecinstruct_builder as p; print(p.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", code], cwd=checkout, env=env, capture_output=True, text=True, check=True
    )
    assert Path(found.stdout.strip()).is_relative_to(checkout)


def test_the_new_task_renders(workdir: Path) -> None:
    rows = pl.read_parquet(workdir / "dataset" / f"{NEW_NAME}.parquet")
    assert set(rows["task"]) == {NEW_NAME}
    diverse = rows.filter(pl.col("setting") == "IND_Diverse_Instruction")
    assert set(diverse["split"]) == {"train", "validation", "test"}
    assert rows["template_id"].str.starts_with(f"{NEW_ABBR.lower()}-").all()


def test_the_exported_card_has_a_filled_row(checkout: Path, workdir: Path) -> None:
    out = checkout / "export"
    ecbuild(checkout, "export", "--workdir", workdir, "--out", out)
    card = (out / "README.md").read_text(encoding="utf-8")
    row = next(line for line in card.splitlines() if line.startswith(f"| {NEW_ABBR} | `{NEW_NAME}`"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2:] == [
        COPIED.group,
        COPIED.definition,
        COPIED.output_shape,
        f"**{COPIED.primary_metric}**; {COPIED.scoring}",
    ]


def _gold_predictions(workdir: Path, path: Path) -> Path:
    rows = pl.read_parquet(workdir / "dataset" / f"{NEW_NAME}.parquet").filter(pl.col("split") == "test")
    lines = [json.dumps({"id": i, "prediction": o}) for i, o in rows.select("id", "output").iter_rows()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _result_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(f"{NEW_ABBR} ")]


def test_eval_scores_the_new_task(checkout: Path, workdir: Path, tmp_path: Path) -> None:
    preds = _gold_predictions(workdir, tmp_path / "gold.jsonl")
    scores = tmp_path / "scores.json"
    output = ecbuild(
        checkout, "eval", "-p", preds, "--dataset", workdir, "--task", NEW_ABBR, "--json", scores
    )
    assert _result_lines(output)
    results = json.loads(scores.read_text())["results"]
    assert {r["abbr"] for r in results} == {NEW_ABBR}
    for result in results:
        assert result["primary_metric"] == COPIED.primary_metric
        assert result["primary"] == pytest.approx(1.0)
        assert (result["invalid"], result["missing"]) == (0, 0)


def test_eval_with_the_paper_column(checkout: Path, workdir: Path, tmp_path: Path) -> None:
    preds = _gold_predictions(workdir, tmp_path / "gold.jsonl")
    output = ecbuild(checkout, "eval", "-p", preds, "--dataset", workdir, "--task", NEW_ABBR, "--paper")
    ind = next(line for line in _result_lines(output) if " IND_Diverse_Instruction " in line)
    # the copy carries PSI's facts, its paper numbers included
    assert COPIED.paper is not None
    assert ind.endswith(f"{COPIED.paper.value(DEFAULT_PAPER_MODEL, 'IND'):.3f}")
