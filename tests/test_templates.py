"""Template files: instruction sets per task and the parser's rejections (the columns a template
uses are checked against its builder in test_contracts.py)."""

import pytest

from ecinstruct_builder.tasks import builders
from ecinstruct_builder.templates import (
    MIN_INSTRUCTIONS,
    TemplateFileError,
    load_templates,
    parse_template_file,
)

TASKS = sorted(builders())


@pytest.mark.parametrize("abbr", TASKS)
def test_template_has_enough_distinct_instructions(abbr):
    templates = load_templates(abbr)
    assert len(templates.instructions) >= MIN_INSTRUCTIONS
    assert templates.unseen not in templates.seen_ids
    assert templates.base in templates.seen_ids


def test_instruction_ids_are_unique_across_tasks():
    seen: dict[str, str] = {}
    for abbr in TASKS:
        for ident in load_templates(abbr).instructions:
            assert ident not in seen, f"{ident} used by {seen.get(ident)} and {abbr}"
            seen[ident] = abbr


def write(tmp_path, body: str):
    path = tmp_path / "XX.toml"
    path.write_text(body)
    return path


def instructions(n: int) -> str:
    return "".join(f'[[instructions]]\nid = "x{i}"\ntext = "instruction {i}"\n' for i in range(n))


RENDER = '[render]\ninput = "{{ a }}"\noptions = ""\noutput = "{{ label }}"\n'


def test_valid_file_parses(tmp_path):
    parsed = parse_template_file(
        write(tmp_path, f'task = "XX"\nbase = "x0"\nunseen = "x1"\n{RENDER}{instructions(6)}')
    )
    assert parsed.variables() == {"a", "label"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f'task = "XX"\nbase = "x0"\nunseen = "x1"\n{RENDER}{instructions(5)}', "at least 6"),
        (f'task = "XX"\nbase = "x0"\nunseen = "x0"\n{RENDER}{instructions(6)}', "two different"),
        (f'task = "XX"\nbase = "x0"\nunseen = "x1"\n{instructions(6)}', "lacks input, options, output"),
        (f'task = "YY"\nbase = "x0"\nunseen = "x1"\n{RENDER}{instructions(6)}', "must equal the file name"),
        (
            f'task = "XX"\nbase = "x0"\nunseen = "x1"\n{RENDER.replace("{{ a }}", "{{ a ")}{instructions(6)}',
            "not valid Jinja",
        ),
    ],
)
def test_malformed_files_are_rejected_with_a_reason(tmp_path, body, message):
    with pytest.raises(TemplateFileError, match=message):
        parse_template_file(write(tmp_path, body))
