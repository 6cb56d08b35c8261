"""One build of the bundled samples (fetch + render, as `ecbuild fetch && ecbuild render --task all`),
and one export of it, shared by every publishing test."""

from __future__ import annotations

from pathlib import Path

import datasets
import pytest

from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.publish.export import ExportResult, export_dataset
from ecinstruct_builder.publish.formats import FORMATS
from ecinstruct_builder.publish.workdir import Build, load_build

REPO = "org/ECInstruct"


@pytest.fixture(scope="session")
def built(demo_workdir: Path) -> Build:
    """The session's demo build (tests/conftest.py), read as publishing sees it."""
    return load_build(demo_workdir, load_recipe("demo"))


@pytest.fixture(scope="session")
def exported(built: Build, tmp_path_factory: pytest.TempPathFactory) -> ExportResult:
    out = tmp_path_factory.mktemp("export") / "ECInstruct"
    return export_dataset(built, out, repo_id=REPO, formats=tuple(FORMATS), progress=False)


@pytest.fixture(scope="session")
def load_config(tmp_path_factory: pytest.TempPathFactory):
    """`datasets.load_dataset(folder, config)` with a private cache, so tests never touch ~/.cache."""
    cache = tmp_path_factory.mktemp("hf-datasets-cache")

    def load(folder: Path, config: str) -> datasets.DatasetDict:
        return datasets.load_dataset(str(folder), config, cache_dir=str(cache))

    return load
