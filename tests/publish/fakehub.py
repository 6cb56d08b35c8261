"""A fake Hugging Face Hub on 127.0.0.1: what `HfApi`, `datasets.load_dataset` and `push_to_hub` call.

Implemented (as huggingface_hub calls them): whoami, repo create / info (`revision/<branch, tag or
commit sha>`), branches and tags, tree listing (with a path, recursive or not), paths-info, README
YAML validation, preupload (Parquet goes to LFS, everything else is a regular file), the LFS batch
API with a basic PUT transfer, the ndjson commit (with `parentCommit`: 412 when the branch moved)
and file download (`resolve/<revision>/<path>`, HEAD and GET, with `Range`). Errors carry the
`X-Error-Code` header the real Hub sends, so the client raises the right exception (a missing
README is `EntryNotFound`, not a failure). Uploads through Xet need a CAS server, so tests switch
the client to the LFS protocol (`HF_HUB_DISABLE_XET`).

    with FakeHub(token="hf_test") as hub:
        ...  # HF_ENDPOINT=hub.url, HF_TOKEN=hf_test
        hub.files("org/ECInstruct")  # path -> bytes on main
        hub.commits                   # every commit, in order
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

_REPO_API = re.compile(
    r"^/api/datasets/([^/]+/[^/]+?)"
    r"(?:/(revision|branch|tag|preupload|commit|tree|paths-info)/([^/]+)(/.*)?)?$"
)
_RESOLVE = re.compile(r"^/datasets/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
_LFS_BATCH = re.compile(r"^/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch$")
_LFS_UPLOAD = re.compile(r"^/lfs-upload/([0-9a-f]{64})$")
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")
INITIAL_FILES = {".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}


def git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def is_lfs(path: str) -> bool:
    return path.endswith(".parquet")


def content_id(path: str, content: bytes) -> str:
    """What the Hub calls a file's oid: the SHA-256 for an LFS file, the git blob SHA-1 otherwise."""
    return hashlib.sha256(content).hexdigest() if is_lfs(path) else git_blob_sha1(content)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def _error(status: int, message: str, code: str | None = None) -> Reply:
    reply = _json(status, {"error": message})
    if code is not None:  # the real Hub names the kind of 404 in headers; the client reads them
        reply.headers.update({"X-Error-Code": code, "X-Error-Message": message})
    return reply


@dataclass
class Commit:
    repo: str
    revision: str  # branch name, or refs/pr/N
    summary: str
    description: str
    oid: str
    parent: str
    added: list[str]
    deleted: list[str]


@dataclass
class Repo:
    private: bool
    snapshots: dict[str, dict[str, bytes]]  # commit oid -> every file at that commit
    refs: dict[str, str]  # branch (or refs/pr/N) -> commit oid
    tags: dict[str, str] = field(default_factory=dict)

    def resolve(self, revision: str) -> str | None:
        """The commit oid of a branch, tag or commit sha; None when there is no such revision."""
        if revision in self.refs:
            return self.refs[revision]
        if revision in self.tags:
            return self.tags[revision]
        return revision if revision in self.snapshots else None


class FakeHub:
    """The fake Hub; `deny_write` answers 403 to writes, `commit_statuses` scripts commit failures."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.commits: list[Commit] = []
        self.deny_write = False
        self.commit_statuses: list[int] = []  # statuses answered to the next commit requests, in order
        self.race: dict[str, bytes] | None = None  # someone else commits these just before the next commit
        self.requests: list[tuple[str, str]] = []
        self.auth_headers: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.hub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def files(self, repo: str, revision: str = "main") -> dict[str, bytes]:
        found = self.repos[repo]
        return dict(found.snapshots[found.resolve(revision)])

    def commit_directly(self, repo_id: str, files: dict[str, bytes], revision: str = "main") -> str:
        """Someone else commits `files` (added or replaced) to `revision`; returns the new commit oid."""
        with self._lock:
            return self._outside_commit(repo_id, self.repos[repo_id], revision, files)

    def _outside_commit(self, repo_id: str, repo: Repo, revision: str, files: dict[str, bytes]) -> str:
        parent = repo.refs[revision]
        snapshot = {**repo.snapshots[parent], **files}
        return self._record(repo_id, repo, revision, "outside commit", "", parent, snapshot, list(files), [])

    # --- request handling (called from handler threads) ---------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes) -> Reply:
        with self._lock:
            self.requests.append((method, path))
            self.auth_headers.append(headers.get("authorization", ""))
            if _LFS_UPLOAD.match(path) and method == "PUT":
                return self._lfs_put(_LFS_UPLOAD.match(path).group(1), body)
            if headers.get("authorization") != f"Bearer {self.token}":
                return _error(401, "Invalid credentials in Authorization header")
            if path == "/api/whoami-v2":
                return _json(200, {"type": "user", "name": "tester", "orgs": [{"name": "org"}]})
            if path == "/api/repos/create" and method == "POST":
                return self._create(json.loads(body))
            if path == "/api/validate-yaml" and method == "POST":
                return self._validate_yaml(json.loads(body)["content"])
            if match := _LFS_BATCH.match(path):
                return self._lfs_batch(match.group(1), json.loads(body))
            if match := _RESOLVE.match(path):
                repo, revision, file_path = match.groups()
                return self._resolve(repo, unquote(revision), unquote(file_path), headers)
            if match := _REPO_API.match(path):
                repo, action, revision, rest = match.groups()
                rest = unquote(rest or "").strip("/")
                return self._repo_call(method, repo, action, unquote(revision or "main"), rest, query, body)
            return _error(404, f"no route for {method} {path}")

    def _create(self, payload: dict[str, Any]) -> Reply:
        repo = f"{payload['organization']}/{payload['name']}"
        if self.deny_write:
            return _error(403, "You don't have the rights to create a dataset under this namespace")
        if repo in self.repos:
            return _json(
                409, {"error": "You already created this dataset repo", "url": f"{self.url}/datasets/{repo}"}
            )
        initial = hashlib.sha1(f"{repo}:initial".encode()).hexdigest()
        self.repos[repo] = Repo(
            private=payload.get("visibility") == "private",
            snapshots={initial: dict(INITIAL_FILES)},
            refs={"main": initial},
        )
        return _json(200, {"url": f"{self.url}/datasets/{repo}"})

    @staticmethod
    def _validate_yaml(content: str) -> Reply:
        match = re.match(r"^---\n(.*?)\n---\n", content, re.S)
        try:
            metadata = yaml.safe_load(match.group(1)) if match else None
        except yaml.YAMLError as exc:
            return _json(400, {"errors": [{"message": str(exc)}]})
        if not isinstance(metadata, dict) or not metadata.get("configs"):
            return _json(400, {"errors": [{"message": "metadata has no configs"}]})
        return _json(200, {"warnings": []})

    def _repo_call(
        self,
        method: str,
        repo_id: str,
        action: str | None,
        revision: str,
        rest: str,
        query: dict[str, list[str]],
        body: bytes,
    ) -> Reply:
        repo = self.repos.get(repo_id)
        if repo is None:
            return _error(404, "Repository not found", "RepoNotFound")
        if action in ("branch", "tag"):
            return self._create_ref(repo, action, revision, json.loads(body or b"{}"))
        oid = repo.resolve(revision)
        if oid is None:
            return _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        snapshot = repo.snapshots[oid]
        if action is None or action == "revision":
            return _json(200, self._info(repo_id, repo, oid))
        if action == "tree":
            return self._tree(snapshot, rest, query.get("recursive", [""])[0].lower() == "true")
        if action == "paths-info":
            return self._paths_info(snapshot, parse_qs(body.decode())["paths"])
        if self.deny_write:
            return _error(403, "You don't have write access to this repo")
        if action == "preupload":
            return _json(200, {"files": [self._preupload(snapshot, f) for f in json.loads(body)["files"]]})
        return self._commit(repo_id, repo, revision, query, body)

    @staticmethod
    def _info(repo_id: str, repo: Repo, oid: str) -> dict[str, Any]:
        return {
            "id": repo_id,
            "sha": oid,
            "private": repo.private,
            "siblings": [{"rfilename": p} for p in sorted(repo.snapshots[oid])],
        }

    def _create_ref(self, repo: Repo, kind: str, name: str, payload: dict[str, Any]) -> Reply:
        if self.deny_write:
            return _error(403, "forbidden")
        if kind == "branch":
            if name in repo.refs:
                return _error(409, "Reference already exists")
            start = repo.resolve(payload.get("startingPoint") or "main")
            repo.refs[name] = start
            return _json(200, {})
        tag = payload["tag"]  # POST tag/<revision> {"tag": name}: tag that revision
        if tag in repo.tags:
            return _error(409, "Tag already exists")
        target = repo.resolve(name)
        if target is None:
            return _error(404, f"Invalid rev id: {name}", "RevisionNotFound")
        repo.tags[tag] = target
        return _json(200, {})

    @staticmethod
    def _entry(path: str, content: bytes) -> dict[str, Any]:
        entry = {"type": "file", "path": path, "size": len(content), "oid": git_blob_sha1(content)}
        if is_lfs(path):
            entry["lfs"] = {"oid": content_id(path, content), "size": len(content), "pointerSize": 130}
        return entry

    @staticmethod
    def _folder(path: str) -> dict[str, Any]:
        return {"type": "directory", "path": path, "oid": hashlib.sha1(path.encode()).hexdigest()}

    def _tree(self, snapshot: dict[str, bytes], folder: str, recursive: bool) -> Reply:
        prefix = f"{folder}/" if folder else ""
        below = sorted(p for p in snapshot if p.startswith(prefix))
        if folder and not below:
            return _error(404, f"{folder} does not exist", "EntryNotFound")
        if recursive:
            folders = {"/".join(p.split("/")[: i + 1]) for p in below for i in range(p.count("/"))}
            folders = {f for f in folders if f.startswith(prefix)}
            return _json(
                200, [self._folder(f) for f in sorted(folders)] + [self._entry(p, snapshot[p]) for p in below]
            )
        children = {p[len(prefix) :].split("/")[0] for p in below}
        entries = [
            self._entry(prefix + c, snapshot[prefix + c])
            if prefix + c in snapshot
            else self._folder(prefix + c)
            for c in sorted(children)
        ]
        return _json(200, entries)

    def _paths_info(self, snapshot: dict[str, bytes], paths: list[str]) -> Reply:
        found = []
        for path in paths:
            if path in snapshot:
                found.append(self._entry(path, snapshot[path]))
            elif any(p.startswith(f"{path}/") for p in snapshot):
                found.append(self._folder(path))
        return _json(200, found)

    def _resolve(self, repo_id: str, revision: str, path: str, headers: Any) -> Reply:
        repo = self.repos.get(repo_id)
        if repo is None:
            return _error(404, "Repository not found", "RepoNotFound")
        oid = repo.resolve(revision)
        if oid is None:
            return _error(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        content = repo.snapshots[oid].get(path)
        if content is None:
            return _error(404, "Entry not found", "EntryNotFound")
        etag = f'"{content_id(path, content)}"'
        reply_headers = {
            "Content-Type": "application/octet-stream",
            "ETag": etag,
            "X-Repo-Commit": oid,
            "Accept-Ranges": "bytes",
        }
        if is_lfs(path):
            reply_headers.update({"X-Linked-Etag": etag, "X-Linked-Size": str(len(content))})
        wanted = _RANGE.fullmatch(headers.get("range", ""))
        if wanted is None:
            return Reply(200, content, reply_headers)
        start = int(wanted.group(1))
        end = int(wanted.group(2)) if wanted.group(2) else len(content) - 1
        reply_headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
        return Reply(206, content[start : end + 1], reply_headers)

    @staticmethod
    def _preupload(current: dict[str, bytes], file: dict[str, Any]) -> dict[str, Any]:
        path = file["path"]
        existing = current.get(path)
        return {
            "path": path,
            "uploadMode": "lfs" if is_lfs(path) else "regular",
            "shouldIgnore": False,
            "oid": None if existing is None else content_id(path, existing),
        }

    def _lfs_batch(self, repo_id: str, payload: dict[str, Any]) -> Reply:
        if repo_id not in self.repos:
            return _error(404, "Repository not found", "RepoNotFound")
        objects = []
        for obj in payload["objects"]:
            entry = {"oid": obj["oid"], "size": obj["size"]}
            if obj["oid"] not in self.lfs:  # content the Hub already has is not uploaded again
                entry["actions"] = {"upload": {"href": f"{self.url}/lfs-upload/{obj['oid']}"}}
            objects.append(entry)
        return _json(200, {"transfer": "basic", "objects": objects})

    def _lfs_put(self, oid: str, body: bytes) -> Reply:
        if hashlib.sha256(body).hexdigest() != oid:
            return _error(400, "sha256 mismatch")
        self.lfs[oid] = body
        return _json(200, {})

    def _commit(
        self, repo_id: str, repo: Repo, revision: str, query: dict[str, list[str]], body: bytes
    ) -> Reply:
        if self.commit_statuses:
            return _error(self.commit_statuses.pop(0), "scripted failure")
        if self.race is not None:
            files, self.race = self.race, None
            self._outside_commit(repo_id, repo, revision, files)
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        header = next(item["value"] for item in lines if item["key"] == "header")
        parent = header.get("parentCommit") or repo.refs[revision]
        create_pr = query.get("create_pr") == ["1"]
        if not create_pr and parent != repo.refs[revision]:
            return _error(412, "A commit has happened since. Please refresh and try again.")
        files = dict(repo.snapshots[parent])
        added, deleted = [], []
        for item in lines:
            key, value = item["key"], item["value"]
            if key == "file":
                files[value["path"]] = base64.b64decode(value["content"])
                added.append(value["path"])
            elif key == "lfsFile":
                if value["oid"] not in self.lfs:
                    return _error(422, f"LFS object {value['oid']} was never uploaded")
                files[value["path"]] = self.lfs[value["oid"]]
                added.append(value["path"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
                deleted.append(value["path"])
        target = revision
        if create_pr:
            target = f"refs/pr/{sum(r.startswith('refs/pr/') for r in repo.refs) + 1}"
        summary, description = header["summary"], header.get("description", "")
        oid = self._record(repo_id, repo, target, summary, description, parent, files, added, deleted)
        pr_url = (
            f"{self.url}/datasets/{repo_id}/discussions/{target.rsplit('/', 1)[1]}" if create_pr else None
        )
        return _json(
            200,
            {
                "commitUrl": f"{self.url}/datasets/{repo_id}/commit/{oid}",
                "commitOid": oid,
                "pullRequestUrl": pr_url,
            },
        )

    def _record(
        self,
        repo_id: str,
        repo: Repo,
        target: str,
        summary: str,
        description: str,
        parent: str,
        files: dict[str, bytes],
        added: list[str],
        deleted: list[str],
    ) -> str:
        oid = hashlib.sha1(f"{repo_id}:{len(self.commits)}".encode()).hexdigest()
        repo.snapshots[oid] = files
        repo.refs[target] = oid
        self.commits.append(Commit(repo_id, target, summary, description, oid, parent, added, deleted))
        return oid


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the clients expect

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        hub: FakeHub = self.server.hub  # type: ignore[attr-defined]
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = hub.handle(self.command, url.path, parse_qs(url.query), headers, self._body())
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_HEAD = _serve  # the names http.server dispatches to

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""
