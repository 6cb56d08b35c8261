"""`ecbuild push`: upload an export to a Hub dataset repo in one commit.

The files are first written by the export (into `WORKDIR/push/`), so push uploads exactly what
`ecbuild export` writes. All of them go in a single commit (a reader never sees half a version);
`data/` files of an earlier version that this one no longer has are deleted in the same commit. The
Hub stores uploaded blobs by content and the commit only happens at the end, so re-running a failed
push is safe; re-running a successful one commits nothing.

The token comes from `HF_TOKEN` or the cached login and is only ever handed to `HfApi`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, constants, get_token
from huggingface_hub.errors import HfHubHTTPError, HTTPError

from .. import __version__
from ..errors import EcbuildError, UsageError
from .export import ExportResult, export_dataset
from .workdir import Build

PUSH_DIR = "push"
DATA_PREFIX = "data/"
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*", re.ASCII)
LOGIN_HELP = "set HF_TOKEN or run `hf auth login`"


class PushError(EcbuildError):
    """The Hub could not be reached or refused a request; the message says what to do."""


@dataclass(frozen=True)
class PushOptions:
    repo_id: str
    private: bool = False
    revision: str | None = None
    create_pr: bool = False


@dataclass(frozen=True)
class PushOutcome:
    commit_url: str
    pr_url: str | None
    deleted: tuple[str, ...]


def check_repo_id(repo_id: str) -> str:
    if not _REPO_ID.fullmatch(repo_id) or ".." in repo_id:
        raise UsageError(
            f"--repo {repo_id!r} is not a Hub repo id; write it as namespace/name, e.g. org/ECInstruct"
        )
    return repo_id


def hub_endpoint() -> str:
    """The Hub URL, from HF_ENDPOINT at call time (huggingface_hub reads it only once, at import)."""
    return os.environ.get("HF_ENDPOINT", constants.ENDPOINT).rstrip("/")


def resolve_token() -> str:
    token = get_token()
    if not token:
        raise PushError(f"no Hugging Face token found; {LOGIN_HELP}, then run ecbuild push again")
    return token


def stage(build: Build, repo_id: str, progress: bool = True) -> ExportResult:
    """Write the files to upload into WORKDIR/push/ (no network)."""
    return export_dataset(build, build.workdir / PUSH_DIR, repo_id=repo_id, progress=progress)


def commit_message(build: Build) -> str:
    return f"Upload ECInstruct build: ecbuild recipe {build.recipe.name} ({build.recipe.hash})"


def commit_description(result: ExportResult) -> str:
    lines = [f"Written by ecbuild {__version__}. Configs and rows:"]
    lines += [f"- {c.name}: " + ", ".join(f"{s.split} {s.rows}" for s in c.splits) for c in result.configs]
    return "\n".join(lines)


def _http_advice(status: int | None, options: PushOptions) -> str:
    if status == 401:
        return f"the Hub rejected the token (HTTP 401); {LOGIN_HELP} with a valid token"
    if status == 403:
        namespace = options.repo_id.split("/")[0]
        return f"permission denied (HTTP 403); use a token with write access to {namespace!r}"
    if status == 404:
        where = f" and that revision {options.revision!r} exists" if options.revision else ""
        return f"not found (HTTP 404); check the repo id{where}"
    if status is not None and status >= 500:
        return f"the Hub had a server error (HTTP {status}); retry later"
    return f"the Hub refused the request (HTTP {status})"


def explain(exc: BaseException, step: str, options: PushOptions, endpoint: str) -> str | None:
    """One line for a network or HTTP failure found in `exc`'s cause chain; None if it is something else."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, HfHubHTTPError):
            response = seen.response
            what = _http_advice(response.status_code if response is not None else None, options)
            break
        if isinstance(seen, HTTPError | OSError):
            what = f"cannot reach {endpoint} ({type(seen).__name__}); check the network and HF_ENDPOINT"
            break
        seen = seen.__cause__ or seen.__context__
    else:
        return None
    return (
        f"push to {options.repo_id} failed while {step}: {what}. Nothing was committed; re-running is safe."
    )


@contextlib.contextmanager
def _hub_step(step: str, options: PushOptions, endpoint: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        message = explain(exc, step, options, endpoint)
        if message is None:
            raise
        raise PushError(message) from None  # the chain could hold request details; the line says it all


def _operations(
    api: HfApi, result: ExportResult, options: PushOptions
) -> tuple[list[CommitOperationAdd | CommitOperationDelete], list[str]]:
    local = {f.path for f in result.files}
    remote = api.list_repo_files(options.repo_id, repo_type="dataset", revision=options.revision)
    stale = sorted(p for p in remote if p.startswith(DATA_PREFIX) and p not in local)
    adds = [
        CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(result.out / f.path))
        for f in result.files
    ]
    return [*adds, *(CommitOperationDelete(path_in_repo=p) for p in stale)], stale


def upload(build: Build, result: ExportResult, options: PushOptions, token: str) -> PushOutcome:
    """Create the repo (and branch) if needed and commit every file of `result` at once."""
    endpoint = hub_endpoint()
    api = HfApi(endpoint=endpoint, token=token)
    with _hub_step("checking the token", options, endpoint):
        api.whoami()
    with _hub_step("creating the repo", options, endpoint):
        api.create_repo(options.repo_id, repo_type="dataset", private=options.private or None, exist_ok=True)
    if options.revision and options.revision != constants.DEFAULT_REVISION:
        with _hub_step(f"creating branch {options.revision!r}", options, endpoint):
            api.create_branch(options.repo_id, branch=options.revision, repo_type="dataset", exist_ok=True)
    with _hub_step("listing the files already there", options, endpoint):
        operations, stale = _operations(api, result, options)
    with _hub_step("uploading and committing", options, endpoint):
        info = api.create_commit(
            options.repo_id,
            operations,
            commit_message=commit_message(build),
            commit_description=commit_description(result),
            repo_type="dataset",
            revision=options.revision,
            create_pr=options.create_pr,
        )
    return PushOutcome(commit_url=str(info.commit_url), pr_url=info.pr_url, deleted=tuple(stale))
