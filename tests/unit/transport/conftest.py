"""A fake SSH server on 127.0.0.1 that misbehaves on purpose: silent, hanging, flooding, hanging up.

It runs in a thread of the test process on a random port, with a generated host key, and accepts one
generated client key (written 0600, as a real key). `behaviour` says what it does:
- `silent`: accepts TCP and never sends a byte (not even the SSH banner);
- `hang`: logs in, then never answers the command's exec request (its whole SSH session stalls);
- `quiet`: runs the command, which prints nothing and never ends (a live host, a silent command);
- `flood`: answers every command with endless output (up to `flood_total` bytes, then exit 0);
- `hangup`: prints a line, then closes the connection in the middle of the command;
- `echo`: prints the command line and exits 0.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deployctl.model.connection import SshEndpoint
from deployctl.transport.sshlib import paramiko

COMMAND_START = 0.05
"""Seconds between the fake server's answer to an exec request and the command's first output."""


class _Server(paramiko.ServerInterface):
    def __init__(self, fake: FakeSshServer) -> None:
        self.fake = fake

    def get_allowed_auths(self, username: str) -> str:
        return "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        accepted = key.asbytes() == self.fake.client_key.asbytes()
        return paramiko.AUTH_SUCCESSFUL if accepted else paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        fake = self.fake
        fake.commands.append(command.decode())
        if fake.behaviour == "hang":
            fake.released.wait()  # blocks this session's transport thread: nothing more is answered
            return False
        actions: dict[str, Callable[[paramiko.Channel, bytes], None]] = {
            "flood": fake.flood,
            "hangup": fake.hang_up,
            "echo": fake.echo,
        }
        if fake.behaviour in actions:
            # paramiko answers the exec after this returns, with no hook after it: the command starts a moment
            # later, so that (as with sshd) the answer comes before the output and the channel's close.
            start = threading.Timer(COMMAND_START, actions[fake.behaviour], args=(channel, command))
            start.daemon = True
            start.start()
        return True


class FakeSshServer:
    """An SSH server on 127.0.0.1 with one behaviour (see the module's docstring)."""

    def __init__(self, behaviour: str, folder: Path, flood_total: int = 24 * 1024 * 1024) -> None:
        self.behaviour = behaviour
        self.flood_total = flood_total
        self.host_key = paramiko.ECDSAKey.generate()
        self.client_key = paramiko.ECDSAKey.generate()
        self.key_file = folder / "id_test"
        self.client_key.write_private_key_file(str(self.key_file))
        self.key_file.chmod(0o600)
        self.released = threading.Event()
        self.connected = threading.Event()
        self.commands: list[str] = []
        self.sent = 0
        self._open: list[socket.socket | paramiko.Transport] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def endpoint(self, name: str = "web1") -> SshEndpoint:
        return SshEndpoint(name, "127.0.0.1", self.port, "deploy", str(self.key_file), host_key_checking=False)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return  # closed
            self._open.append(sock)
            self.connected.set()
            if self.behaviour == "silent":
                continue
            transport = paramiko.Transport(sock)
            transport.add_server_key(self.host_key)
            self._open.append(transport)
            transport.start_server(server=_Server(self))

    def flood(self, channel: paramiko.Channel, command: bytes) -> None:
        chunk = b"x" * 32768
        try:
            while self.sent < self.flood_total and not channel.closed:
                self.sent += channel.send(chunk)
            channel.send_exit_status(0)
            channel.close()
        except (OSError, EOFError, paramiko.SSHException):
            return

    def hang_up(self, channel: paramiko.Channel, command: bytes) -> None:
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):  # the client may be gone already
            channel.send(b"starting\n")
            channel.get_transport().close()

    def echo(self, channel: paramiko.Channel, command: bytes) -> None:
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            channel.send(command + b"\n")
            channel.send_exit_status(0)
            channel.close()

    def close(self) -> None:
        self.released.set()
        self._listener.close()
        for item in self._open:
            item.close()


@pytest.fixture
def fake_ssh(tmp_path: Path) -> Iterator[Callable[..., FakeSshServer]]:
    """Start fake SSH servers with a behaviour; every one is stopped after the test."""
    servers: list[FakeSshServer] = []

    def start(behaviour: str, **options: int) -> FakeSshServer:
        folder = tmp_path / f"server{len(servers)}"
        folder.mkdir()
        server = FakeSshServer(behaviour, folder, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
