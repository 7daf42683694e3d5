"""How an `apply` is recorded: a deployment of the playbook's release with the mutable strategy, per host."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from deployctl.facts.base import RawFact
from deployctl.ledger.recording import DeploymentRecord, recorded_deployment
from deployctl.ledger.records import HostOutcome
from deployctl.model.connection import SshEndpoint
from deployctl.model.project import Project
from deployctl.strategies.results import HostRecap, RunResult
from deployctl.transport.base import Command, Connectable, Result, Transport, shell
from deployctl.transport.pool import run_each
from deployctl.transport.ssh import SshTransport


def recorded_apply(
    project: Project, playbook: Path, stage: str, connection: sqlite3.Connection | None = None
) -> AbstractContextManager[DeploymentRecord]:
    """Record an apply of `playbook` to `stage` (not used in check mode: a check changes nothing)."""
    return recorded_deployment(project, playbook, stage, "apply", "mutable", connection=connection)


def host_status(recap: HostRecap) -> str:
    """One word for a host's run: unreachable, failed, changed or ok."""
    if recap.unreachable:
        return "unreachable"
    if recap.failed:
        return "failed"
    return "changed" if recap.changed else "ok"


def apply_outcome(result: RunResult) -> str:
    """The deployment's outcome from the run's exit code."""
    return {0: "ok", 2: "failed", 3: "stopped"}.get(result.exit_code, "failed")


def host_outcomes(result: RunResult) -> Iterator[HostOutcome]:
    """Per host: its status and its recap counts."""
    for host, recap in result.recap.items():
        counts = {
            "ok": recap.ok,
            "changed": recap.changed,
            "failed": recap.failed,
            "skipped": recap.skipped,
            "unreachable": recap.unreachable,
            "ignored": recap.ignored,
        }
        yield HostOutcome(host, "vm", host_status(recap), counts)


def fill_apply_record(record: DeploymentRecord, result: RunResult) -> None:
    """Put a finished run's outcome and hosts into its deployment record."""
    record.outcome = apply_outcome(result)
    record.reason = result.stopped or ""
    record.hosts = list(host_outcomes(result))


class _Retained:
    """A transport whose `close` waits for the owner: the apply's connection, reused to read the baseline."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.name = transport.name

    def run(
        self,
        command: Command,
        *,
        become: bool = False,
        become_user: str | None = None,
        stdin: bytes | None = None,
        timeout: float | None = None,
    ) -> Result:
        return self.transport.run(command, become=become, become_user=become_user, stdin=stdin, timeout=timeout)

    def put(self, data: bytes, path: str, *, mode: str | None = None, become: bool = False) -> Result:
        return self.transport.put(data, path, mode=mode, become=become)

    def get(self, path: str, *, become: bool = False) -> bytes:
        return self.transport.get(path, become=become)

    def connect(self) -> None:
        """Open the wrapped transport's connection when it has one to open."""
        if isinstance(self.transport, Connectable):
            self.transport.connect()

    def close(self) -> None:
        return None


class RetainedConnections:
    """A transport factory for `apply_playbook` that keeps each host's connection open until `close`."""

    def __init__(self, factory: Callable[[SshEndpoint], Transport] = SshTransport) -> None:
        self.factory = factory
        self.open: dict[str, Transport] = {}

    def __call__(self, endpoint: SshEndpoint) -> Transport:
        self.open[endpoint.name] = self.factory(endpoint)
        return _Retained(self.open[endpoint.name])

    def close(self) -> None:
        """Close every connection."""
        for transport in self.open.values():
            transport.close()


def changed_packages(result: RunResult, host: str) -> bool:
    """Whether the run installed, removed or upgraded a package on `host` (a cache refresh is not one).

    A change whose diffs are hidden (`no_log`, `diff: false`) may have been one: counted as one.
    """
    for task in result.results:
        if task.host != host or task.module not in ("apt", "package"):
            continue
        for part in task.items or (task,):
            if part.status == "changed" and (
                not part.diffs or any(d.resource.startswith("package ") for d in part.diffs)
            ):
                return True
    return False


def baseline_hosts(result: RunResult, recorded: Iterable[str]) -> list[str]:
    """Hosts whose package baseline to (re)record: reached, and without one or with packages the run changed.

    A host that has a baseline and whose packages the run did not touch keeps it, so a no-op apply costs
    nothing and a package installed by hand is never taken into the baseline.
    """
    known = set(recorded)
    return [
        host
        for host, recap in result.recap.items()
        if host_status(recap) in ("ok", "changed") and (host not in known or changed_packages(result, host))
    ]


def record_baselines(record: DeploymentRecord, result: RunResult, connections: RetainedConnections, stage: str) -> None:
    """Record the package list of each host that needs a baseline, read over the run's open connection."""
    from deployctl.facts.packages import PackageListFact
    from deployctl.ledger.drift import baselines, save_baseline

    hosts = [h for h in baseline_hosts(result, baselines(record.connection, stage)) if h in connections.open]
    fact = PackageListFact()

    def read(host: str) -> dict[str, str] | None:
        done = connections.open[host].run(shell(fact.script()))
        return fact.parse(RawFact(done.stdout, done.exit_code)) if done.ok else None

    for outcome in run_each(hosts, read):
        if outcome.value:
            save_baseline(record.connection, stage, outcome.item, record.deployment_id, outcome.value)
