"""Connections kept open across a run: the apply's connection per host, reused afterwards (a package baseline)."""

from __future__ import annotations

from collections.abc import Callable

from deployctl.model.connection import SshEndpoint
from deployctl.transport.base import Command, Connectable, Result, Transport
from deployctl.transport.ssh import SshTransport


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
