"""The downloader against a loopback server: resume, restarts, checksums, mirrors, retries, manual files."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from httpserver import LoopbackServer, closed_port_url

from ecinstruct_builder.download import download_all, is_complete, manual_steps
from ecinstruct_builder.errors import DownloadError
from ecinstruct_builder.sources.base import RemoteFile

BODY = bytes(range(40)) * 3  # 120 bytes, no repeats within 40, so a misplaced resume shows
SHA = hashlib.sha256(BODY).hexdigest()
REL = "src/data.json.gz"
FAST = {"backoff": 0.001, "connect_timeout": 2.0, "progress": False}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy from the environment would send loopback requests elsewhere.
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer({"/data": BODY}) as running:
        yield running


def remote(
    *urls: str, size: int | None = len(BODY), sha256: str | None = SHA, manual: str | None = None
) -> RemoteFile:
    return RemoteFile(urls=urls, relative_path=REL, size=size, sha256=sha256, manual=manual)


def test_complete_download(server: LoopbackServer, tmp_path: Path) -> None:
    paths = download_all([remote(server.url("/data"))], tmp_path, **FAST)
    assert paths == [tmp_path / REL]
    assert paths[0].read_bytes() == BODY
    assert not (tmp_path / f"{REL}.part").exists()
    assert server.ranges("/data") == [None]


def test_interrupted_transfer_resumes_with_range(server: LoopbackServer, tmp_path: Path) -> None:
    server.cuts["/data"] = [50]
    download_all([remote(server.url("/data"))], tmp_path, retries=1, **FAST)
    assert (tmp_path / REL).read_bytes() == BODY
    assert server.ranges("/data") == [None, "bytes=50-"]


def test_each_drop_with_progress_resets_the_retry_count(server: LoopbackServer, tmp_path: Path) -> None:
    server.cuts["/data"] = [30, 30, 30]
    download_all([remote(server.url("/data"))], tmp_path, retries=0, **FAST)
    assert (tmp_path / REL).read_bytes() == BODY
    assert server.ranges("/data") == [None, "bytes=30-", "bytes=60-", "bytes=90-"]


def test_existing_part_is_resumed(server: LoopbackServer, tmp_path: Path) -> None:
    part = tmp_path / f"{REL}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(BODY[:70])
    download_all([remote(server.url("/data"))], tmp_path, **FAST)
    assert (tmp_path / REL).read_bytes() == BODY
    assert server.ranges("/data") == ["bytes=70-"]


def test_server_ignoring_range_restarts_from_zero(tmp_path: Path) -> None:
    with LoopbackServer({"/data": BODY}, honour_range=False) as server:
        server.cuts["/data"] = [50]
        download_all([remote(server.url("/data"))], tmp_path, retries=1, **FAST)
        assert server.ranges("/data") == [None, "bytes=50-"]
    # Appending the full 200 body to the first 50 bytes would give 170 bytes and a bad checksum.
    assert (tmp_path / REL).read_bytes() == BODY


def test_416_on_a_complete_part_finishes_the_download(server: LoopbackServer, tmp_path: Path) -> None:
    part = tmp_path / f"{REL}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(BODY)
    # Size unknown, so only the server can say the part is whole: it answers 416 "bytes */120".
    download_all([remote(server.url("/data"), size=None, sha256=None)], tmp_path, **FAST)
    assert (tmp_path / REL).read_bytes() == BODY
    assert not part.exists()
    assert server.ranges("/data") == [f"bytes={len(BODY)}-"]


def test_checksum_mismatch_is_rejected_and_nothing_is_kept(server: LoopbackServer, tmp_path: Path) -> None:
    wrong = "0" * 64
    with pytest.raises(DownloadError) as caught:
        download_all([remote(server.url("/data"), sha256=wrong)], tmp_path, **FAST)
    message = str(caught.value)
    assert message.startswith(f"{REL}: the file downloaded from {server.url('/data')} has sha256 {SHA}")
    assert f"expected {wrong}" in message
    assert "\n" not in message
    assert not (tmp_path / REL).exists()
    assert not (tmp_path / f"{REL}.part").exists()


def test_size_mismatch_is_rejected(server: LoopbackServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=f"has {len(BODY)} bytes, expected 999;"):
        download_all([remote(server.url("/data"), size=999, sha256=None)], tmp_path, **FAST)
    assert not (tmp_path / f"{REL}.part").exists()


def test_404_names_the_url(server: LoopbackServer, tmp_path: Path) -> None:
    missing = server.url("/gone")
    with pytest.raises(DownloadError) as caught:
        download_all([remote(missing)], tmp_path, **FAST)
    target = tmp_path / REL
    assert str(caught.value) == (
        f"{REL}: HTTP 404 Not Found from {missing}; "
        f"check your network or place the file at {target} yourself (see --source-dir)"
    )


def test_404_falls_through_to_the_next_mirror(server: LoopbackServer, tmp_path: Path) -> None:
    download_all([remote(server.url("/gone"), server.url("/data"))], tmp_path, **FAST)
    assert (tmp_path / REL).read_bytes() == BODY
    assert [path for path, _ in server.requests] == ["/gone", "/data"]


@pytest.mark.parametrize("status", [403, 404, 410])
def test_refusals_are_not_retried(server: LoopbackServer, tmp_path: Path, status: int) -> None:
    server.statuses["/data"] = [status] * 5
    with pytest.raises(DownloadError, match=f"HTTP {status} "):
        download_all([remote(server.url("/data"))], tmp_path, retries=3, **FAST)
    assert server.request_count == 1


@pytest.mark.parametrize("statuses", [[503, 500], [429]])
def test_transient_statuses_are_retried(server: LoopbackServer, tmp_path: Path, statuses: list[int]) -> None:
    server.statuses["/data"] = list(statuses)
    download_all([remote(server.url("/data"))], tmp_path, retries=2, **FAST)
    assert (tmp_path / REL).read_bytes() == BODY
    assert server.request_count == len(statuses) + 1


def test_retries_run_out_then_the_next_mirror_is_tried(server: LoopbackServer, tmp_path: Path) -> None:
    server.statuses["/data"] = [503] * 10
    urls = (server.url("/data"), closed_port_url("/x"))
    with pytest.raises(DownloadError) as caught:
        download_all([remote(*urls)], tmp_path, retries=2, **FAST)
    assert server.request_count == 3
    assert f"HTTP 503 Service Unavailable from {urls[0]}; cannot reach {urls[1]} (" in str(caught.value)


def test_read_timeout_during_the_body_is_retried(server: LoopbackServer, tmp_path: Path) -> None:
    server.cuts["/data"] = [20]
    server.stall = 1.0
    download_all(
        [remote(server.url("/data"))], tmp_path, retries=1, backoff=0.001, connect_timeout=0.2, progress=False
    )
    assert (tmp_path / REL).read_bytes() == BODY
    assert server.ranges("/data") == [None, "bytes=20-"]


def test_existing_complete_files_are_skipped(server: LoopbackServer, tmp_path: Path) -> None:
    files = [
        remote(server.url("/data")),
        RemoteFile(urls=(server.url("/data"),), relative_path="src/other.txt"),
    ]
    for rel in (REL, "src/other.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(BODY)
    assert download_all(files, tmp_path, **FAST) == [tmp_path / REL, tmp_path / "src/other.txt"]
    assert server.request_count == 0


def test_existing_file_with_a_bad_checksum_is_replaced(server: LoopbackServer, tmp_path: Path) -> None:
    target = tmp_path / REL
    target.parent.mkdir(parents=True)
    target.write_bytes(BODY[::-1])
    assert not is_complete(target, remote())
    download_all([remote(server.url("/data"))], tmp_path, **FAST)
    assert target.read_bytes() == BODY
    assert server.request_count == 1


def test_completeness_without_size_or_checksum_depends_on_part(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    target.write_bytes(b"x")
    unknown = remote(size=None, sha256=None)
    assert is_complete(target, unknown)
    (tmp_path / "f.bin.part").write_bytes(b"")
    assert not is_complete(target, unknown)


def test_manual_files_are_reported_together_after_automatic_ones(
    server: LoopbackServer, tmp_path: Path
) -> None:
    files = [
        RemoteFile(urls=(), relative_path="qa/test-qar.jsonl", manual="Download it from the\n  drive link."),
        remote(server.url("/data")),
        RemoteFile(urls=(), relative_path="esci/shopping.parquet", manual="Clone the repository."),
    ]
    expected_steps = [
        f"qa/test-qar.jsonl: Download it from the drive link. (place the file under {tmp_path})",
        f"esci/shopping.parquet: Clone the repository. (place the file under {tmp_path})",
    ]
    assert manual_steps(files, tmp_path) == expected_steps
    assert server.request_count == 0
    with pytest.raises(DownloadError) as caught:
        download_all(files, tmp_path, **FAST)
    assert str(caught.value) == (
        f"2 file(s) cannot be downloaded automatically: [1] {expected_steps[0]}; [2] {expected_steps[1]}; "
        "then run `ecbuild fetch` again"
    )
    assert (tmp_path / REL).read_bytes() == BODY  # the automatic file was fetched first


def test_present_manual_files_are_used(tmp_path: Path) -> None:
    manual = RemoteFile(urls=(), relative_path="qa/test-qar.jsonl", manual="Download it by hand.")
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa/test-qar.jsonl").write_text("{}\n")
    assert manual_steps([manual], tmp_path) == []
    assert download_all([manual], tmp_path, **FAST) == [tmp_path / "qa/test-qar.jsonl"]


def test_connection_refused_fails_fast_with_the_url(tmp_path: Path) -> None:
    url = closed_port_url("/data")
    started = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        # Default back-off: an unreachable host must not be retried, so this stays well under 1 s.
        download_all([remote(url)], tmp_path, progress=False)
    assert time.monotonic() - started < 1.0
    assert str(caught.value) == (
        f"{REL}: cannot reach {url} (Connection refused); "
        f"check your network or place the file at {tmp_path / REL} yourself (see --source-dir)"
    )


def test_dns_failure_names_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    # Simulated resolver failure: nothing leaves the machine.
    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    url = "https://data.example.invalid/amazon/meta.json.gz"
    with pytest.raises(DownloadError) as caught:
        download_all([remote(url)], tmp_path, progress=False)
    assert str(caught.value).startswith(
        f"{REL}: cannot reach {url} (Name or service not known); check your network"
    )


def test_path_outside_the_source_dir_is_refused(tmp_path: Path) -> None:
    escaping = RemoteFile(urls=("http://127.0.0.1:9/x",), relative_path="../outside.txt")
    with pytest.raises(DownloadError, match="not a relative path inside the source dir"):
        download_all([escaping], tmp_path, progress=False)


def test_progress_bar_goes_to_stderr_only_when_enabled(
    server: LoopbackServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    download_all([remote(server.url("/data"))], tmp_path / "quiet", **FAST)
    assert capsys.readouterr().err == ""
    download_all([remote(server.url("/data"))], tmp_path / "loud", backoff=0.001, progress=True)
    captured = capsys.readouterr()
    assert REL in captured.err
    assert "120/120" in captured.err
    assert captured.out == ""


def test_files_sharing_a_manual_step_are_named_in_one_message(tmp_path: Path) -> None:
    files = [
        RemoteFile(urls=(), relative_path=f"mave/{name}.jsonl", manual="Rebuild MAVE.") for name in ("a", "b")
    ]
    assert manual_steps(files, tmp_path) == [
        f"mave/a.jsonl, mave/b.jsonl: Rebuild MAVE. (place the files under {tmp_path})"
    ]
