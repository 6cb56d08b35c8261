"""The documentation's links lead somewhere, and the docs index covers every page and command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecinstruct_builder.cli import main
from ecinstruct_builder.config import load_recipe
from ecinstruct_builder.paths import PACKAGE_DIR

REPO_ROOT = PACKAGE_DIR.parent
DOCS = REPO_ROOT / "docs"
PAGES = [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

# Code is not prose: a `[x](y)` inside a fence or a code span is an example, not a link.
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
_INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_HTML_LINK = re.compile(r"""<(?:a|img)\s[^>]*?(?:href|src)=["']([^"']+)["']""", re.IGNORECASE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)  # http:, mailto:, ...


def link_targets(markdown: str) -> list[str]:
    """Every link target in a Markdown text outside code: inline, reference-style and HTML."""
    prose = _CODE_SPAN.sub("", _FENCE.sub("", markdown))
    return [
        match.group(1)
        for pattern in (_INLINE_LINK, _REFERENCE, _HTML_LINK)
        for match in pattern.finditer(prose)
    ]


def broken_links(page: Path) -> list[str]:
    """The relative link targets of a page that name no existing file or folder (anchors ignored)."""
    broken = []
    for target in link_targets(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        if not path or _EXTERNAL.match(target):
            continue
        if not (page.parent / path).exists():
            broken.append(target)
    return broken


def linked_pages(page: Path) -> set[Path]:
    """The files a page links to, resolved."""
    targets = (t.split("#", 1)[0] for t in link_targets(page.read_text(encoding="utf-8")))
    return {(page.parent / t).resolve() for t in targets if t and not _EXTERNAL.match(t)}


def test_the_link_reader_finds_every_kind_of_link_and_skips_code() -> None:
    text = (
        "See [the guide](docs/a.md#part), ![chart](img/c.png \"title\") and <a href='x/y.md'>y</a>.\n"
        "[ref]: ../z.md\n"
        "`[not](a-link.md)` and\n```\n[nor](this.md)\n```\n"
        "[web](https://example.org/p.md) [mail](mailto:a@b.c) [here](#top)\n"
    )
    assert link_targets(text) == [
        "docs/a.md#part",
        "img/c.png",
        "https://example.org/p.md",
        "mailto:a@b.c",
        "#top",
        "../z.md",
        "x/y.md",
    ]


def test_a_missing_target_is_reported(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("x", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("[ok](there.md#a) [gone](missing.md) [web](https://e.org/missing.md)", encoding="utf-8")
    assert broken_links(page) == ["missing.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_points_at_an_existing_file(page: Path) -> None:
    assert broken_links(page) == []


def test_the_docs_index_links_every_doc_page() -> None:
    index = DOCS / "index.md"
    missing = [p.name for p in DOCS.glob("*.md") if p != index and p.resolve() not in linked_pages(index)]
    assert missing == []


def test_the_readme_links_the_docs_index_and_the_guides() -> None:
    linked = linked_pages(REPO_ROOT / "README.md")
    wanted = ["index.md", "tutorial.md", "add-a-task.md", "add-a-source.md"]
    assert [name for name in wanted if (DOCS / name).resolve() not in linked] == []
    assert (REPO_ROOT / "CHANGELOG.md").resolve() in linked
    assert (REPO_ROOT / "LICENSE").resolve() in linked


def test_the_docs_index_names_every_command() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    missing = [name for name in main.commands if f"`ecbuild {name}" not in index]
    assert missing == []


def test_the_tutorial_lays_out_every_source_of_the_ecinstruct_recipe() -> None:
    tutorial = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    missing = [name for name in load_recipe("ecinstruct").sources if f"DIR/{name}/" not in tutorial]
    assert missing == []
