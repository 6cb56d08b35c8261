"""Training files in the two layouts trainers read most: Alpaca JSON and chat-messages JSONL.

Both lay the prompt out as eCeLLM's Alpaca template did: the options follow the input under an
`### Options:` heading, and only when the task has options.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ..io import atomic_path

OPTIONS_HEADING = "\n\n### Options:\n"


def _has_options() -> pl.Expr:
    return pl.col("options").is_not_null() & (pl.col("options").str.strip_chars() != "")


def _with_options(text: pl.Expr) -> pl.Expr:
    return (
        pl.when(_has_options())
        .then(pl.concat_str(text, pl.lit(OPTIONS_HEADING), pl.col("options")))
        .otherwise(text)
    )


def alpaca_columns() -> list[pl.Expr]:
    """instruction / input (options appended) / output."""
    return [
        pl.col("instruction"),
        _with_options(pl.col("input").fill_null("")).alias("input"),
        pl.col("output"),
    ]


def chat_columns() -> list[pl.Expr]:
    """`messages`: the user turn holds the instruction, input and options; the assistant turn the answer."""
    prompt = pl.concat_str(
        pl.lit("### Instruction:\n"),
        pl.col("instruction"),
        pl.lit("\n\n### Input:\n"),
        pl.col("input").fill_null(""),
    )
    messages = pl.concat_list(
        pl.struct(role=pl.lit("user"), content=_with_options(prompt)),
        pl.struct(role=pl.lit("assistant"), content=pl.col("output")),
    )
    return [messages.alias("messages")]


def _json_array_from_lines(lines_path: Path, target: Path) -> None:
    """Wrap a JSON-lines file into one JSON array, line by line (never the whole file in memory)."""
    with lines_path.open("r", encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        out.write("[")
        for i, line in enumerate(source):
            out.write(("\n" if i == 0 else ",\n") + line.rstrip("\n"))
        out.write("\n]\n")


def write_training_file(rows: pl.LazyFrame, fmt: str, target: Path) -> Path:
    """Write `rows` (ROW_SCHEMA) as an Alpaca JSON array or a chat JSONL file, streaming and atomically."""
    if fmt == "chat":
        with atomic_path(target) as tmp:
            rows.select(chat_columns()).sink_ndjson(tmp)
        return target
    with atomic_path(target) as tmp:
        lines = tmp.with_name(tmp.name + ".lines")
        try:
            rows.select(alpaca_columns()).sink_ndjson(lines)
            _json_array_from_lines(lines, tmp)
        finally:
            lines.unlink(missing_ok=True)
    return target
