"""Drive headless Chromium over the DevTools protocol on a pipe (no websocket library, no network).

    with HeadlessPage.open(Path("index.html"), fragment="task=SA") as page:
        page.evaluate("document.title")

Chromium reads commands from file descriptor 3 and writes replies to 4, each message one JSON
object ended by a NUL byte (`--remote-debugging-pipe`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

BINARIES = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_S = 60


def find_chromium() -> str | None:
    return next((path for name in BINARIES if (path := shutil.which(name))), None)


def _above_ten(fd: int) -> int:
    """`fd` moved above 10, so putting the pipes on 3 and 4 in the child never overwrites one with another."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class HeadlessPage:
    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self._process = process
        self._to_browser = to_browser
        self._replies = os.fdopen(from_browser, "rb")
        self._next_id = 0
        self._session: str | None = None
        self._events: list[str] = []  # names of the events received so far

    @classmethod
    @contextmanager
    def open(cls, page: Path, fragment: str = "") -> Iterator[HeadlessPage]:
        binary = find_chromium()
        if binary is None:
            raise FileNotFoundError("no chromium binary on PATH")
        command_read, command_write, reply_read, reply_write = map(_above_ten, (*os.pipe(), *os.pipe()))
        profile = tempfile.mkdtemp(prefix="headless-chromium-")
        # Chromium expects its command pipe on fd 3 and its reply pipe on fd 4.
        process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",  # tests run as root in containers
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                f"--user-data-dir={profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=lambda: (os.dup2(command_read, 3), os.dup2(reply_write, 4)),
        )
        os.close(command_read)
        os.close(reply_write)
        browser = cls(process, command_write, reply_read)
        try:
            browser._attach(page.resolve().as_uri() + (f"#{fragment}" if fragment else ""))
            yield browser
        finally:
            browser._close()
            shutil.rmtree(profile, ignore_errors=True)

    def _send(self, method: str, params: dict[str, Any], session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:  # events arrive between replies: note them
            reply = json.loads(self._read_message())
            if "method" in reply:
                self._events.append(reply["method"])
            elif reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def _read_message(self) -> bytes:
        data = bytearray()
        while (byte := self._replies.read(1)) != b"\0":
            if not byte:
                raise RuntimeError("chromium closed the DevTools pipe")
            data += byte
        return bytes(data)

    def _wait_for(self, event: str) -> None:
        while event not in self._events:
            reply = json.loads(self._read_message())
            if "method" in reply:
                self._events.append(reply["method"])

    def _attach(self, url: str) -> None:
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        self._send("Page.enable", {}, self._session)
        self._events.clear()
        self._send("Page.navigate", {"url": url}, self._session)
        self._wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True}
        result = self._send("Runtime.evaluate", params, self._session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def _close(self) -> None:
        with suppress(OSError, RuntimeError):
            self._send("Browser.close", {})
        try:
            self._process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        self._replies.close()
