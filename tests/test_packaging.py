"""What the package imports is what pyproject.toml declares: a module imported when ecbuild loads is
a dependency; an optional one (charts, neural metrics, engines) is imported only where it is used."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from ecinstruct_builder.compat import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ecinstruct_builder"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0].strip().lower().replace("_", "-") for r in requirements
    }


def _module_imports(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names}
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return {node.module.split(".")[0]}
    return set()


def _load_time(body: list[ast.stmt]) -> set[str]:
    """Modules imported when the module body runs (not in functions, nor under `if TYPE_CHECKING`)."""
    found: set[str] = set()
    for node in body:
        found |= _module_imports(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            found |= _load_time(node.body) | _load_time(node.orelse)
        elif isinstance(node, ast.Try):
            found |= _load_time(node.body)
    return found


def _imports() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Third-party modules -> the files importing them, at load time and anywhere."""
    at_load: dict[str, set[str]] = {}
    anywhere: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        name = path.relative_to(ROOT).as_posix()
        for module in _load_time(tree.body):
            at_load.setdefault(module, set()).add(name)
        for node in ast.walk(tree):
            for module in _module_imports(node):
                anywhere.setdefault(module, set()).add(name)
    third_party = set(anywhere) - set(sys.stdlib_module_names) - {"ecinstruct_builder"}
    return {m: f for m, f in at_load.items() if m in third_party}, {m: anywhere[m] for m in third_party}


def _distributions(module: str) -> set[str]:
    """The distributions providing `module`; its own name when none is installed (tomli on 3.11+)."""
    installed = packages_distributions().get(module) or [module]
    return {d.lower().replace("_", "-") for d in installed}


def test_every_module_imported_at_load_time_is_a_declared_dependency() -> None:
    declared = _names(PROJECT["dependencies"])
    at_load, _ = _imports()
    assert at_load  # the scan sees the package's imports
    undeclared = {m: files for m, files in at_load.items() if not _distributions(m) & declared}
    assert undeclared == {}


def test_optional_modules_are_imported_only_where_they_are_used() -> None:
    required = _names(PROJECT["dependencies"])
    extras = set().union(*(_names(r) for r in PROJECT["optional-dependencies"].values()))
    at_load, anywhere = _imports()
    optional = {m for m in anywhere if not _distributions(m) & required}
    assert {"matplotlib", "langdetect_rs", "ray"} <= optional  # the charts, langdetect-rs and ray extras
    assert {"matplotlib", "langdetect-rs", "ray"} <= extras
    assert {m: at_load[m] for m in optional if m in at_load} == {}


def test_tomli_is_required_only_where_tomllib_is_missing() -> None:
    assert PROJECT["requires-python"] == ">=3.10"
    assert [r for r in PROJECT["dependencies"] if r.startswith("tomli")] == [
        "tomli>=2.0; python_version < '3.11'"
    ]
    _, anywhere = _imports()
    assert anywhere["tomli"] == {"ecinstruct_builder/compat.py"}  # one fallback, imported from there
