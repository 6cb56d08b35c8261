"""A scriptable HTTP server on 127.0.0.1 for tests that download things.

It serves fixed bytes per path and can misbehave on purpose: ignore `Range`, answer given statuses
before serving, cut a transfer after N bytes (optionally stalling first, to provoke read timeouts).
Every request is recorded so tests can assert how many were made and with which `Range`.

    with LoopbackServer({"/a.json": b"{}"}) as server:
        server.statuses["/a.json"] = [503]  # the first request gets a 503, the next one the file
        fetch(server.url("/a.json"))
        assert server.request_count == 2
"""

from __future__ import annotations

import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class LoopbackServer:
    """Serve `files` (path -> bytes) on 127.0.0.1 with an ephemeral port, in a background thread."""

    def __init__(self, files: dict[str, bytes] | None = None, *, honour_range: bool = True) -> None:
        self.files = dict(files or {})
        self.honour_range = honour_range
        #: per path, statuses answered (one per request, in order) before the file is served
        self.statuses: dict[str, list[int]] = {}
        #: per path, for successive file responses: send only this many body bytes, then close
        self.cuts: dict[str, list[int]] = {}
        #: seconds to wait before closing a cut transfer (more than the client's timeout = read timeout)
        self.stall = 0.0
        #: (path, Range header or None) of every request, in arrival order
        self.requests: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True  # a stalled handler must not block stop()
        self._httpd.block_on_close = False
        self._httpd.owner = self  # type: ignore[attr-defined]
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def ranges(self, path: str) -> list[str | None]:
        """The `Range` header of each request for `path`, in order (None when absent)."""
        with self._lock:
            return [rng for seen, rng in self.requests if seen == path]

    def _next_action(self, path: str, range_header: str | None) -> tuple[int | None, int | None]:
        """Record a request and pop what to do with it: (scripted status or None, cut or None)."""
        with self._lock:
            self.requests.append((path, range_header))
            statuses = self.statuses.get(path)
            if statuses:
                return statuses.pop(0), None
            cuts = self.cuts.get(path)
            return None, cuts.pop(0) if cuts else None


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_GET(self) -> None:  # the name http.server dispatches to
        owner: LoopbackServer = self.server.owner  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        range_header = self.headers.get("Range")
        status, cut = owner._next_action(path, range_header)
        body = owner.files.get(path)
        if status is not None or body is None:
            self._send_head(status or 404, 0)
            return
        match = _RANGE.fullmatch(range_header or "") if owner.honour_range else None
        if match is None:
            self._send_head(200, len(body))
            self._send_body(body, cut, owner.stall)
            return
        start = int(match.group(1))
        end = min(int(match.group(2)), len(body) - 1) if match.group(2) else len(body) - 1
        if start >= len(body):
            self._send_head(416, 0, {"Content-Range": f"bytes */{len(body)}"})
            return
        self._send_head(206, end - start + 1, {"Content-Range": f"bytes {start}-{end}/{len(body)}"})
        self._send_body(body[start : end + 1], cut, owner.stall)

    def _send_head(self, status: int, length: int, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _send_body(self, payload: bytes, cut: int | None, stall: float) -> None:
        if cut is None:
            self.wfile.write(payload)
            return
        # Headers promised the full length; sending less and closing is what a dropped link looks like.
        self.wfile.write(payload[:cut])
        self.wfile.flush()
        time.sleep(stall)
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


def closed_port_url(path: str = "/") -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was just released), for connection-refused tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
