"""`ecbuild push` with the real huggingface_hub client against a fake Hub on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fakehub import FakeHub
from httpserver import closed_port_url
from huggingface_hub import constants

from ecinstruct_builder.publish.command import push_command
from ecinstruct_builder.publish.workdir import Build

TOKEN = "hf_fakeTokenForTests0123456789"
REPO = "org/ECInstruct"


@pytest.fixture
def hub_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """A running fake Hub, with HF_ENDPOINT and HF_TOKEN pointing at it and no cached login."""
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)  # the fake Hub speaks LFS, not Xet
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-cached-token"))
    with FakeHub(token=TOKEN) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", TOKEN)
        yield hub


def _push(built: Build, *args: str) -> Result:
    return CliRunner().invoke(
        push_command, ["--repo", REPO, "--workdir", str(built.workdir), "--quiet", *args]
    )


def _materialise(files: dict[str, bytes], folder: Path) -> Path:
    for path, content in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(content)
    return folder


def _all_text(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_dry_run_lists_files_offline_without_a_token(
    built: Build, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", closed_port_url().rstrip("/"))  # any request would fail
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-cached-token"))
    result = _push(built, "--dry-run")
    assert result.exit_code == 0, result.output
    staged = sorted(
        p.relative_to(built.workdir / "push").as_posix()
        for p in (built.workdir / "push").rglob("*")
        if p.is_file()
    )
    listed = [line.split()[-1] for line in result.output.splitlines() if line.startswith("  ")]
    assert listed == staged
    assert "data/all/train-00000-of-00001.parquet" in listed and "README.md" in listed
    assert (
        f"in one commit: 'Upload ECInstruct build: ecbuild recipe demo ({built.recipe.hash})'"
        in result.output
    )


def test_push_commits_everything_once_and_datasets_loads_it(
    built: Build, hub_env: FakeHub, tmp_path: Path, load_config
) -> None:
    result = _push(built)
    assert result.exit_code == 0, result.output
    assert len(hub_env.commits) == 1
    commit = hub_env.commits[0]
    assert commit.revision == "main" and built.recipe.hash in commit.summary
    staged = built.workdir / "push"
    local = {p.relative_to(staged).as_posix(): p.read_bytes() for p in staged.rglob("*") if p.is_file()}
    committed = hub_env.files(REPO)
    assert {p: c for p, c in committed.items() if p != ".gitattributes"} == local
    assert sorted(commit.added) == sorted(local)
    parquet = {hashlib.sha256(c).hexdigest() for p, c in local.items() if p.endswith(".parquet")}
    assert parquet and parquet <= set(hub_env.lfs)  # Parquet went through LFS, the rest as regular files
    copy = _materialise(committed, tmp_path / "hub-copy")
    manifest = json.loads((copy / "manifest.json").read_text())
    for config in ("all", "Sentiment_Analysis", "one_shot"):
        loaded = load_config(copy, config)
        assert {s: d.num_rows for s, d in loaded.items()} == {
            s: v["rows"] for s, v in manifest["configs"][config].items()
        }
    assert TOKEN not in result.output
    assert TOKEN.encode() not in _all_text(copy) and TOKEN.encode() not in _all_text(built.workdir)
    assert all(header in ("", f"Bearer {TOKEN}") for header in hub_env.auth_headers)


def test_failed_push_can_be_retried_and_a_repeat_commits_nothing(built: Build, hub_env: FakeHub) -> None:
    hub_env.commit_statuses = [422]
    failed = _push(built)
    assert failed.exit_code == 1
    assert failed.output.strip().splitlines()[-1] == (
        f"Error: push to {REPO} failed while uploading and committing: "
        "the Hub refused the request (HTTP 422). Nothing was committed; re-running is safe."
    )
    assert hub_env.commits == [] and len(hub_env.lfs) > 0  # blobs uploaded, no commit
    lfs_puts = sum(1 for method, _ in hub_env.requests if method == "PUT")
    assert _push(built).exit_code == 0
    assert sum(1 for method, _ in hub_env.requests if method == "PUT") == lfs_puts  # blobs not sent again
    assert len(hub_env.commits) == 1
    assert _push(built).exit_code == 0
    assert len(hub_env.commits) == 1  # nothing changed: no second commit


def test_push_deletes_stale_data_files_in_the_same_commit(built: Build, hub_env: FakeHub) -> None:
    assert _push(built).exit_code == 0
    hub_env.repos[REPO].refs["main"]["data/Old_Task/train-00000-of-00001.parquet"] = b"PAR1 old"
    result = _push(built)
    assert result.exit_code == 0, result.output
    assert "deleted data/Old_Task/train-00000-of-00001.parquet (not in this version)" in result.output
    assert hub_env.commits[-1].deleted == ["data/Old_Task/train-00000-of-00001.parquet"]
    assert "data/Old_Task/train-00000-of-00001.parquet" not in hub_env.files(REPO)


def test_revision_and_pull_request(built: Build, hub_env: FakeHub) -> None:
    result = _push(built, "--revision", "v2", "--create-pr", "--private")
    assert result.exit_code == 0, result.output
    assert hub_env.repos[REPO].private
    assert hub_env.commits[0].revision == "refs/pr/1"
    assert f"{hub_env.url}/datasets/{REPO}/discussions/1" in result.output
    assert set(hub_env.files(REPO, "v2")) == {".gitattributes"}  # the branch itself is untouched


def test_no_token_says_how_to_log_in(built: Build, hub_env: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN")
    result = _push(built)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no Hugging Face token found; set HF_TOKEN or run `hf auth login`, then run ecbuild push again"
    )
    assert hub_env.requests == []


def test_unreachable_endpoint_is_one_line(
    built: Build, hub_env: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = closed_port_url().rstrip("/")
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    result = _push(built)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: push to {REPO} failed while checking the token: cannot reach {endpoint} (ConnectError); "
        "check the network and HF_ENDPOINT. Nothing was committed; re-running is safe."
    )


def test_permission_denied_is_one_line(built: Build, hub_env: FakeHub) -> None:
    hub_env.deny_write = True
    result = _push(built)
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: push to {REPO} failed while creating the repo: permission denied (HTTP 403); "
        "use a token with write access to 'org'. Nothing was committed; re-running is safe."
    )
    assert hub_env.commits == []


def test_rejected_token_is_one_line(built: Build, hub_env: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    result = _push(built)
    assert result.exit_code == 1
    assert "failed while checking the token: the Hub rejected the token (HTTP 401)" in result.output
    assert "hf_wrong" not in result.output


def test_bad_repo_id_is_refused_before_any_work(built: Build, hub_env: FakeHub) -> None:
    result = CliRunner().invoke(push_command, ["--repo", "ECInstruct", "--workdir", str(built.workdir)])
    assert result.exit_code == 2
    assert "--repo 'ECInstruct' is not a Hub repo id; write it as namespace/name" in result.output
    assert hub_env.requests == []
