"""A tiny HTTP release for rollout tests: `/` answers the version from the mounted config, `/health` its health."""

from __future__ import annotations

import os
import signal
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType


def read_config(name: str, default: str) -> str:
    for line in Path(os.environ["TESTAPP_CONFIG"]).read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == name:
            return value.strip()
    return default


VERSION = read_config("version", "unknown")
RELEASE = os.environ.get("TESTAPP_RELEASE", "dev")
BROKEN = os.environ.get("TESTAPP_BROKEN", "0") == "1"
HOST = socket.gethostname()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without this, keep-alive waits 40 ms each

    def do_GET(self) -> None:
        if self.path == "/health":
            # `health=fail` in the config (read on every check) fails it too: tests break a rollout half way.
            failing = BROKEN or read_config("health", "ok") == "fail"
            status, body = (500, "broken\n") if failing else (200, "ok\n")
        else:
            status, body = 200, f"version={VERSION} release={RELEASE} host={HOST}\n"
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        return


def main() -> None:
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("TESTAPP_PORT", "8000"))), Handler)  # noqa: S104
    server.daemon_threads = True

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)  # PID 1 ignores SIGTERM without a handler
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
