"""`ecbuild push`: upload an export to a Hub dataset repo in one commit that cannot destroy.

The files are first written by the export (into `WORKDIR/push/`), so push uploads exactly what
`ecbuild export` writes. Then:

- the branch is listed at one commit, and the push is planned against that listing: files to add,
  to update, unchanged, and to delete. Only `data/<config>/` files of configs this build produces
  are ever deleted (an old shard the new version no longer has); files of configs (tasks) this build
  did not produce, and everything outside `data/`, are kept;
- the commit names that listed commit as its parent, so if anyone pushed in between the Hub
  refuses it and nothing changes (re-running plans again against the new state);
- everything goes in a single commit (a reader never sees half a version); uploaded blobs are stored
  by content and the commit only happens at the end, so re-running a failed push is safe and
  re-running a successful one commits nothing;
- the commit is tagged `recipe-<recipe hash>`, so a published version can be found by its recipe.

The token comes from `--token`, `HF_TOKEN` or the cached login and is only ever handed to `HfApi`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, RepoFile, constants, get_token
from huggingface_hub.errors import (
    HfHubHTTPError,
    HTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from .. import __version__
from ..errors import EcbuildError, UsageError
from .card import foreign_configs
from .export import CARD_FILE, ExportResult, export_dataset
from .layout import plan_layout
from .workdir import Build

PUSH_DIR = "push"
DATA_PREFIX = "data/"
TAG_PREFIX = "recipe-"
_REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*", re.ASCII)
LOGIN_HELP = "pass --token, set HF_TOKEN or run `hf auth login`"
SHA1_HEX = 40
AFTER_FAILURE = "Nothing was committed; re-running is safe."


class PushError(EcbuildError):
    """The Hub could not be reached or refused a request; the message says what to do."""


@dataclass(frozen=True)
class PushOptions:
    repo_id: str
    private: bool = False
    revision: str | None = None
    create_pr: bool = False
    token: str | None = None  # --token; None: HF_TOKEN or the cached login
    commit_message: str | None = None  # --commit-message; None: one naming the recipe and its hash
    formats: tuple[str, ...] = ()  # --format: training formats pushed as configs of their own

    @property
    def branch(self) -> str:
        return self.revision or constants.DEFAULT_REVISION


@dataclass(frozen=True)
class RemoteState:
    """A branch as listed at one commit; `head` None when the repo (or the branch) does not exist yet."""

    head: str | None
    files: dict[str, str]  # path -> the Hub's oid: SHA-256 for LFS files, git blob SHA-1 otherwise
    card: str | None = None  # README.md at `head`, if there is one


@dataclass(frozen=True)
class PushPlan:
    parent: str | None  # the listed commit the push is based on
    added: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]
    deleted: tuple[str, ...]  # old files of configs this build produces
    kept: tuple[str, ...]  # data files of configs this build does not produce: never deleted

    @property
    def uploads(self) -> tuple[str, ...]:
        return tuple(sorted(self.added + self.updated))

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


@dataclass(frozen=True)
class PushOutcome:
    commit_url: str | None  # None: nothing changed, so nothing was committed
    pr_url: str | None
    plan: PushPlan
    tag: str | None  # the tag created, None when it existed already or for a pull request


def check_repo_id(repo_id: str) -> str:
    if not _REPO_ID.fullmatch(repo_id) or ".." in repo_id:
        raise UsageError(
            f"--repo {repo_id!r} is not a Hub repo id; write it as namespace/name, e.g. org/ECInstruct"
        )
    return repo_id


def hub_endpoint() -> str:
    """The Hub URL, from HF_ENDPOINT at call time (huggingface_hub reads it only once, at import)."""
    return os.environ.get("HF_ENDPOINT", constants.ENDPOINT).rstrip("/")


def resolve_token(explicit: str | None = None) -> str:
    token = explicit or get_token()
    if not token:
        raise PushError(f"no Hugging Face token found; {LOGIN_HELP}, then run ecbuild push again")
    return token


def stage(
    build: Build, repo_id: str, remote: RemoteState, progress: bool = True, formats: Sequence[str] = ()
) -> ExportResult:
    """Write the files to upload into WORKDIR/push/ (no network).

    The card keeps the remote card's entries for configs this build does not produce, as their
    files stay in the repo (e.g. a config someone added with `push_to_hub`).
    """
    produced = [c.name for c in plan_layout(build, formats=formats)]
    carried = foreign_configs(remote.card, produced) if remote.card else []
    return export_dataset(
        build, build.workdir / PUSH_DIR, repo_id=repo_id, progress=progress, carried=carried, formats=formats
    )


def recipe_tag(build: Build) -> str:
    return f"{TAG_PREFIX}{build.recipe.hash}"


def commit_message(build: Build, options: PushOptions) -> str:
    if options.commit_message:
        return options.commit_message
    return f"Upload ECInstruct build: ecbuild recipe {build.recipe.name} ({build.recipe.hash})"


def commit_description(build: Build, result: ExportResult) -> str:
    lines = [
        f"Written by ecbuild {__version__} from recipe {build.recipe.name} ({build.recipe.hash}).",
        "Configs and rows:",
    ]
    lines += [f"- {c.name}: " + ", ".join(f"{s.split} {s.rows}" for s in c.splits) for c in result.configs]
    return "\n".join(lines)


def git_blob_sha1(path: Path) -> str:
    """The git blob id of a file, as the Hub reports it for files stored outside LFS."""
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _same_content(path: Path, sha256: str, remote_oid: str) -> bool:
    # The Hub gives LFS files by SHA-256 and the others by git blob SHA-1; compare like with like.
    return git_blob_sha1(path) == remote_oid if len(remote_oid) == SHA1_HEX else sha256 == remote_oid


def _config_of(path: str) -> str | None:
    parts = path.split("/")
    return parts[1] if path.startswith(DATA_PREFIX) and len(parts) > 2 else None


def plan_push(result: ExportResult, remote: RemoteState) -> PushPlan:
    """What the commit does to the listed branch; deletes only old files of configs this build produces."""
    added, updated, unchanged = [], [], []
    for file in result.files:
        oid = remote.files.get(file.path)
        if oid is None:
            added.append(file.path)
        elif _same_content(result.out / file.path, file.sha256, oid):
            unchanged.append(file.path)
        else:
            updated.append(file.path)
    local = {f.path for f in result.files}
    produced = {c.name for c in result.configs}
    stale = sorted(p for p in remote.files if p not in local and _config_of(p) is not None)
    return PushPlan(
        parent=remote.head,
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        deleted=tuple(p for p in stale if _config_of(p) in produced),
        kept=tuple(p for p in stale if _config_of(p) not in produced),
    )


def _http_advice(status: int | None, options: PushOptions) -> str:
    if status == 401:
        return f"the Hub rejected the token (HTTP 401); {LOGIN_HELP} with a valid token"
    if status == 403:
        namespace = options.repo_id.split("/")[0]
        return f"permission denied (HTTP 403); use a token with write access to {namespace!r}"
    if status == 404:
        where = f" and that revision {options.revision!r} exists" if options.revision else ""
        return f"not found (HTTP 404); check the repo id{where}"
    if status in (409, 412):
        return (
            f"{options.branch!r} moved since ecbuild listed it (HTTP {status}: someone committed in "
            "between), so this push was refused rather than overwrite their work; "
            "run ecbuild push again to plan against the new state"
        )
    if status is not None and status >= 500:
        return f"the Hub had a server error (HTTP {status}); retry later"
    return f"the Hub refused the request (HTTP {status})"


def explain(
    exc: BaseException, step: str, options: PushOptions, endpoint: str, after: str = AFTER_FAILURE
) -> str | None:
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
    return f"push to {options.repo_id} failed while {step}: {what}. {after}"


@contextlib.contextmanager
def _hub_step(step: str, options: PushOptions, endpoint: str, after: str = AFTER_FAILURE) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        message = explain(exc, step, options, endpoint, after)
        if message is None:
            raise
        raise PushError(message) from None  # the chain could hold request details; the line says it all


def read_remote(api: HfApi, repo_id: str, revision: str) -> RemoteState:
    """The branch's files at its current commit; a missing branch is listed as main (it starts there)."""
    try:
        head = api.repo_info(repo_id, repo_type="dataset", revision=revision).sha
    except RepositoryNotFoundError:
        return RemoteState(head=None, files={})
    except RevisionNotFoundError:
        if revision == constants.DEFAULT_REVISION:
            raise
        return RemoteState(head=None, files=read_remote(api, repo_id, constants.DEFAULT_REVISION).files)
    entries = api.list_repo_tree(repo_id, repo_type="dataset", revision=head, recursive=True)
    files = {e.path: e.lfs.sha256 if e.lfs else e.blob_id for e in entries if isinstance(e, RepoFile)}
    card = None
    if CARD_FILE in files:
        with tempfile.TemporaryDirectory() as folder:  # not the user's HF cache: read once, thrown away
            path = api.hf_hub_download(
                repo_id, CARD_FILE, repo_type="dataset", revision=head, local_dir=folder
            )
            card = Path(path).read_text(encoding="utf-8", errors="replace")
    return RemoteState(head=head, files=files, card=card)


def preview(options: PushOptions) -> RemoteState:
    """The remote state for --dry-run: read-only, with a token only if one is at hand."""
    endpoint = hub_endpoint()
    api = HfApi(endpoint=endpoint, token=options.token or get_token() or False)
    with _hub_step(f"listing {options.branch!r}", options, endpoint, "A dry run commits nothing."):
        return read_remote(api, options.repo_id, options.branch)


def _operations(result: ExportResult, plan: PushPlan) -> list[CommitOperationAdd | CommitOperationDelete]:
    adds = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=str(result.out / p)) for p in plan.uploads]
    return [*adds, *(CommitOperationDelete(path_in_repo=p) for p in plan.deleted)]


def _tag(api: HfApi, options: PushOptions, tag: str, commit: str) -> str | None:
    """Tag `commit`; None when the tag already exists (it is left where it is: tags are history)."""
    try:
        api.create_tag(options.repo_id, tag=tag, revision=commit, repo_type="dataset")
    except HfHubHTTPError as exc:
        if exc.response is not None and exc.response.status_code == 409:
            return None
        raise
    return tag


def upload(
    build: Build, options: PushOptions, token: str, progress: bool = True
) -> tuple[ExportResult, PushOutcome]:
    """Create the repo (and branch) if needed, list it at one commit, stage the files, plan against
    that listing and commit on top of it."""
    endpoint = hub_endpoint()
    api = HfApi(endpoint=endpoint, token=token)
    with _hub_step("checking the token", options, endpoint):
        api.whoami()
    with _hub_step("creating the repo", options, endpoint):
        api.create_repo(options.repo_id, repo_type="dataset", private=options.private or None, exist_ok=True)
    if options.branch != constants.DEFAULT_REVISION:
        with _hub_step(f"creating branch {options.branch!r}", options, endpoint):
            api.create_branch(options.repo_id, branch=options.branch, repo_type="dataset", exist_ok=True)
    with _hub_step("listing the files already there", options, endpoint):
        remote = read_remote(api, options.repo_id, options.branch)
    result = stage(build, options.repo_id, remote, progress, options.formats)
    plan = plan_push(result, remote)
    commit_url = pr_url = None
    head = plan.parent
    if plan.changes_anything:
        with _hub_step("uploading and committing", options, endpoint):
            info = api.create_commit(
                options.repo_id,
                _operations(result, plan),
                commit_message=commit_message(build, options),
                commit_description=commit_description(build, result),
                repo_type="dataset",
                revision=options.branch,
                create_pr=options.create_pr,
                parent_commit=plan.parent,
            )
        commit_url, pr_url, head = str(info.commit_url), info.pr_url, info.oid
    tag = None
    if not options.create_pr and head is not None:  # a pull request is not a published version yet
        with _hub_step("tagging the commit", options, endpoint):
            tag = _tag(api, options, recipe_tag(build), head)
    return result, PushOutcome(commit_url=commit_url, pr_url=pr_url, plan=plan, tag=tag)
