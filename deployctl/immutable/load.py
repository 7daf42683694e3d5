"""Continuous HTTP load against a stage's proxy during a rollout: how many requests were sent, how many failed.

A few threads send GET requests back to back, each on a new connection (as independent clients do), until
stopped or until their time or count bound: a forgotten load stops by itself. Any answer other than 2xx,
and any connection error or timeout, is a failed request.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

from deployctl.errors import DeployctlError

MAX_BODIES = 64


@dataclass(frozen=True)
class LoadReport:
    """What the load saw: requests sent and failed, the first few distinct errors, and the bodies it got."""

    url: str
    sent: int
    failed: int
    seconds: float
    errors: tuple[str, ...] = ()
    bodies: tuple[tuple[str, int], ...] = ()

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.sent / self.seconds if self.seconds > 0 else 0.0

    def count(self, text: str) -> int:
        """How many successful answers had a first line containing `text`."""
        return sum(n for body, n in self.bodies if text in body)


class HttpLoad:
    """Threads hammering one URL until `stop()`, `max_seconds` or `max_requests`, whichever comes first."""

    def __init__(
        self,
        url: str,
        *,
        workers: int = 4,
        max_seconds: float = 300.0,
        max_requests: int = 2_000_000,
        timeout: float = 10.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise DeployctlError(f"load: {url!r} is not an http:// URL")
        self.url = url
        self._host = parts.hostname
        self._port = parts.port or 80
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._workers = workers
        self._max_seconds = max_seconds
        self._max_requests = max_requests
        self._timeout = timeout
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sent = 0
        self._failed = 0
        self._errors: Counter[str] = Counter()
        self._bodies: Counter[str] = Counter()
        self._threads: list[threading.Thread] = []
        self._started = 0.0
        self._ended: float | None = None

    def start(self) -> HttpLoad:
        """Start the threads; returns self."""
        self._started = time.monotonic()
        self._threads = [
            threading.Thread(target=self._work, name=f"load-{i}", daemon=True) for i in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> LoadReport:
        """Stop the threads (each finishes its request in flight) and report."""
        self._stop.set()
        for thread in self._threads:
            thread.join(self._timeout + 5)
        if self._ended is None:
            self._ended = time.monotonic()
        return self.report()

    def wait(self, timeout: float | None = None) -> LoadReport:
        """Wait until the load stops by itself (its time or count bound), then report."""
        for thread in self._threads:
            thread.join(timeout)
        return self.stop()

    def report(self) -> LoadReport:
        """The figures so far."""
        with self._lock:
            end = self._ended if self._ended is not None else time.monotonic()
            return LoadReport(
                url=self.url,
                sent=self._sent,
                failed=self._failed,
                seconds=round(end - self._started, 3),
                errors=tuple(f"{text} (x{n})" for text, n in self._errors.most_common(5)),
                bodies=tuple(self._bodies.items()),
            )

    def __enter__(self) -> HttpLoad:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def _one(self) -> tuple[bool, str]:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            connection.request("GET", self._path, headers={"Connection": "close"})
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return False, f"{type(exc).__name__}: {exc}"[:160]
        finally:
            connection.close()
        first_line = body.decode(errors="replace").split("\n", 1)[0][:120]
        if 200 <= response.status < 300:
            return True, first_line
        return False, f"HTTP {response.status}: {first_line}"

    def _work(self) -> None:
        deadline = self._started + self._max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            with self._lock:
                if self._sent >= self._max_requests:
                    break
                self._sent += 1
            ok, text = self._one()
            with self._lock:
                if ok:
                    key = text if text in self._bodies or len(self._bodies) < MAX_BODIES else "(other)"
                    self._bodies[key] += 1
                else:
                    self._failed += 1
                    self._errors[text] += 1
        with self._lock:
            if self._ended is None and all(not t.is_alive() or t is threading.current_thread() for t in self._threads):
                self._ended = time.monotonic()
