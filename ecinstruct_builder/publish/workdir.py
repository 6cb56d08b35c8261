"""What publishing reads from a work dir: the rendered tasks, the build report, the fetch manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Recipe
from ..errors import EcbuildError
from ..report import BuildReport, TaskReport
from ..tasks import builders
from ..workdir import WorkDir


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
    report: BuildReport  # reports/build.json
    sources: dict[str, Any]  # sources/manifest.json
    tasks: tuple[BuiltTask, ...]  # in ECInstruct order

    def task_report(self, abbr: str) -> TaskReport:
        return self.report.tasks[abbr]

    @property
    def synthetic(self) -> dict[str, Any] | None:
        """How `ecbuild synth` made the fetched files (seed, scale), or None when it did not make them."""
        return self.sources.get("synthetic")


def load_build(workdir: Path, recipe: Recipe) -> Build:
    """The build in `workdir`; a one-line error when it is missing, incomplete or from another recipe."""
    work = WorkDir(workdir)
    render_cmd = f"ecbuild render --recipe {recipe.name} --workdir {workdir} --task all"
    report = work.read_record(BuildReport, work.build_json, render_cmd)
    sources = work.read_manifest(recipe.name)
    if report.recipe.hash != recipe.hash:
        raise EcbuildError(
            f"the dataset in {workdir} was built with recipe {report.recipe.name!r} ({report.recipe.hash}), "
            f"not {recipe.name!r} ({recipe.hash}); pass the recipe it was built with, or run `{render_cmd}`"
        )
    order = {abbr: i for i, abbr in enumerate(builders())}
    tasks = []
    for abbr, info in sorted(report.tasks.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
        path = work.dataset_file(info.name)
        if not path.is_file():
            raise EcbuildError(f"{path} is missing although build.json lists it; run `{render_cmd}` again")
        tasks.append(BuiltTask(abbr=abbr, name=info.name, path=path))
    if not tasks:
        raise EcbuildError(f"the build in {workdir} has no rendered task; run `{render_cmd}`")
    return Build(workdir=workdir, recipe=recipe, report=report, sources=sources, tasks=tuple(tasks))
