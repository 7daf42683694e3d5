"""Load a local page in headless Chromium over the DevTools protocol (a pipe, no port) and report what it did."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    # Were the page to ask for anything, no name would resolve: the request fails and is seen below.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)
DEADLINE_S = 90.0
"""A guard against a hung browser, not a measurement: a page this size loads in well under a second."""


def browser() -> str:
    """The Chromium binary; an AssertionError (a failure, never a skip) when it is not installed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "chromium is required for the HTML report tests: scripts/install --test installs it (apt chromium)"
    return found


@dataclass
class PageLoad:
    """What the page did: the requests it made, what its console said, its DOM and the answers to our queries."""

    requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Console errors, uncaught exceptions and log entries of level error (CSP refusals among them)."""
    dom: str = ""
    answers: dict[str, Any] = field(default_factory=dict)


class _Pipe:
    """The DevTools protocol over Chromium's fds 3 (ours to write) and 4 (ours to read), NUL-framed JSON."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.read_fd], [], [], max(left, 0))
            assert ready, "chromium did not answer over the DevTools pipe in time"
            chunk = os.read(self.read_fd, 1 << 20)
            assert chunk, "chromium closed the DevTools pipe"
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, deadline: float, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer, keeping the events that arrive meanwhile."""
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._message(deadline)
            if answer.get("id") == self.next_id:
                assert "error" not in answer, f"{method}: {answer['error']}"
                result: dict[str, Any] = answer.get("result", {})
                return result
            self.events.append(answer)

    def wait_for(self, method: str, deadline: float) -> None:
        """Read events until one named `method` arrives."""
        while not any(event.get("method") == method for event in self.events):
            self.events.append(self._message(deadline))


def _record(load: PageLoad, events: list[dict[str, Any]]) -> None:
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            load.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            load.failed_requests.append(f"{params.get('errorText')} ({params.get('blockedReason', '')})")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            load.errors.append("console: " + " ".join(str(arg.get("value")) for arg in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            load.errors.append("exception: " + str(params["exceptionDetails"].get("text")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            load.errors.append(f"log ({params['entry'].get('source')}): {params['entry'].get('text')}")


def load_page(page: Path, queries: dict[str, str]) -> PageLoad:
    """Open `page` in a fresh headless Chromium, wait for its load event, evaluate each query (JS) on it."""
    deadline = time.monotonic() + DEADLINE_S
    to_browser_r, to_browser_w = os.pipe()
    from_browser_r, from_browser_w = os.pipe()
    with tempfile.TemporaryDirectory(prefix="deployctl-test-chromium-") as profile:

        def _fds() -> None:
            # Copies first: a pipe end may itself be 3 or 4. The copies are the lowest free fds, so the
            # second is never 3 and the first dup2 cannot overwrite it.
            ours_r, ours_w = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(ours_r, 3)
            os.dup2(ours_w, 4)

        process = subprocess.Popen(
            [browser(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_fds,  # the DevTools pipe must be the child's fds 3 and 4
            close_fds=False,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        pipe = _Pipe(to_browser_w, from_browser_r)
        try:
            target = pipe.call("Target.createTarget", deadline, url="about:blank")["targetId"]
            session = pipe.call("Target.attachToTarget", deadline, targetId=target, flatten=True)["sessionId"]
            for domain in ("Network", "Runtime", "Log", "Page"):
                pipe.call(f"{domain}.enable", deadline, session)
            pipe.call("Page.navigate", deadline, session, url=page.as_uri())
            pipe.wait_for("Page.loadEventFired", deadline)
            load = PageLoad()
            for name, expression in queries.items():
                result = pipe.call("Runtime.evaluate", deadline, session, expression=expression, returnByValue=True)
                load.answers[name] = result["result"].get("value")
            load.dom = pipe.call(
                "Runtime.evaluate", deadline, session, expression="document.documentElement.outerHTML"
            )["result"]["value"]
            _record(load, pipe.events)
            pipe.call("Browser.close", deadline)
            return load
        finally:
            os.close(to_browser_w)
            os.close(from_browser_r)
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)
