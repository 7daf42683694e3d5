"""Readiness of new replicas, probed by deployctl with the replica's own health check, as Docker would run it.

Docker runs a container's HEALTHCHECK every `interval`, and its first verdict comes one interval after the
start (the engine here has no `start-interval`). A short interval makes rollouts fast but costs every replica
an exec every few seconds for as long as it runs: about 40 ms of CPU each (dockerd, containerd, runc), a
third of a core for a dozen replicas at rest. So Docker keeps the steady-state watch at its usual pace
(`STEADY_INTERVAL`), and a rollout probes its new replicas itself, every `PROBE_INTERVAL`, with the same
command, user, timeout, start period and retries: a probe succeeds once and the replica is ready; after the
start period, `retries` failures in a row and it is unhealthy (Docker's rules).

`ReplicaReadiness` is the pure verdict from probe results; `probe` and `wait_ready` are the Docker edge.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.dockerapi.exectransport import DockerExecTransport
from deployctl.dockerapi.types import Container, EngineError
from deployctl.immutable.replica import NANOSECONDS
from deployctl.transport.base import CommandStoppedError
from deployctl.transport.pool import run_each

STEADY_INTERVAL_S = 30
"""Docker's own health check interval (its default): the watch over replicas at rest."""
PROBE_INTERVAL_S = 0.5
"""How often a rollout probes its new replicas until they are ready."""
DOCKER_DEFAULT_TIMEOUT_S = 30.0
DOCKER_DEFAULT_RETRIES = 3


@dataclass(frozen=True)
class HealthTest:
    """A container's health check, as Docker runs it: the command (exec form), its timeout, start period, retries."""

    command: tuple[str, ...]
    timeout: float
    start_period: float
    retries: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> HealthTest | None:
        """From a container's `Config.Healthcheck` (Docker's defaults where unset); None without a check."""
        test = list((config or {}).get("Test") or [])
        if not test or test[0] == "NONE":
            return None
        command: tuple[str, ...]
        if test[0] == "CMD-SHELL":
            command = ("/bin/sh", "-c", " ".join(test[1:]))
        elif test[0] == "CMD":
            command = tuple(str(part) for part in test[1:])
        else:  # a bare command list (the API's old form)
            command = tuple(str(part) for part in test)
        settings = config or {}
        return cls(
            command=command,
            timeout=(settings.get("Timeout") or DOCKER_DEFAULT_TIMEOUT_S * NANOSECONDS) / NANOSECONDS,
            start_period=(settings.get("StartPeriod") or 0) / NANOSECONDS,
            retries=int(settings.get("Retries") or DOCKER_DEFAULT_RETRIES),
        )

    @classmethod
    def of(cls, container: Container) -> HealthTest | None:
        """The container's health check (its image's, unless it was given one), or None."""
        return cls.from_config((container.attrs.get("Config") or {}).get("Healthcheck"))


@dataclass(frozen=True)
class ProbeResult:
    """One run of a health check: its exit code (-1 when it could not run or timed out) and output."""

    exit_code: int
    output: str


@dataclass
class ReplicaReadiness:
    """One new replica's probes so far: ready after a success; unhealthy after `retries` failures in a row
    once ready or past the start period (failures within it do not count, as in Docker)."""

    name: str
    test: HealthTest
    started: float
    checks: int = 0
    failing: int = 0
    ready: bool = False

    def record(self, result: ProbeResult, now: float) -> str | None:
        """Take a probe's result; why the replica is unhealthy, or None."""
        self.checks += 1
        if result.exit_code == 0:
            self.failing = 0
            self.ready = True
            return None
        if not self.ready and now - self.started < self.test.start_period:
            return None
        self.failing += 1
        if self.failing < self.test.retries:
            return None
        self.ready = False
        return unhealthy_message(self.name, result.exit_code, result.output, self.checks)


def unhealthy_message(name: str, exit_code: object, output: str, checks: int) -> str:
    """Why a replica is unhealthy: its health check's last exit code and output (its tail, on one line)."""
    tail = output.strip().replace("\n", " | ")[-300:]
    shown = f", output: {tail}" if tail else ""
    return f"{name} is unhealthy: health check exit code {exit_code}{shown} ({checks} checks)"


def probe(container: Container, test: HealthTest) -> ProbeResult:
    """Run the health check in the container once (as its user, in its environment), within the timeout."""
    try:
        result = DockerExecTransport.of(container).run(test.command, timeout=test.timeout)
    except CommandStoppedError:
        return ProbeResult(-1, f"Health check exceeded timeout ({test.timeout:g}s)")
    except EngineError as exc:  # the engine refused, or went away (restarted)
        return ProbeResult(-1, str(exc))
    return ProbeResult(result.exit_code, result.stdout + result.stderr)


def exited_reason(container: Container) -> str | None:
    """Why a replica stopped (exited, dead, restarted), with its last log lines; None while it runs."""
    state = container.attrs.get("State") or {}
    if state.get("Status") in ("exited", "dead") or int(container.attrs.get("RestartCount") or 0) > 0:
        logs = container.logs(tail=5).strip().replace("\n", " | ")
        return f"{container.name} exited with code {state.get('ExitCode')}: {logs or 'no output'}"
    return None


def wait_ready(
    containers: Sequence[Container], timeout: float, monitor: float, interval: float = PROBE_INTERVAL_S
) -> str | None:
    """Probe new replicas until all are ready (and stay so for `monitor` s); the first failure's reason, or None.

    A replica without a health check is ready once it runs.
    """
    began = time.monotonic()
    deadline = began + timeout
    tests = {str(c.name): HealthTest.of(c) for c in containers}
    states = {name: ReplicaReadiness(name, test, began) for name, test in tests.items() if test is not None}
    ready_since: float | None = None
    while True:
        for container in containers:
            container.reload()
            reason = exited_reason(container)
            if reason is not None:
                return reason
        probed = [c for c in containers if str(c.name) in states]
        results = run_each(probed, lambda c: probe(c, states[str(c.name)].test), forks=max(1, len(probed)))
        now = time.monotonic()
        for outcome in results:
            result = outcome.value or ProbeResult(-1, str(outcome.error))
            reason = states[str(outcome.item.name)].record(result, now)
            if reason is not None:
                return reason
        if all(state.ready for state in states.values()):
            ready_since = ready_since or now
            if now - ready_since >= monitor:
                return None
        else:
            ready_since = None
            if now > deadline:
                waiting = [name for name, state in states.items() if not state.ready]
                return f"{', '.join(waiting)} not healthy within {timeout:.0f}s"
        time.sleep(interval)


def replica_health(container: Container, *, probe_starting: bool = True) -> str:
    """Docker's health verdict; while Docker has none yet (`starting`), one probe can decide `healthy`."""
    state = container.attrs.get("State") or {}
    health = str((state.get("Health") or {}).get("Status", "none"))
    if not probe_starting or health != "starting" or state.get("Status") != "running":
        return health
    test = HealthTest.of(container)
    if test is not None and probe(container, test).exit_code == 0:
        return "healthy"
    return health
