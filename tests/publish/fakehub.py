"""A fake Hugging Face Hub on 127.0.0.1: the endpoints `HfApi` uses to create a repo and upload a commit.

Implemented (as huggingface_hub calls them): whoami, repo create / info / branch, tree listing,
README YAML validation, preupload (Parquet goes to LFS, everything else is a regular file), the LFS
batch API with a basic PUT transfer, and the ndjson commit. Uploads through Xet need a CAS server,
so tests switch the client to the LFS protocol (`constants.HF_HUB_DISABLE_XET`).

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
    r"^/api/datasets/([^/]+/[^/]+?)(?:/(revision|branch|preupload|commit|tree)/([^/]+)(/.*)?)?$"
)
_LFS_BATCH = re.compile(r"^/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch$")
_LFS_UPLOAD = re.compile(r"^/lfs-upload/([0-9a-f]{64})$")


def git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def is_lfs(path: str) -> bool:
    return path.endswith(".parquet")


@dataclass
class Commit:
    repo: str
    revision: str  # branch name, or refs/pr/N
    summary: str
    description: str
    oid: str
    added: list[str]
    deleted: list[str]


@dataclass
class Repo:
    private: bool
    refs: dict[str, dict[str, bytes]] = field(
        default_factory=lambda: {"main": {".gitattributes": b"*.parquet lfs\n"}}
    )
    heads: dict[str, str] = field(default_factory=lambda: {"main": "0" * 40})


class FakeHub:
    """The fake Hub; `deny_write` answers 403 to writes, `commit_statuses` scripts commit failures."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.commits: list[Commit] = []
        self.deny_write = False
        self.commit_statuses: list[int] = []  # statuses answered to the next commit requests, in order
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
        return dict(self.repos[repo].refs[revision])

    # --- request handling (called from handler threads) ---------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes) -> tuple:
        with self._lock:
            self.requests.append((method, path))
            self.auth_headers.append(headers.get("authorization", ""))
            if _LFS_UPLOAD.match(path) and method == "PUT":
                return self._lfs_put(_LFS_UPLOAD.match(path).group(1), body)
            if headers.get("authorization") != f"Bearer {self.token}":
                return 401, {"error": "Invalid credentials in Authorization header"}
            if path == "/api/whoami-v2":
                return 200, {"type": "user", "name": "tester", "orgs": [{"name": "org"}]}
            if path == "/api/repos/create" and method == "POST":
                return self._create(json.loads(body))
            if path == "/api/validate-yaml" and method == "POST":
                return self._validate_yaml(json.loads(body)["content"])
            if match := _LFS_BATCH.match(path):
                return self._lfs_batch(match.group(1), json.loads(body))
            if match := _REPO_API.match(path):
                repo, action, revision, rest = match.groups()
                return self._repo_call(method, repo, action, unquote(revision or "main"), rest, query, body)
            return 404, {"error": f"no route for {method} {path}"}

    def _create(self, payload: dict[str, Any]) -> tuple:
        repo = f"{payload['organization']}/{payload['name']}"
        if self.deny_write:
            return 403, {"error": "You don't have the rights to create a dataset under this namespace"}
        if repo in self.repos:
            return 409, {
                "error": "You already created this dataset repo",
                "url": f"{self.url}/datasets/{repo}",
            }
        self.repos[repo] = Repo(private=payload.get("visibility") == "private")
        return 200, {"url": f"{self.url}/datasets/{repo}"}

    @staticmethod
    def _validate_yaml(content: str) -> tuple:
        match = re.match(r"^---\n(.*?)\n---\n", content, re.S)
        try:
            metadata = yaml.safe_load(match.group(1)) if match else None
        except yaml.YAMLError as exc:
            return 400, {"errors": [{"message": str(exc)}]}
        if not isinstance(metadata, dict) or not metadata.get("configs"):
            return 400, {"errors": [{"message": "metadata has no configs"}]}
        return 200, {"warnings": []}

    def _repo_call(
        self,
        method: str,
        repo_id: str,
        action: str | None,
        revision: str,
        rest: str | None,
        query: dict[str, list[str]],
        body: bytes,
    ) -> tuple:
        repo = self.repos.get(repo_id)
        if repo is None:
            return 404, {"error": "Repository not found"}
        if action is None or action == "revision":
            if revision not in repo.refs:
                return 404, {"error": "Revision not found"}
            siblings = [{"rfilename": p} for p in sorted(repo.refs[revision])]
            return 200, {
                "id": repo_id,
                "sha": repo.heads[revision],
                "private": repo.private,
                "siblings": siblings,
            }
        if action == "branch":
            if self.deny_write:
                return 403, {"error": "forbidden"}
            if revision in repo.refs:
                return 409, {"error": "Reference already exists"}
            repo.refs[revision] = dict(repo.refs["main"])
            repo.heads[revision] = repo.heads["main"]
            return 200, {}
        if revision not in repo.refs:
            return 404, {"error": "Revision not found"}
        if action == "tree":
            return 200, [self._tree_entry(p, c) for p, c in sorted(repo.refs[revision].items())]
        if self.deny_write:
            return 403, {"error": "You don't have write access to this repo"}
        if action == "preupload":
            return 200, {
                "files": [self._preupload(repo.refs[revision], f) for f in json.loads(body)["files"]]
            }
        return self._commit(repo_id, repo, revision, query, body)

    @staticmethod
    def _tree_entry(path: str, content: bytes) -> dict[str, Any]:
        entry = {"type": "file", "path": path, "size": len(content), "oid": git_blob_sha1(content)}
        if is_lfs(path):
            entry["lfs"] = {
                "oid": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "pointerSize": 130,
            }
        return entry

    @staticmethod
    def _preupload(current: dict[str, bytes], file: dict[str, Any]) -> dict[str, Any]:
        path = file["path"]
        existing = current.get(path)
        oid = None
        if existing is not None:
            oid = hashlib.sha256(existing).hexdigest() if is_lfs(path) else git_blob_sha1(existing)
        return {
            "path": path,
            "uploadMode": "lfs" if is_lfs(path) else "regular",
            "shouldIgnore": False,
            "oid": oid,
        }

    def _lfs_batch(self, repo_id: str, payload: dict[str, Any]) -> tuple:
        if repo_id not in self.repos:
            return 404, {"error": "Repository not found"}
        objects = []
        for obj in payload["objects"]:
            entry = {"oid": obj["oid"], "size": obj["size"]}
            if obj["oid"] not in self.lfs:  # content the Hub already has is not uploaded again
                entry["actions"] = {"upload": {"href": f"{self.url}/lfs-upload/{obj['oid']}"}}
            objects.append(entry)
        return 200, {"transfer": "basic", "objects": objects}

    def _lfs_put(self, oid: str, body: bytes) -> tuple:
        if hashlib.sha256(body).hexdigest() != oid:
            return 400, {"error": "sha256 mismatch"}
        self.lfs[oid] = body
        return 200, {}

    def _commit(
        self, repo_id: str, repo: Repo, revision: str, query: dict[str, list[str]], body: bytes
    ) -> tuple:
        if self.commit_statuses:
            return self.commit_statuses.pop(0), {"error": "scripted failure"}
        lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        header = next(item["value"] for item in lines if item["key"] == "header")
        files = dict(repo.refs[revision])
        added, deleted = [], []
        for item in lines:
            key, value = item["key"], item["value"]
            if key == "file":
                files[value["path"]] = base64.b64decode(value["content"])
                added.append(value["path"])
            elif key == "lfsFile":
                if value["oid"] not in self.lfs:
                    return 422, {"error": f"LFS object {value['oid']} was never uploaded"}
                files[value["path"]] = self.lfs[value["oid"]]
                added.append(value["path"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
                deleted.append(value["path"])
        target = revision
        if query.get("create_pr") == ["1"]:
            target = f"refs/pr/{sum(r.startswith('refs/pr/') for r in repo.refs) + 1}"
        oid = hashlib.sha1(f"{repo_id}:{len(self.commits)}".encode()).hexdigest()
        repo.refs[target] = files
        repo.heads[target] = oid
        self.commits.append(
            Commit(repo_id, target, header["summary"], header.get("description", ""), oid, added, deleted)
        )
        pr_url = (
            f"{self.url}/datasets/{repo_id}/discussions/{target.rsplit('/', 1)[1]}"
            if target != revision
            else None
        )
        return 200, {
            "commitUrl": f"{self.url}/datasets/{repo_id}/commit/{oid}",
            "commitOid": oid,
            "pullRequestUrl": pr_url,
        }


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

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
        status, payload = hub.handle(self.command, url.path, parse_qs(url.query), headers, self._body())
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _serve  # the names http.server dispatches to

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""
