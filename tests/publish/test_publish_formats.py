"""Training exports: eCeLLM's prompt, the fields TRL and LLaMA-Factory read, the splits `datasets` loads."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import polars as pl
import pytest
from huggingface_hub import DatasetCard

from ecinstruct_builder.publish.formats import FORMATS, config_name, write_training_file
from ecinstruct_builder.render import ROW_SCHEMA

PREAMBLE = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
)
ROWS = (
    {
        "instruction": "Pick one.",
        "input": "Nice lamp.",
        "options": '["A: good", "B: bad"]',
        "output": "A: good",
    },
    {"instruction": "Same product?", "input": '{"product 1": "x"}', "options": "", "output": "no"},
    {"instruction": "Name it.", "input": None, "options": None, "output": "lamp"},
)


def _rows() -> pl.LazyFrame:
    full = [{key: None for key in ROW_SCHEMA} | row for row in ROWS]
    return pl.DataFrame(full, schema=ROW_SCHEMA, orient="row").lazy()


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("hf-formats-cache"))  # never ~/.cache


@pytest.fixture(scope="module")
def load_folder(cache: str):
    def load(folder: Path) -> datasets.DatasetDict:
        return datasets.load_dataset(str(folder), cache_dir=cache)

    return load


def test_prompt_completion_prompt_is_ecellm_alpaca_template(tmp_path: Path) -> None:
    lines = _lines(write_training_file(_rows(), "prompt-completion", tmp_path / "train.jsonl"))
    assert lines == [
        {
            "prompt": PREAMBLE + "### Instruction:\nPick one.\n\n### Input:\nNice lamp.\n\n"
            '### Options:\n["A: good", "B: bad"]\n\n### Response:\n',
            "completion": "A: good",
        },
        {
            "prompt": PREAMBLE
            + '### Instruction:\nSame product?\n\n### Input:\n{"product 1": "x"}\n\n### Response:\n',
            "completion": "no",
        },
        {
            "prompt": PREAMBLE + "### Instruction:\nName it.\n\n### Input:\n\n\n### Response:\n",
            "completion": "lamp",
        },
    ]


def test_alpaca_appends_options_as_ecinstruct_prompt_did(tmp_path: Path) -> None:
    target = write_training_file(_rows(), "alpaca", tmp_path / "train.json")
    assert json.loads(target.read_text()) == [
        {
            "instruction": "Pick one.",
            "input": 'Nice lamp.\n\n### Options:\n["A: good", "B: bad"]',
            "output": "A: good",
        },
        {"instruction": "Same product?", "input": '{"product 1": "x"}', "output": "no"},
        {"instruction": "Name it.", "input": "", "output": "lamp"},
    ]
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left


def test_chat_writes_user_and_assistant_messages(tmp_path: Path) -> None:
    lines = _lines(write_training_file(_rows(), "chat", tmp_path / "train.jsonl"))
    assert lines[0] == {
        "messages": [
            {
                "role": "user",
                "content": "### Instruction:\nPick one.\n\n### Input:\nNice lamp.\n\n"
                '### Options:\n["A: good", "B: bad"]',
            },
            {"role": "assistant", "content": "A: good"},
        ]
    }
    assert (
        lines[1]["messages"][0]["content"]
        == '### Instruction:\nSame product?\n\n### Input:\n{"product 1": "x"}'
    )


def test_chat_user_turn_carries_the_same_sections_as_the_prompt(tmp_path: Path) -> None:
    chat = _lines(write_training_file(_rows(), "chat", tmp_path / "c.jsonl"))
    pc = _lines(write_training_file(_rows(), "prompt-completion", tmp_path / "p.jsonl"))
    for turns, pair in zip(chat, pc, strict=True):
        user, assistant = turns["messages"]
        assert (user["role"], assistant["role"]) == ("user", "assistant")
        assert pair["prompt"] == PREAMBLE + user["content"] + "\n\n### Response:\n"
        assert assistant["content"] == pair["completion"]


def _proper(exported, load_config) -> datasets.DatasetDict:
    return load_config(exported.out, "ecinstruct")


def test_each_format_folder_loads_with_four_splits_and_trainer_fields(
    exported, load_config, load_folder
) -> None:
    proper = _proper(exported, load_config)
    wanted = {
        "alpaca": {"instruction", "input", "output"},
        "chat": {"messages"},
        "prompt-completion": {"prompt", "completion"},
    }
    assert set(wanted) == set(FORMATS)
    for fmt, columns in wanted.items():
        loaded = load_folder(exported.out / "training" / fmt)
        assert {s: len(d) for s, d in loaded.items()} == {s: len(d) for s, d in proper.items()}, fmt
        assert "test_ood" in loaded  # not folded into test by the file-name rules
        assert all(set(d.column_names) == columns for d in loaded.values()), fmt
    pairs = load_folder(exported.out / "training" / "prompt-completion")
    for split, rows in proper.items():
        assert pairs[split]["completion"] == rows["output"]
        assert all(p.startswith(PREAMBLE) and p.endswith("### Response:\n") for p in pairs[split]["prompt"])
        with_options = [bool(o) for o in rows["options"]]
        assert ["\n\n### Options:\n" in p for p in pairs[split]["prompt"]] == with_options


def test_llama_factory_dataset_info_names_files_columns_and_tags(exported, load_config, cache: str) -> None:
    root = exported.out / "training"
    info = json.loads((root / "dataset_info.json").read_text())
    proper = _proper(exported, load_config)
    formattings = set()
    for name, entry in info.items():
        formattings.add(entry["formatting"])
        # LLaMA-Factory loads `file_name` (relative to dataset_dir) with the `json` builder.
        path = str(root / entry["file_name"])
        rows = datasets.load_dataset("json", data_files=path, split="train", cache_dir=cache)
        split = Path(entry["file_name"]).stem
        assert len(rows) == len(proper[split]), name
        assert set(entry["columns"].values()) <= set(rows.column_names), name
        if entry["formatting"] == "sharegpt":
            tags = entry["tags"]
            turn = rows[0][entry["columns"]["messages"]]
            assert [m[tags["role_tag"]] for m in turn] == [tags["user_tag"], tags["assistant_tag"]]
            assert turn[1][tags["content_tag"]] == proper[split][0]["output"]
    assert formattings == {"alpaca", "sharegpt"}
    assert {Path(e["file_name"]).stem for e in info.values()} == set(proper)


def test_training_formats_are_parquet_configs_push_uploads(exported, load_config, cache: str) -> None:
    card = DatasetCard.load(exported.out / "README.md").data.to_dict()
    declared = {c["config_name"] for c in card["configs"]}
    uploaded = {f.path for f in exported.files}
    for fmt in FORMATS:
        name = config_name(fmt)
        assert name in declared and any(p.startswith(f"data/{name}/") for p in uploaded), name
        on_hub = load_config(exported.out, name)
        local = datasets.load_dataset(str(exported.out / "training" / fmt), cache_dir=cache)
        assert {s: d.to_list() for s, d in on_hub.items()} == {s: d.to_list() for s, d in local.items()}
        info = next(e for e in card["dataset_info"] if e["config_name"] == name)
        assert [f["name"] for f in info["features"]] == list(FORMATS[fmt].schema)
    messages = next(e for e in card["dataset_info"] if e["config_name"] == "chat")["features"][0]
    assert messages == {
        "name": "messages",
        "list": [{"name": "role", "dtype": "string"}, {"name": "content", "dtype": "string"}],
    }
