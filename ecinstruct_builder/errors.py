"""User-facing errors: the CLI prints their message as one line and exits non-zero."""

from __future__ import annotations


class EcbuildError(Exception):
    """A problem the user can fix (bad path, bad recipe, no network...).

    The message must say what went wrong and what to do; the CLI prints it without a traceback and
    exits with `exit_code`: 1 for data, environment and runtime errors, 2 for usage errors.
    """

    exit_code = 1


class UsageError(EcbuildError):
    """The command was called wrongly (an unknown task name, an option out of range)."""

    exit_code = 2


class SourceFileError(EcbuildError):
    """An input file is missing or unreadable."""


class RecipeError(UsageError):
    """A recipe is malformed or names something that does not exist."""


class DownloadError(EcbuildError):
    """A download failed (network, HTTP status, checksum)."""
