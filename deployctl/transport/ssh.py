"""SSH transport over paramiko: one connection per host, reused for every command of a run."""

from __future__ import annotations

import select
import socket
import threading
import time
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from deployctl.errors import ConnectionFailedError
from deployctl.model.connection import SshEndpoint
from deployctl.transport.base import (
    Command,
    CommandFailedError,
    Result,
    put_command,
    render_command,
    with_become,
)
from deployctl.transport.sshlib import paramiko

UnknownKeyType = paramiko.pkey.UnknownKeyType

_KEYS: dict[str, paramiko.PKey] = {}
_KEYS_LOCK = threading.Lock()


class PassphraseKeyError(ValueError):
    """The private key needs a passphrase."""


def load_private_key(path: Path) -> paramiko.PKey:
    """Read an unencrypted private key; RSA keys without cryptography's consistency check.

    That check costs about 40 ms of CPU per load (far more under start-up load) and guards against
    crafted keys; a key the user keeps for their own logins is trusted, and a broken one fails at login.
    Encrypted keys and formats cryptography does not read go through paramiko as they are.
    """
    data = path.read_bytes()
    try:
        if data.lstrip().startswith(b"-----BEGIN OPENSSH PRIVATE KEY"):
            loaded: object = serialization.load_ssh_private_key(data, None, unsafe_skip_rsa_key_validation=True)
        else:
            loaded = serialization.load_pem_private_key(data, None, unsafe_skip_rsa_key_validation=True)
    except TypeError as exc:  # cryptography wants the passphrase
        raise PassphraseKeyError("the key is protected by a passphrase, which deployctl cannot ask for") from exc
    except (ValueError, UnsupportedAlgorithm):
        loaded = None
    if isinstance(loaded, rsa.RSAPrivateKey):
        return paramiko.RSAKey(key=loaded)
    return paramiko.PKey.from_path(path)


def _private_key(path: str) -> paramiko.PKey:
    """The private key at `path`, read and parsed once per run (not once per host)."""
    with _KEYS_LOCK:
        key = _KEYS.get(path)
        if key is None:
            key = load_private_key(Path(path).expanduser())
            certificate = Path(f"{path}-cert.pub").expanduser()
            if certificate.exists():  # as paramiko's key_filename does
                key.load_certificate(str(certificate))
            _KEYS[path] = key
        return key


class _TrustPolicy(paramiko.MissingHostKeyPolicy):
    """Accept an unknown host key without recording it: only for hosts the inventory trusts explicitly."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        return None


def _close(client: paramiko.SSHClient, sock: socket.socket | None) -> None:
    """Close a client whose connection failed, and its socket (paramiko does not own one it was given)."""
    client.close()
    if sock is not None:
        sock.close()


class SshTransport:
    """A Transport that runs commands over one paramiko connection."""

    def __init__(self, endpoint: SshEndpoint, *, connect_timeout: float = 10.0) -> None:
        self.name = endpoint.name
        self.endpoint = endpoint
        self.connect_timeout = connect_timeout
        self._client: paramiko.SSHClient | None = None

    def connect(self) -> None:
        """Open the connection (done on first use when not called); errors name the host and the reason."""
        if self._client is not None:
            return
        endpoint = self.endpoint
        try:
            key = _private_key(endpoint.key_file) if endpoint.key_file is not None else None
        except PassphraseKeyError as exc:
            raise ConnectionFailedError(f"{self.name}: {endpoint.key_file}: {exc}") from exc
        except (UnknownKeyType, ValueError, paramiko.SSHException) as exc:
            raise ConnectionFailedError(f"{self.name}: {endpoint.key_file}: not a private key paramiko reads") from exc
        except OSError as exc:
            raise ConnectionFailedError(f"{self.name}: {endpoint.key_file}: {exc.strerror or exc}") from exc
        client = paramiko.SSHClient()
        if endpoint.host_key_checking:
            known_hosts = Path("~/.ssh/known_hosts").expanduser()
            if known_hosts.exists():
                client.load_host_keys(str(known_hosts))
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            client.set_missing_host_key_policy(_TrustPolicy())
        sock: socket.socket | None = None
        try:
            # Small SSH packets (key exchange, auth, channel open, exec, EOF) must not wait for delayed
            # ACKs (about 40 ms each): TCP_NODELAY is set before the handshake, not after it.
            sock = socket.create_connection((endpoint.address, endpoint.port), timeout=self.connect_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Only the given key is offered (no agent, no ~/.ssh lookup): one authentication attempt.
            client.connect(
                endpoint.address,
                port=endpoint.port,
                username=endpoint.user,
                pkey=key,
                sock=sock,
                timeout=self.connect_timeout,
                banner_timeout=self.connect_timeout,
                auth_timeout=self.connect_timeout,
                allow_agent=endpoint.key_file is None,
                look_for_keys=endpoint.key_file is None,
            )
        except paramiko.BadHostKeyException as exc:
            _close(client, sock)
            raise ConnectionFailedError(f"{self.name} ({endpoint.label}): host key mismatch: {exc}") from exc
        except paramiko.SSHException as exc:
            _close(client, sock)
            reason = str(exc)
            if "not found in known_hosts" in reason:
                reason += " (add it to ~/.ssh/known_hosts, or set ansible_host_key_checking: false)"
            raise ConnectionFailedError(f"{self.name} ({endpoint.label}): {reason}") from exc
        except (TimeoutError, OSError) as exc:
            _close(client, sock)
            raise ConnectionFailedError(f"{self.name} ({endpoint.label}): {exc.strerror or exc}") from exc
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(30)
        self._client = client

    def run(
        self,
        command: Command,
        *,
        become: bool = False,
        become_user: str | None = None,
        stdin: bytes | None = None,
        timeout: float | None = None,
    ) -> Result:
        line = render_command(with_become(command, become, become_user))
        started = time.monotonic()
        exit_code, stdout, stderr = self._execute(line, stdin, timeout)
        return Result(
            command=line,
            exit_code=exit_code,
            stdout=stdout.decode("utf-8", "replace"),
            stderr=stderr.decode("utf-8", "replace"),
            duration=time.monotonic() - started,
        )

    def _execute(self, line: str, stdin: bytes | None, timeout: float | None) -> tuple[int, bytes, bytes]:
        self.connect()
        assert self._client is not None
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise ConnectionFailedError(f"{self.name}: the connection was lost")
        deadline = time.monotonic() + timeout if timeout else None
        channel = transport.open_session(timeout=self.connect_timeout)
        try:
            channel.exec_command(line)
            stdout, stderr = self._exchange(channel, stdin or b"", deadline, line)
            # Wait for the exit status on its event: after EOF the channel's fd stays readable, and a select
            # loop waiting for the status would spin (under load, stealing the GIL from every other host).
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not channel.status_event.wait(remaining):
                raise ConnectionFailedError(f"{self.name}: `{line}` timed out")
            return channel.recv_exit_status(), stdout, stderr
        finally:
            channel.close()

    def _exchange(
        self, channel: paramiko.Channel, stdin: bytes, deadline: float | None, line: str
    ) -> tuple[bytes, bytes]:
        """Feed stdin and drain stdout and stderr together, so that neither side's window fills and blocks."""
        out: list[bytes] = []
        err: list[bytes] = []
        pending = memoryview(stdin)
        if not pending:
            channel.shutdown_write()
        while True:
            progressed = False
            if pending and channel.send_ready():
                sent = channel.send(pending[:32768].tobytes())
                pending = pending[sent:]
                progressed = True
                if not pending:
                    channel.shutdown_write()
            while channel.recv_ready():
                out.append(channel.recv(65536))
                progressed = True
            while channel.recv_stderr_ready():
                err.append(channel.recv_stderr(65536))
                progressed = True
            idle = not channel.recv_ready() and not channel.recv_stderr_ready()
            if idle and not pending and (channel.eof_received or channel.closed):
                break  # nothing more can arrive after EOF
            if progressed:
                continue
            if deadline is not None and time.monotonic() > deadline:
                raise ConnectionFailedError(f"{self.name}: `{line}` timed out")
            wait = 0.01 if pending else 1.0
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            select.select([channel], [], [], wait)
        return b"".join(out), b"".join(err)

    def put(self, data: bytes, path: str, *, mode: str | None = None, become: bool = False) -> Result:
        return self.run(put_command(path, mode), become=become, stdin=data)

    def get(self, path: str, *, become: bool = False) -> bytes:
        line = render_command(with_become(["cat", "--", path], become))
        started = time.monotonic()
        exit_code, stdout, stderr = self._execute(line, None, None)
        if exit_code != 0:
            failed = Result(line, exit_code, "", stderr.decode("utf-8", "replace"), time.monotonic() - started)
            raise CommandFailedError(self.name, failed)
        return stdout

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> SshTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
