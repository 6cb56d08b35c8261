"""`ecbuild push` with the real huggingface_hub client against a fake Hub on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner, Result
from fakehub import FakeHub
from httpserver import closed_port_url
from huggingface_hub import DatasetCard, constants

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


def _plan(output: str) -> dict[str, list[str]]:
    """The dry run's listing: mark (add, update, same, delete, keep) -> paths."""
    plan: dict[str, list[str]] = {}
    for line in output.splitlines():
        if line.startswith("  "):
            mark, *rest = line.split()
            path = rest[0] if mark == "keep" else rest[-1]  # keep lines add a reason after the path
            plan.setdefault(mark, []).append(path)
    return plan


def _staged(built: Build) -> dict[str, bytes]:
    staged = built.workdir / "push"
    return {p.relative_to(staged).as_posix(): p.read_bytes() for p in staged.rglob("*") if p.is_file()}


def test_dry_run_lists_files_offline_without_a_token(
    built: Build, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    endpoint = closed_port_url().rstrip("/")
    monkeypatch.setenv("HF_ENDPOINT", endpoint)  # any request fails: the dry run says so and goes on
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-cached-token"))
    result = _push(built, "--dry-run")
    assert result.exit_code == 0, result.output
    assert _plan(result.output) == {"add": sorted(_staged(built))}
    assert f"note: push to {REPO} failed while listing 'main': cannot reach {endpoint}" in result.output
    assert "deletions are not known" in result.output
    assert (
        f"in one commit: 'Upload ECInstruct build: ecbuild recipe demo ({built.recipe.hash})', "
        f"tagged 'recipe-{built.recipe.hash}'" in result.output
    )


def test_dry_run_lists_additions_deletions_and_kept_files_and_writes_nothing(
    built: Build, hub_env: FakeHub
) -> None:
    assert _push(built).exit_code == 0
    old_shard = "data/Sentiment_Analysis/train-00000-of-00002.parquet"  # a config this build produces
    other_task = "data/Old_Task/train-00000-of-00001.parquet"  # a config it does not produce
    hub_env.commit_directly(REPO, {old_shard: b"PAR1 old", other_task: b"PAR1 other", "notes.txt": b"mine"})
    commits, requests = len(hub_env.commits), len(hub_env.requests)
    result = _push(built, "--dry-run")
    assert result.exit_code == 0, result.output
    plan = _plan(result.output)
    assert plan["delete"] == [old_shard] and plan["keep"] == [other_task]
    assert sorted(plan["same"]) == sorted(_staged(built)) and "add" not in plan
    assert (
        "0 added, 0 updated" in result.output and f"on top of {hub_env.commits[-1].oid[:12]}" in result.output
    )
    assert len(hub_env.commits) == commits
    assert all(method in ("GET", "HEAD") for method, _ in hub_env.requests[requests:])  # reads only


def test_push_commits_everything_once_tags_it_and_datasets_loads_it(
    built: Build, hub_env: FakeHub, tmp_path: Path, load_config
) -> None:
    result = _push(built)
    assert result.exit_code == 0, result.output
    assert len(hub_env.commits) == 1
    commit = hub_env.commits[0]
    assert commit.revision == "main" and built.recipe.hash in commit.summary
    assert commit.parent == next(iter(hub_env.repos[REPO].snapshots))  # on top of the repo's first commit
    assert hub_env.repos[REPO].tags == {f"recipe-{built.recipe.hash}": commit.oid}
    assert f"tagged recipe-{built.recipe.hash}" in result.output
    local = _staged(built)
    committed = hub_env.files(REPO)
    assert {p: c for p, c in committed.items() if p != ".gitattributes"} == local
    assert sorted(commit.added) == sorted(local)
    parquet = {hashlib.sha256(c).hexdigest() for p, c in local.items() if p.endswith(".parquet")}
    assert parquet and parquet <= set(hub_env.lfs)  # Parquet went through LFS, the rest as regular files
    copy = _materialise(committed, tmp_path / "hub-copy")
    manifest = json.loads((copy / "manifest.json").read_text())
    for config in ("ecinstruct", "ninglab_table", "Sentiment_Analysis", "one_shot"):
        loaded = load_config(copy, config)
        assert {s: d.num_rows for s, d in loaded.items()} == {
            s: v["rows"] for s, v in manifest["configs"][config].items()
        }
    assert TOKEN not in result.output
    assert TOKEN.encode() not in _all_text(copy) and TOKEN.encode() not in _all_text(built.workdir)
    assert all(header in ("", f"Bearer {TOKEN}") for header in hub_env.auth_headers)


def test_token_flag_and_commit_message(
    built: Build, hub_env: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_TOKEN")
    result = _push(built, "--token", TOKEN, "--commit-message", "Rebuild with the new templates")
    assert result.exit_code == 0, result.output
    assert hub_env.commits[0].summary == "Rebuild with the new templates"
    assert built.recipe.hash in hub_env.commits[0].description  # the recipe is still named
    assert TOKEN not in result.output


def test_failed_push_can_be_retried_and_a_repeat_commits_nothing(built: Build, hub_env: FakeHub) -> None:
    hub_env.commit_statuses = [422]
    failed = _push(built)
    assert failed.exit_code == 1
    assert failed.output.strip().splitlines()[-1] == (
        f"Error: push to {REPO} failed while uploading and committing: "
        "the Hub refused the request (HTTP 422). Nothing was committed; re-running is safe."
    )
    assert hub_env.commits == [] and len(hub_env.lfs) > 0  # blobs uploaded, no commit
    assert hub_env.repos[REPO].tags == {}
    lfs_puts = sum(1 for method, _ in hub_env.requests if method == "PUT")
    assert _push(built).exit_code == 0
    assert sum(1 for method, _ in hub_env.requests if method == "PUT") == lfs_puts  # blobs not sent again
    assert len(hub_env.commits) == 1
    again = _push(built)
    assert again.exit_code == 0
    assert len(hub_env.commits) == 1  # nothing changed: no second commit
    assert "nothing to push" in again.output and "tagged" not in again.output


def test_push_refuses_when_the_branch_moved_since_the_listing(built: Build, hub_env: FakeHub) -> None:
    assert _push(built).exit_code == 0
    card = hub_env.files(REPO)["README.md"]
    hub_env.commit_directly(REPO, {"README.md": card + b"\nlocal edit\n"})  # so the next push has work
    hub_env.race = {"data/Their_Task/train-00000-of-00001.parquet": b"PAR1 theirs"}
    before = dict(hub_env.repos[REPO].refs)
    result = _push(built)
    assert result.exit_code == 1
    assert "'main' moved since ecbuild listed it (HTTP 412" in result.output
    assert "run ecbuild push again to plan against the new state" in result.output
    assert hub_env.commits[-1].summary == "outside commit" and hub_env.repos[REPO].refs != before
    retried = _push(built)
    assert retried.exit_code == 0, retried.output
    assert "kept data/Their_Task/train-00000-of-00001.parquet" in retried.output
    assert hub_env.files(REPO)["data/Their_Task/train-00000-of-00001.parquet"] == b"PAR1 theirs"
    assert hub_env.files(REPO)["README.md"] == card


def test_push_deletes_only_old_files_of_the_configs_it_produces(built: Build, hub_env: FakeHub) -> None:
    assert _push(built).exit_code == 0
    old_shard = "data/Sentiment_Analysis/train-00000-of-00002.parquet"
    other_task = "data/Old_Task/train-00000-of-00001.parquet"
    hub_env.commit_directly(REPO, {old_shard: b"PAR1 old", other_task: b"PAR1 other", "notes.txt": b"mine"})
    result = _push(built)
    assert result.exit_code == 0, result.output
    assert f"deleted {old_shard} (not in this version)" in result.output
    assert f"kept {other_task} (a config this build does not produce)" in result.output
    assert hub_env.commits[-1].deleted == [old_shard] and hub_env.commits[-1].added == []
    files = hub_env.files(REPO)
    assert old_shard not in files and files[other_task] == b"PAR1 other" and files["notes.txt"] == b"mine"


def test_revision_and_pull_request(built: Build, hub_env: FakeHub) -> None:
    result = _push(built, "--revision", "v2", "--create-pr", "--private")
    assert result.exit_code == 0, result.output
    assert hub_env.repos[REPO].private
    assert hub_env.commits[0].revision == "refs/pr/1"
    assert f"{hub_env.url}/datasets/{REPO}/discussions/1" in result.output
    assert set(hub_env.files(REPO, "v2")) == {".gitattributes"}  # the branch itself is untouched
    assert hub_env.repos[REPO].tags == {}  # a pull request is not a published version


def test_no_token_says_how_to_log_in(built: Build, hub_env: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN")
    result = _push(built)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no Hugging Face token found; pass --token, set HF_TOKEN or run `hf auth login`, "
        "then run ecbuild push again"
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


def _fresh_python(hub: FakeHub, tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new interpreter whose `datasets` and huggingface_hub read HF_ENDPOINT at import."""
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(tmp_path / "hf-home"),  # a private cache: nothing read from or left in ~/.cache
        "HF_HUB_DISABLE_XET": "1",  # the fake Hub speaks LFS
        "HF_HUB_OFFLINE": "0",
        "HF_DATASETS_OFFLINE": "0",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


LOAD_ROWS = """
import json, sys, datasets
repo, config, out = sys.argv[1:]
loaded = datasets.load_dataset(repo, config)
json.dump({split: part.to_list() for split, part in loaded.items()}, open(out, "w"))
"""


def _loaded_from_hub(hub: FakeHub, tmp_path: Path, repo: str, config: str) -> dict[str, list[dict]]:
    out = tmp_path / f"{config}.json"
    _fresh_python(
        hub, tmp_path, f"import sys; sys.argv = ['-', {repo!r}, {config!r}, {str(out)!r}]\n{LOAD_ROWS}"
    )
    return json.loads(out.read_text())


def test_round_trip_ecbuild_push_then_load_dataset_from_the_hub(
    built: Build, hub_env: FakeHub, tmp_path: Path
) -> None:
    assert _push(built).exit_code == 0
    staged = built.workdir / "push"
    manifest = json.loads((staged / "manifest.json").read_text())
    for config in ("Sentiment_Analysis", "one_shot"):
        loaded = _loaded_from_hub(hub_env, tmp_path, REPO, config)
        expected = {
            split: pl.read_parquet([staged / p for p in entry["files"]]).to_dicts()
            for split, entry in manifest["configs"][config].items()
        }
        assert loaded == expected


PUSH_TO_HUB = """
import datasets
rows = datasets.Dataset.from_dict({"question": ["a?", "b?", "c?"], "answer": ["x", "y", "z"]})
rows.push_to_hub("org/Other")
datasets.DatasetDict({"train": rows, "validation": rows.select([0])}).push_to_hub("org/ECInstruct", "extra")
other = datasets.load_dataset("org/Other")["train"]["answer"]
print(list(other), datasets.load_dataset("org/ECInstruct", "extra").num_rows)
"""


LOAD_EXTRA = """
import datasets
print(datasets.load_dataset("org/ECInstruct", "extra").num_rows)
"""


def test_datasets_push_to_hub_works_against_the_fake_hub_and_ecbuild_keeps_its_config(
    built: Build, hub_env: FakeHub, tmp_path: Path
) -> None:
    assert _push(built).exit_code == 0
    done = _fresh_python(hub_env, tmp_path, PUSH_TO_HUB)
    assert done.stdout.split("\n")[0] == "['x', 'y', 'z'] {'train': 3, 'validation': 1}"
    pushed = {p: c for p, c in hub_env.files(REPO).items() if p.startswith("extra/")}
    assert sorted(pushed) == ["extra/train-00000-of-00001.parquet", "extra/validation-00000-of-00001.parquet"]
    again = _push(built)
    assert again.exit_code == 0, again.output
    assert {p: c for p, c in hub_env.files(REPO).items() if p.startswith("extra/")} == pushed
    card = DatasetCard(hub_env.files(REPO)["README.md"].decode()).data.to_dict()
    extra = [c for c in card["configs"] if c["config_name"] == "extra"]
    assert extra and "default" not in extra[0]  # its card entry is carried over, so it still loads
    assert [c["config_name"] for c in card["configs"] if c.get("default")] == ["ecinstruct"]
    reloaded = _fresh_python(hub_env, tmp_path, LOAD_EXTRA)
    assert reloaded.stdout.strip() == "{'train': 3, 'validation': 1}"


def test_push_with_a_training_format_serves_it_as_a_config(
    built: Build, hub_env: FakeHub, tmp_path: Path
) -> None:
    assert _push(built, "--format", "prompt-completion").exit_code == 0
    training = built.workdir / "push" / "training" / "prompt-completion"
    loaded = _loaded_from_hub(hub_env, tmp_path, REPO, "prompt_completion")
    expected = {
        p.stem: [json.loads(line) for line in p.read_text().splitlines()] for p in training.glob("*.jsonl")
    }
    assert loaded == expected and "test_ood" in loaded
    assert all(row["prompt"].endswith("### Response:\n") for rows in loaded.values() for row in rows)
