"""Read every lab host's status over SSH in one parallel pass: reachable, OS, systemd state, uptime."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from deployctl.facts.base import FactBatch, batch
from deployctl.facts.system import OsRelease, SystemdState, Uptime
from deployctl.lab.machines import LAB_STAGES, stage_of
from deployctl.model.connection import SshEndpoint
from deployctl.transport.base import shell
from deployctl.transport.pool import run_each
from deployctl.transport.ssh import SshTransport


@dataclass(frozen=True)
class HostStatus:
    """One lab host as seen just now."""

    name: str
    stage: str
    address: str
    reachable: bool
    os: str | None = None
    systemd: str | None = None
    uptime_seconds: float | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        return self.reachable and self.systemd == "running"


def read_host_status(endpoint: SshEndpoint, connect_timeout: float = 5.0) -> HostStatus:
    """Connect to one host and read its OS, systemd state and uptime with a single command."""
    started = time.monotonic()
    facts: FactBatch[object] = batch([OsRelease(), SystemdState(), Uptime()])
    stage = stage_of(endpoint.name) or "-"
    with SshTransport(endpoint, connect_timeout=connect_timeout) as transport:
        result = transport.run(shell(facts.script()))
    values = facts.split(result.stdout)
    os_release: dict[str, str] = values["os_release"]
    return HostStatus(
        name=endpoint.name,
        stage=stage,
        address=endpoint.label,
        reachable=True,
        os=os_release.get("PRETTY_NAME") or os_release.get("NAME"),
        systemd=values["systemd_state"],
        uptime_seconds=values["uptime"],
        seconds=time.monotonic() - started,
    )


def read_lab_status(endpoints: Mapping[str, SshEndpoint], forks: int = 16) -> list[HostStatus]:
    """Every host's status, read in parallel; an unreachable host is a row with its error, not a failure."""
    outcomes = run_each(list(endpoints.values()), read_host_status, forks)
    rows = []
    for outcome in outcomes:
        if outcome.value is not None:
            rows.append(outcome.value)
        else:
            endpoint = outcome.item
            rows.append(
                HostStatus(
                    name=endpoint.name,
                    stage=stage_of(endpoint.name) or "-",
                    address=endpoint.label,
                    reachable=False,
                    error=str(outcome.error),
                )
            )
    order = {stage: index for index, stage in enumerate(LAB_STAGES)}
    return sorted(rows, key=lambda row: (order.get(row.stage, 99), row.name))
