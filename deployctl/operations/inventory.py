"""The `inventory` and `ping` use cases: the stages' hosts with their resolved endpoints, and reaching them."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass

from deployctl.errors import DeployctlError
from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import InventoryHost
from deployctl.model.project import Project
from deployctl.operations.context import StageContext, stage_contexts
from deployctl.transport.base import Transport, shell
from deployctl.transport.pool import run_each
from deployctl.transport.settings import DEFAULT_FORKS

TransportFactory = Callable[[SshEndpoint], Transport]
"""How a host is reached from its endpoint (SSH; tests use the local transport)."""
CONTAINER_TARGET = "container target (immutable strategy)"
"""Why a container target has no SSH endpoint."""


@dataclass(frozen=True)
class HostEntry:
    """One inventory host and how to reach it: its endpoint, or why it has none."""

    host: InventoryHost
    endpoint: SshEndpoint | None
    problem: str | None


@dataclass(frozen=True)
class PingResult:
    """One host reached: who we are there, whether sudo works, which python answers, how long it took."""

    host: str
    stage: str
    address: str
    user: str
    become: bool
    python: str
    seconds: float


@dataclass(frozen=True)
class PingFailure:
    """One host that could not be reached, and why."""

    host: str
    error: str


@dataclass(frozen=True)
class PingReport:
    """Every targeted host: those reached and those not."""

    reached: tuple[PingResult, ...]
    failed: tuple[PingFailure, ...]

    @property
    def targets(self) -> int:
        return len(self.reached) + len(self.failed)

    @property
    def ok(self) -> bool:
        """Every host reached, with sudo and python3."""
        return not self.failed and all(r.become and r.python != "missing" for r in self.reached)


def _selected(
    project: Project, stage: str | None, limit: str | None, *, ssh_only: bool = False
) -> list[tuple[StageContext, InventoryHost]]:
    """The hosts of one stage (or every stage) matching `limit`; every inventory is read, and the lab once."""
    name = project.require_stage(stage) if stage is not None else None
    contexts = stage_contexts(project)
    chosen = [contexts[name]] if name is not None else list(contexts.values())
    pairs = [
        (context, host)
        for context in chosen
        for host in (context.inventory.select(limit) if limit else context.inventory.hosts.values())
    ]
    if ssh_only:
        pairs = [(context, host) for context, host in pairs if host.strategy == "mutable"]
    if limit and not pairs:
        raise DeployctlError(f"no host matches --limit {limit!r}")
    return pairs


def list_hosts(project: Project, stage: str | None, limit: str | None) -> list[HostEntry]:
    """The hosts of one stage (or every stage) with their SSH endpoints, or why one cannot be resolved."""
    entries = []
    for context, host in _selected(project, stage, limit):
        if host.strategy == "immutable":
            entries.append(HostEntry(host, None, CONTAINER_TARGET))
            continue
        try:
            entries.append(HostEntry(host, context.endpoint(host), None))
        except DeployctlError as error:
            entries.append(HostEntry(host, None, str(error)))
    return entries


def _ping(target: tuple[InventoryHost, SshEndpoint], transport_factory: TransportFactory) -> PingResult:
    host, endpoint = target
    started = time.monotonic()
    with closing(transport_factory(endpoint)) as transport:
        identity = transport.run(shell("id -un; python3 -c 'import platform; print(platform.python_version())'"))
        root = transport.run(["id", "-u"], become=True)
    lines = identity.stdout.split()
    return PingResult(
        host=host.name,
        stage=host.stage,
        address=endpoint.label,
        user=lines[0] if lines else "?",
        become=root.ok and root.stdout.strip() == "0",
        python=lines[1] if identity.ok and len(lines) > 1 else "missing",
        seconds=round(time.monotonic() - started, 3),
    )


def ping_hosts(
    project: Project,
    stage: str | None,
    limit: str | None,
    forks: int = DEFAULT_FORKS,
    transport_factory: TransportFactory | None = None,
) -> PingReport:
    """Reach every VM of one stage (or every stage): log in, check sudo and python3 (like Ansible's ping).

    The transport is SSH unless another is given (paramiko is imported here: listing the inventory needs none).
    """
    if transport_factory is None:
        from deployctl.transport.ssh import SshTransport

        transport_factory = SshTransport
    targets = [(host, context.endpoint(host)) for context, host in _selected(project, stage, limit, ssh_only=True)]
    outcomes = run_each(targets, lambda target: _ping(target, transport_factory), forks)
    return PingReport(
        reached=tuple(o.value for o in outcomes if o.value is not None),
        failed=tuple(PingFailure(o.item[0].name, str(o.error)) for o in outcomes if o.error is not None),
    )
