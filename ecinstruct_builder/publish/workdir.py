"""What publishing reads from a work dir: the rendered tasks, the build report, the fetch manifest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..build import dataset_dir, reports_dir
from ..errors import EcbuildError
from ..fetch import MANIFEST, sources_dir
from ..recipe import Recipe
from ..tasks import builders


@dataclass(frozen=True)
class BuiltTask:
    """One rendered task: its abbreviation, ECInstruct name and Parquet file (every setting and split)."""

    abbr: str
    name: str
    path: Path


@dataclass(frozen=True)
class Build:
    """A finished `ecbuild render`, checked against the recipe the user names."""

    workdir: Path
    recipe: Recipe
    report: dict[str, Any]  # reports/build.json
    sources: dict[str, Any]  # sources/manifest.json
    tasks: tuple[BuiltTask, ...]  # in ECInstruct order

    def task_report(self, abbr: str) -> dict[str, Any]:
        return self.report["tasks"][abbr]


def _read_json(path: Path, what_to_run: str) -> dict[str, Any]:
    if not path.is_file():
        raise EcbuildError(f"{path} not found; run `{what_to_run}` first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EcbuildError(f"{path}: cannot be read ({exc}); run `{what_to_run}` again") from exc


def _task_order(abbr: str) -> int:
    order = list(builders())
    return order.index(abbr) if abbr in order else len(order)


def load_build(workdir: Path, recipe: Recipe) -> Build:
    """The build in `workdir`; a one-line error when it is missing, incomplete or from another recipe."""
    render_cmd = f"ecbuild render --recipe {recipe.name} --workdir {workdir} --task all"
    report = _read_json(reports_dir(workdir) / "build.json", render_cmd)
    sources = _read_json(
        sources_dir(workdir) / MANIFEST, f"ecbuild fetch --recipe {recipe.name} --workdir {workdir}"
    )
    built = report.get("recipe", {})
    if built.get("hash") != recipe.hash:
        raise EcbuildError(
            f"the dataset in {workdir} was built with recipe {built.get('name')!r} ({built.get('hash')}), "
            f"not {recipe.name!r} ({recipe.hash}); pass the recipe it was built with, or run `{render_cmd}`"
        )
    tasks = []
    for abbr, info in sorted(report.get("tasks", {}).items(), key=lambda kv: (_task_order(kv[0]), kv[0])):
        path = dataset_dir(workdir) / f"{info['name']}.parquet"
        if not path.is_file():
            raise EcbuildError(f"{path} is missing although build.json lists it; run `{render_cmd}` again")
        tasks.append(BuiltTask(abbr=abbr, name=info["name"], path=path))
    if not tasks:
        raise EcbuildError(f"the build in {workdir} has no rendered task; run `{render_cmd}`")
    return Build(workdir=workdir, recipe=recipe, report=report, sources=sources, tasks=tuple(tasks))
