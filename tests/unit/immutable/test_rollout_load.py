"""The HTTP load a rollout runs against a stage's proxy: counts, failures, bounds (a local server on 127.0.0.1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deployctl.errors import DeployctlError
from deployctl.immutable.load import HttpLoad


class Handler(BaseHTTPRequestHandler):
    calls = 0
    lock = threading.Lock()

    def do_GET(self) -> None:
        with Handler.lock:
            Handler.calls += 1
            failing = Handler.calls % 10 == 0
        body = b"oops\n" if failing else b"version=v1 host=a\n"
        self.send_response(500 if failing else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.calls = 0
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_load_counts_sent_failed_and_bodies_and_stops_at_its_count(port: int) -> None:
    load = HttpLoad(f"http://127.0.0.1:{port}/", workers=2, max_seconds=30, max_requests=100)
    report = load.start().wait(30)  # it stops by itself at 100 requests
    assert report.sent == 100
    assert report.failed == 10
    assert report.count("version=v1") == 90
    assert report.errors == ("HTTP 500: oops (x10)",)
    assert report.rate > 0


def test_load_stops_by_itself_at_its_time_bound(port: int) -> None:
    report = HttpLoad(f"http://127.0.0.1:{port}/", workers=1, max_seconds=0.3).start().wait(10)
    assert report.sent > 0 and report.seconds < 5


def test_connection_errors_are_failures() -> None:
    report = HttpLoad("http://127.0.0.1:9/", workers=1, max_requests=3, timeout=2).start().wait(10)
    assert (report.sent, report.failed) == (3, 3)
    assert "ConnectionRefusedError" in report.errors[0]


def test_only_http_urls() -> None:
    with pytest.raises(DeployctlError, match="not an http:// URL"):
        HttpLoad("https://127.0.0.1/")
