"""Readiness of new replicas: Docker's health check rules applied to deployctl's own probes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest

from deployctl.dockerapi.types import EngineError, ExecResult
from deployctl.immutable.readiness import (
    HealthTest,
    ProbeResult,
    ReplicaReadiness,
    probe,
    replica_health,
    wait_ready,
)

SECOND = 1_000_000_000
CURL = {"Test": ["CMD", "curl", "-fsS", "http://127.0.0.1:8080/health"], "Timeout": 2 * SECOND, "Retries": 3}


def test_a_health_check_as_docker_runs_it() -> None:
    test = HealthTest.from_config({**CURL, "StartPeriod": 5 * SECOND})
    assert test == HealthTest(("curl", "-fsS", "http://127.0.0.1:8080/health"), 2.0, 5.0, 3)
    shell = HealthTest.from_config({"Test": ["CMD-SHELL", "curl -f x || exit 1"]})
    assert shell == HealthTest(("/bin/sh", "-c", "curl -f x || exit 1"), 30.0, 0.0, 3)  # Docker's defaults
    assert HealthTest.from_config({"Test": ["NONE"]}) is None
    assert HealthTest.from_config(None) is None


def readiness(start_period: float = 5.0, retries: int = 3) -> ReplicaReadiness:
    return ReplicaReadiness("app-1", HealthTest(("true",), 2.0, start_period, retries), started=100.0)


FAIL = ProbeResult(7, "curl: (7) Failed to connect\n")
OK = ProbeResult(0, "")


def test_failures_within_the_start_period_do_not_count_and_one_success_makes_it_ready() -> None:
    state = readiness()
    assert [state.record(FAIL, 100.0 + t) for t in (0.5, 1.0, 1.5, 2.0)] == [None] * 4
    assert not state.ready
    assert state.record(OK, 102.5) is None and state.ready


def test_retries_failures_in_a_row_after_the_start_period_make_it_unhealthy() -> None:
    state = readiness(start_period=1.0)
    assert state.record(FAIL, 100.5) is None  # within the start period
    assert state.record(FAIL, 101.5) is None
    assert state.record(OK, 102.0) is None  # a success resets the count
    assert state.record(FAIL, 102.5) is None and state.record(FAIL, 103.0) is None
    reason = state.record(FAIL, 103.5)
    assert reason == "app-1 is unhealthy: health check exit code 7, output: curl: (7) Failed to connect (6 checks)"
    assert not state.ready


def test_a_ready_replica_that_fails_once_stays_ready() -> None:
    state = readiness(start_period=60.0)
    state.record(OK, 100.5)
    assert state.record(FAIL, 101.0) is None and state.ready  # counted: it had started


class FakeContainer:
    """What the readiness edge uses of a Container: attrs, reload, exec, logs."""

    def __init__(self, name: str, codes: Sequence[int], *, health: dict[str, Any] | None = None) -> None:
        self.name = name
        self.codes = list(codes)
        self.execs: list[list[str]] = []
        self.attrs: dict[str, Any] = {
            "Config": {"Healthcheck": health if health is not None else {**CURL, "StartPeriod": 0}},
            "State": {"Status": "running", "Health": {"Status": "starting"}},
            "RestartCount": 0,
        }
        self.block = threading.Event()

    def reload(self) -> None:
        return None

    def exec(self, command: Sequence[str], *, user: str | None = None) -> ExecResult:
        self.execs.append(list(command))
        code = self.codes.pop(0) if self.codes else 0
        if code == 99:  # hangs until released
            self.block.wait(5)
        return ExecResult(code, b"out\n", b"")

    def logs(self, tail: int) -> str:
        return "Traceback\nValueError: bad config\n"


def test_wait_ready_probes_until_every_replica_is_ready() -> None:
    first, second = FakeContainer("app-1", [7, 0]), FakeContainer("app-2", [0])
    assert wait_ready([first, second], timeout=10, monitor=0, interval=0.01) is None  # type: ignore[list-item]
    assert first.execs == [list(HealthTest.from_config(CURL).command)] * 2  # type: ignore[union-attr]


def test_wait_ready_reports_an_unhealthy_replica_and_an_exited_one() -> None:
    broken = FakeContainer("app-1", [1, 1, 1])
    reason = wait_ready([broken], timeout=10, monitor=0, interval=0.01)  # type: ignore[list-item]
    assert reason is not None and "app-1 is unhealthy: health check exit code 1" in reason
    exited = FakeContainer("app-2", [])
    exited.attrs["State"] = {"Status": "exited", "ExitCode": 3}
    reason = wait_ready([exited], timeout=10, monitor=0, interval=0.01)  # type: ignore[list-item]
    assert reason == "app-2 exited with code 3: Traceback | ValueError: bad config"


def test_wait_ready_gives_up_at_the_deadline() -> None:
    slow = FakeContainer("app-1", [7] * 100, health={**CURL, "StartPeriod": 3600 * SECOND})
    assert wait_ready([slow], timeout=0.05, monitor=0, interval=0.01) == "app-1 not healthy within 0s"  # type: ignore[list-item]


def test_a_probe_that_outlives_its_timeout_fails() -> None:
    hung = FakeContainer("app-1", [99])
    try:
        result = probe(hung, HealthTest(("sleep", "60"), 0.05, 0.0, 3))  # type: ignore[arg-type]
    finally:
        hung.block.set()
    assert result == ProbeResult(-1, "Health check exceeded timeout (0.05s)")


@pytest.mark.parametrize(
    ("docker_says", "probe_code", "shown"),
    [("healthy", 1, "healthy"), ("starting", 0, "healthy"), ("starting", 1, "starting"), ("unhealthy", 0, "unhealthy")],
)
def test_replica_health_is_dockers_verdict_or_a_probe_while_docker_has_none(
    docker_says: str, probe_code: int, shown: str
) -> None:
    container = FakeContainer("app-1", [probe_code])
    container.attrs["State"]["Health"]["Status"] = docker_says
    assert replica_health(container) == shown  # type: ignore[arg-type]
    assert replica_health(container, probe_starting=False) == docker_says  # type: ignore[arg-type]


def test_a_probe_of_an_engine_that_went_away_fails_the_probe_not_its_thread() -> None:
    from deployctl.immutable.readiness import probe

    class Gone:
        name = "app-1"

        def exec(self, command: Sequence[str], *, user: str | None = None) -> ExecResult:
            raise EngineError("Connection aborted.")

    uncaught: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: uncaught.append(args.exc_value)
    try:
        result = probe(Gone(), HealthTest(("true",), 2.0, 0.0, 3))  # type: ignore[arg-type]
    finally:
        threading.excepthook = previous
    assert (result.exit_code, result.output) == (-1, "Connection aborted.")
    assert uncaught == []
