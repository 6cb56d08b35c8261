"""Training files in the layouts trainers read with no code: Alpaca JSON, chat-messages JSONL and
prompt/completion JSONL.

Every layout sets the prompt out as eCeLLM's Alpaca template does (`### Instruction:` / `### Input:`
/ `### Options:` / `### Response:`); the options heading appears only when the task has options.
The prompt/completion file holds the whole template in `prompt` and the answer alone in
`completion`, so TRL puts the loss on the answer only, as eCeLLM trained (`train_on_inputs=False`).
Beside the files go a `dataset_info.json` LLaMA-Factory reads as is, and a card per format whose
`configs` keep `test_ood` apart from `test` when `datasets` loads the folder. On the Hub the same
rows are Parquet configs named by `config_name` (a repo loads with one builder, so not JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from huggingface_hub import DatasetCardData

from ..io import atomic_path

OPTIONS_HEADING = "\n\n### Options:\n"
RESPONSE_HEADING = "\n\n### Response:\n"
# The Alpaca preamble eCeLLM's `templates/alpaca.json` opens every prompt with (part of the format).
ALPACA_PREAMBLE = (
    "Below is an instruction that describes a task, paired with an input that provides further "
    "context. Write a response that appropriately completes the request.\n\n"
)
LLAMA_FACTORY_INFO = "dataset_info.json"
FORMAT_CARD = "README.md"


def _has_options() -> pl.Expr:
    return pl.col("options").is_not_null() & (pl.col("options").str.strip_chars() != "")


def _with_options(text: pl.Expr) -> pl.Expr:
    return (
        pl.when(_has_options())
        .then(pl.concat_str(text, pl.lit(OPTIONS_HEADING), pl.col("options")))
        .otherwise(text)
    )


def _sections() -> pl.Expr:
    """`### Instruction:` and `### Input:` sections, then `### Options:` when there are options."""
    text = pl.concat_str(
        pl.lit("### Instruction:\n"),
        pl.col("instruction"),
        pl.lit("\n\n### Input:\n"),
        pl.col("input").fill_null(""),
    )
    return _with_options(text)


def alpaca_columns() -> list[pl.Expr]:
    """instruction / input (options appended) / output."""
    return [
        pl.col("instruction"),
        _with_options(pl.col("input").fill_null("")).alias("input"),
        pl.col("output"),
    ]


def chat_columns() -> list[pl.Expr]:
    """`messages`: the user turn holds the instruction, input and options; the assistant turn the answer."""
    messages = pl.concat_list(
        pl.struct(role=pl.lit("user"), content=_sections()),
        pl.struct(role=pl.lit("assistant"), content=pl.col("output")),
    )
    return [messages.alias("messages")]


def ecellm_prompt() -> pl.Expr:
    """eCeLLM's full Alpaca prompt, ending with the `### Response:` heading the answer follows."""
    return pl.concat_str(pl.lit(ALPACA_PREAMBLE), _sections(), pl.lit(RESPONSE_HEADING))


def prompt_completion_columns() -> list[pl.Expr]:
    """TRL's prompt-completion layout: `prompt` (never trained on) and `completion` (the answer)."""
    return [ecellm_prompt().alias("prompt"), pl.col("output").alias("completion")]


@dataclass(frozen=True)
class TrainingFormat:
    name: str
    suffix: str
    columns: Callable[[], list[pl.Expr]]
    schema: dict[str, pl.DataType]  # of the columns, for the Parquet config pushed to the Hub
    json_array: bool  # one JSON array (Alpaca's habit) rather than JSON lines
    llama_factory: dict[str, Any] | None  # its dataset_info.json entry, minus file_name


FORMATS = {
    f.name: f
    for f in (
        TrainingFormat(
            "alpaca",
            ".json",
            alpaca_columns,
            dict.fromkeys(("instruction", "input", "output"), pl.String),
            json_array=True,
            llama_factory={
                "formatting": "alpaca",
                "columns": {"prompt": "instruction", "query": "input", "response": "output"},
            },
        ),
        TrainingFormat(
            "chat",
            ".jsonl",
            chat_columns,
            {"messages": pl.List(pl.Struct({"role": pl.String, "content": pl.String}))},
            json_array=False,
            llama_factory={
                "formatting": "sharegpt",
                "columns": {"messages": "messages"},
                "tags": {
                    "role_tag": "role",
                    "content_tag": "content",
                    "user_tag": "user",
                    "assistant_tag": "assistant",
                },
            },
        ),
        TrainingFormat(
            "prompt-completion",
            ".jsonl",
            prompt_completion_columns,
            dict.fromkeys(("prompt", "completion"), pl.String),
            json_array=False,
            llama_factory=None,
        ),
    )
}


def _json_array_from_lines(lines_path: Path, target: Path) -> None:
    """Wrap a JSON-lines file into one JSON array, line by line (never the whole file in memory)."""
    with lines_path.open("r", encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        out.write("[")
        for i, line in enumerate(source):
            out.write(("\n" if i == 0 else ",\n") + line.rstrip("\n"))
        out.write("\n]\n")


def training_file_name(fmt: str, split: str) -> str:
    """The file of one split, relative to the training folder: `<format>/<split><suffix>`."""
    return f"{fmt}/{split}{FORMATS[fmt].suffix}"


def write_training_file(rows: pl.LazyFrame, fmt: str, target: Path) -> Path:
    """Write `rows` (ROW_SCHEMA) in training format `fmt` (a FORMATS key), streaming and atomically."""
    spec = FORMATS[fmt]
    with atomic_path(target) as tmp:
        if not spec.json_array:
            rows.select(spec.columns()).sink_ndjson(tmp)
            return target
        lines = tmp.with_name(tmp.name + ".lines")
        try:
            rows.select(spec.columns()).sink_ndjson(lines)
            _json_array_from_lines(lines, tmp)
        finally:
            lines.unlink(missing_ok=True)
    return target


def config_name(fmt: str) -> str:
    """The Hub config of a training format (`prompt-completion` -> `prompt_completion`)."""
    return fmt.replace("-", "_")


def llama_factory_info(formats: Iterable[str], splits: Sequence[str], prefix: str) -> dict[str, Any]:
    """LLaMA-Factory's `dataset_info.json`: one dataset `<prefix>_<format>_<split>` per file it reads."""
    entries = {}
    for fmt in formats:
        entry = FORMATS[fmt].llama_factory
        if entry is None:
            continue
        for split in splits:
            name = f"{prefix}_{config_name(fmt)}_{split}"
            entries[name] = {"file_name": training_file_name(fmt, split), **entry}
    return entries


def format_card(fmt: str, splits: Sequence[str]) -> str:
    """A card whose `configs` name each split's file, so `datasets` keeps `test_ood` apart from `test`
    (its file-name rules would fold `test_ood.*` into `test`)."""
    files = [{"split": s, "path": f"{s}{FORMATS[fmt].suffix}"} for s in splits]
    data = DatasetCardData(configs=[{"config_name": "default", "data_files": files}])
    return f"---\n{data.to_yaml()}\n---\n\nECInstruct proper in the `{fmt}` training layout (ecbuild).\n"
