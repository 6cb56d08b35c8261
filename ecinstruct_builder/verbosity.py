"""`-q/--quiet` and `-v/--verbose`, shared by every command, and whether progress bars show.

Progress bars go to stderr, so they show only when stderr is a terminal, `TQDM_DISABLE` is unset
and `--quiet` is not given: a log file or a CI job never fills with bar redraws.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

import click

LOGGER_NAME = "ecinstruct_builder"
_QUIET = "ecbuild.quiet"  # key in click's context meta, shared by the group and its commands
_FALSE = {"", "0", "false", "no", "off"}


class _EchoHandler(logging.Handler):
    """Log records as plain lines on stderr, through click so CliRunner captures them."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _configure_logging(level: int) -> None:
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers = [handler for handler in logger.handlers if not isinstance(handler, _EchoHandler)]
    handler = _EchoHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


def _set_quiet(ctx: click.Context, _: click.Parameter, value: bool) -> bool:
    ctx.meta[_QUIET] = value
    return value


def _set_verbose(ctx: click.Context, _: click.Parameter, value: bool) -> bool:
    # set on every run, so one invocation's level never leaks into the next (tests run many in-process)
    _configure_logging(logging.INFO if value and not ctx.meta.get(_QUIET) else logging.WARNING)
    return value


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add `-q/--quiet` and `-v/--verbose` to a command (read back with `show_progress()`)."""
    verbose = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_set_verbose,
        help="Say more on stderr: which recipe, work dir and files are read.",
    )
    quiet = click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        is_eager=True,  # read before --verbose, so -q wins over -v
        callback=_set_quiet,
        help="No progress bars and no informational messages; results and errors only.",
    )
    return quiet(verbose(func))


def progress_allowed(quiet: bool, stream_is_terminal: bool, environ: dict[str, str]) -> bool:
    """Whether to draw progress bars (a pure rule, so it can be tested without a terminal)."""
    disabled = environ.get("TQDM_DISABLE", "").strip().lower() not in _FALSE
    return not quiet and stream_is_terminal and not disabled


def show_progress() -> bool:
    """Progress bars for the running command: off with -q, off-terminal or with TQDM_DISABLE."""
    ctx = click.get_current_context(silent=True)
    quiet = bool(ctx is not None and ctx.meta.get(_QUIET))  # meta is shared by nested contexts
    return progress_allowed(quiet, sys.stderr.isatty(), dict(os.environ))


def logger() -> logging.Logger:
    """The package logger, for `-v` messages."""
    return logging.getLogger(LOGGER_NAME)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """`--json`: the command's summary as one JSON object on stdout instead of the text lines."""
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        help="Print the summary as one JSON object on stdout (notes and warnings stay on stderr).",
    )(func)


def echo_json(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False))
