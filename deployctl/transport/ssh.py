"""SSH transport over paramiko: one connection per host, reused for every command of a run."""

from __future__ import annotations

import contextlib
import itertools
import os
import select
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from deployctl.errors import ConnectionFailedError
from deployctl.model.connection import SshEndpoint, SshSettings
from deployctl.transport.base import (
    Command,
    CommandFailedError,
    CommandStoppedError,
    Result,
    put_command,
    render_command,
    with_become,
)
from deployctl.transport.interrupt import INTERRUPTION
from deployctl.transport.settings import run_settings
from deployctl.transport.sshlib import paramiko

UnknownKeyType = paramiko.pkey.UnknownKeyType

_KEYS: dict[str, paramiko.PKey] = {}
_KEYS_LOCK = threading.Lock()


class PassphraseKeyError(ValueError):
    """The private key needs a passphrase."""


class KeyPermissionError(ValueError):
    """The private key can be read by group or others: refused, as OpenSSH refuses it."""


def check_key_permissions(path: Path) -> None:
    """Refuse a key of ours that group or others may access, with OpenSSH's words (its sshkey_perm_ok).

    As OpenSSH does, only a key owned by the user running deployctl is checked: a key owned by another
    user (root's, shared on purpose) is used as long as it can be read.
    """
    if sys.platform == "win32":
        return
    info = path.stat()
    if info.st_uid == os.getuid() and info.st_mode & 0o077:
        raise KeyPermissionError(
            f"Permissions {stat.S_IMODE(info.st_mode):04o} for '{path}' are too open. It is required that your "
            "private key files are NOT accessible by others. This private key will be ignored."
        )


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
            check_key_permissions(Path(path).expanduser())
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


THREAD_END = 2.0
"""Seconds a failed connection's paramiko thread gets to finish before the failure is reported."""
PROBE_EVERY = 30.0
"""After this long without output (or a quarter of idle_timeout, if shorter), the host is asked whether it is alive."""


_warned_unverified: set[str] = set()


def warn_unverified_hosts(endpoints: Iterable[SshEndpoint]) -> None:
    """One line on stderr, once per run, naming the hosts outside the lab whose host key is not checked.

    The lab's machines (`deployctl_lab: true`, reached at the address the lab's Vagrant ssh-config
    gives) are rebuilt with new host keys all the time, and `ansible_host_key_checking: false` is
    expected there; anywhere else it lets a machine in the middle pose as the host.
    """
    names = sorted({e.name for e in endpoints if not e.host_key_checking and not e.lab} - _warned_unverified)
    if names:
        _warned_unverified.update(names)
        print(
            f"deployctl: warning: host keys are not checked for {', '.join(names)} "
            "(ansible_host_key_checking: false outside the lab): anyone between here and them can pose as them",
            file=sys.stderr,
        )


def _size(count: int) -> str:
    """A byte count as deployctl.yml writes it: 64 MiB, 512 KiB, 100 B."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count} B"


def _connect_failure(exc: Exception, seconds: float, transport: paramiko.Transport | None) -> str:
    """What the host did, from paramiko's exception during connect (banner, key exchange, login)."""
    reason = str(exc)
    banner = transport.remote_version if transport is not None else ""
    # paramiko's handshake wait can end with the banner wait: then login finds "No existing session".
    if "Error reading SSH protocol banner" in reason or (not banner and "No existing session" in reason):
        return f"accepted the connection, then sent nothing for {seconds:g} s (no SSH banner)"
    if "Negotiation timed out" in reason or "No existing session" in reason:
        return f"sent its SSH banner, then stalled the key exchange for {seconds:g} s"
    if "Authentication timeout" in reason:
        return f"did not answer the login within {seconds:g} s"
    if isinstance(exc, EOFError) or "EOF" in reason or "reset" in reason.lower():
        return "closed the connection during the SSH handshake"
    if "not found in known_hosts" in reason:
        return reason + " (add it to ~/.ssh/known_hosts, or set ansible_host_key_checking: false)"
    return reason


class _Alarms:
    """Calls functions at their time from one daemon thread (a Timer thread per command costs up to 0.6 ms)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: dict[int, tuple[float, Callable[[], None]]] = {}
        self._keys = itertools.count()
        self._thread: threading.Thread | None = None

    def set(self, seconds: float, call: Callable[[], None]) -> int:
        """Call `call` in `seconds` unless cancelled; returns the key that cancels it."""
        with self._changed:
            key = next(self._keys)
            self._due[key] = (time.monotonic() + seconds, call)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deployctl-ssh-alarms", daemon=True)
                self._thread.start()
            self._changed.notify()
        return key

    def cancel(self, key: int) -> None:
        with self._changed:
            self._due.pop(key, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                calls = [self._due.pop(key)[1] for key, (when, _) in list(self._due.items()) if when <= now]
                if not calls:
                    self._changed.wait(min((when for when, _ in self._due.values()), default=now + 60) - now)
                    continue
            for call in calls:
                call()


_ALARMS = _Alarms()


@dataclass
class _Watch:
    """The clocks of one command: its deadline, when the host was last heard from, and its output so far."""

    timeout: float | None
    idle_timeout: float | None
    output_limit: int
    started: float
    heard: float
    kept: int = 0

    @property
    def deadline(self) -> float | None:
        return None if self.timeout is None else self.started + self.timeout

    def probe_after(self) -> float | None:
        """When the host, silent since `heard`, is next asked whether it is alive."""
        if self.idle_timeout is None:
            return None
        return self.heard + min(PROBE_EVERY, self.idle_timeout / 4)

    def wait_limit(self, now: float) -> float | None:
        """How long the next wait for the host may last: until the deadline or the idle limit, if any."""
        ends = [t for t in (self.deadline, None if self.idle_timeout is None else self.heard + self.idle_timeout) if t]
        return None if not ends else max(0.0, min(ends) - now)


class SshTransport:
    """A Transport that runs commands over one paramiko connection."""

    def __init__(
        self, endpoint: SshEndpoint, *, connect_timeout: float | None = None, settings: SshSettings | None = None
    ) -> None:
        self.name = endpoint.name
        self.endpoint = endpoint
        chosen = settings or run_settings()
        self.settings = chosen if connect_timeout is None else replace(chosen, connect_timeout=connect_timeout)
        self.connect_timeout = self.settings.connect_timeout
        self._client: paramiko.SSHClient | None = None
        self._sock: socket.socket | None = None

    def connect(self) -> None:
        """Open the connection (done on first use when not called); errors name the host and the reason."""
        INTERRUPTION.check()
        if self._client is not None:
            return
        endpoint = self.endpoint
        try:
            key = _private_key(endpoint.key_file) if endpoint.key_file is not None else None
        except (PassphraseKeyError, KeyPermissionError) as exc:
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
        INTERRUPTION.watch(self, lambda: _close(client, sock))  # `sock` as it is when the run is interrupted
        seconds = self.connect_timeout
        try:
            # Small SSH packets (key exchange, auth, channel open, exec, EOF) must not wait for delayed
            # ACKs (about 40 ms each): TCP_NODELAY is set before the handshake, not after it.
            sock = socket.create_connection((endpoint.address, endpoint.port), timeout=seconds)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if INTERRUPTION.requested:  # interrupted while connecting, before `sock` could be closed
                raise KeyboardInterrupt
            # Only the given key is offered (no agent, no ~/.ssh lookup): one authentication attempt.
            client.connect(
                endpoint.address,
                port=endpoint.port,
                username=endpoint.user,
                pkey=key,
                sock=sock,
                timeout=seconds,
                banner_timeout=seconds,
                auth_timeout=seconds,
                channel_timeout=seconds,
                allow_agent=endpoint.key_file is None,
                look_for_keys=endpoint.key_file is None,
            )
        except paramiko.BadHostKeyException as exc:
            self._failed_connect(client, sock)
            raise ConnectionFailedError(f"{self.name} ({endpoint.label}): host key mismatch: {exc}") from exc
        except (paramiko.SSHException, EOFError) as exc:
            reason = _connect_failure(exc, seconds, client.get_transport())
            self._failed_connect(client, sock)
            raise ConnectionFailedError(f"{self.name} ({endpoint.label}): {reason}") from exc
        except TimeoutError as exc:
            self._failed_connect(client, sock)
            reason = f"no answer to the connection within {seconds:g} s"
            raise ConnectionFailedError(f"{self.name} ({endpoint.label}): {reason}") from exc
        except OSError as exc:
            self._failed_connect(client, sock)
            raise ConnectionFailedError(f"{self.name} ({endpoint.label}): {exc.strerror or exc}") from exc
        except KeyboardInterrupt:
            self._failed_connect(client, sock)
            raise
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(30)
        self._client = client
        self._sock = sock

    def _failed_connect(self, client: paramiko.SSHClient, sock: socket.socket | None) -> None:
        """Release a connection that failed to open; an interruption is the reason if there was one."""
        INTERRUPTION.forget(self)
        transport = client.get_transport()
        _close(client, sock)
        INTERRUPTION.check()
        if transport is not None:
            # Its thread is still logging the failure (reading source files for a traceback): an exit now
            # could freeze it holding a file's lock, and the interpreter's shutdown would wait on that lock.
            transport.join(THREAD_END)

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

    def _watch(self, timeout: float | None) -> _Watch:
        """The clocks of a command: its own timeout (a task's `timeout:`) or the configured command_timeout."""
        settings = self.settings
        limit = timeout if timeout is not None else (settings.command_timeout or None)
        now = time.monotonic()
        return _Watch(limit, settings.idle_timeout or None, settings.output_limit, now, now)

    def _execute(self, line: str, stdin: bytes | None, timeout: float | None) -> tuple[int, bytes, bytes]:
        self.connect()
        assert self._client is not None
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise ConnectionFailedError(f"{self.name}: the connection was lost")
        watch = self._watch(timeout)
        try:
            channel = transport.open_session(timeout=self.connect_timeout)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise self._lost(transport, line, self.connect_timeout) from exc
        try:
            self._start(channel, line, watch)
            stdout, stderr = self._exchange(transport, channel, stdin or b"", line, watch)
            # Wait for the exit status on its event: after EOF the channel's fd stays readable, and a select
            # loop waiting for the status would spin (under load, stealing the GIL from every other host).
            while not channel.status_event.wait(self._until_probe(watch)):
                self._check_clocks(transport, line, watch)
            status = channel.recv_exit_status()
            if status == -1 and not transport.is_active():  # no status: the host hung up (after one, a reboot)
                raise self._lost(transport, line, None)
            return status, stdout, stderr
        finally:
            with contextlib.suppress(paramiko.SSHException, EOFError, OSError):  # a lost connection is reported above
                channel.close()

    def _start(self, channel: paramiko.Channel, line: str, watch: _Watch) -> None:
        """Send the command; paramiko waits for the host's answer without a limit, so a timer closes the channel."""
        limit = watch.wait_limit(time.monotonic())
        expired = threading.Event()

        def expire() -> None:
            expired.set()  # before the close: exec_command wakes up on the close
            with contextlib.suppress(paramiko.SSHException, EOFError, OSError):  # the connection is gone already
                channel.close()

        alarm = _ALARMS.set(limit, expire) if limit is not None else None
        try:
            channel.exec_command(line)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            INTERRUPTION.check()
            transport = channel.get_transport()
            if expired.is_set():  # the host did not answer in time
                if watch.deadline is not None and time.monotonic() >= watch.deadline:
                    assert watch.timeout is not None
                    reason = f"timed out after {watch.timeout:g} s"
                    raise CommandStoppedError(self.name, line, reason, timed_out=True) from exc
                raise self._lost(transport, line, watch.idle_timeout) from exc
            if transport.is_active():  # the host answered, with a refusal
                raise ConnectionFailedError(f"{self.name}: the host refused to run `{line}`") from exc
            raise self._lost(transport, line, None) from exc
        finally:
            if alarm is not None:
                _ALARMS.cancel(alarm)
        watch.heard = time.monotonic()

    def _until_probe(self, watch: _Watch) -> float | None:
        """How long to wait for the host before checking the clocks again (at most a second)."""
        now = time.monotonic()
        ends = [t for t in (watch.deadline, watch.probe_after()) if t is not None]
        return 1.0 if not ends else max(0.0, min(1.0, min(ends) - now))

    def _check_clocks(self, transport: paramiko.Transport, line: str, watch: _Watch) -> None:
        """Stop a command past its deadline, and end the connection of a host that answers nothing at all."""
        INTERRUPTION.check()
        now = time.monotonic()
        if watch.deadline is not None and now >= watch.deadline:
            assert watch.timeout is not None
            raise CommandStoppedError(self.name, line, f"timed out after {watch.timeout:g} s", timed_out=True)
        probe_after = watch.probe_after()
        if probe_after is None or now < probe_after:
            return
        if not transport.is_active():
            raise self._lost(transport, line, None)
        limit = watch.wait_limit(now)
        try:  # a live sshd answers a channel request at once, even while a command prints nothing for hours
            transport.open_session(timeout=limit).close()
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise self._lost(transport, line, watch.idle_timeout) from exc
        watch.heard = time.monotonic()

    def _lost(self, transport: paramiko.Transport | None, line: str, silent_for: float | None) -> Exception:
        """What the host did when a command could not go on: it fell silent or closed the connection."""
        INTERRUPTION.check()
        still_open = transport is not None and transport.is_active()
        self.close()  # a host that stopped answering is unreachable for the rest of the run
        if still_open and silent_for is not None:
            reason = f"sent nothing for {silent_for:g} s during `{line}` (no output, no answer to a liveness probe)"
        else:
            reason = f"closed the connection during `{line}`"
        return ConnectionFailedError(f"{self.name} ({self.endpoint.label}): {reason}")

    def _exchange(
        self, transport: paramiko.Transport, channel: paramiko.Channel, stdin: bytes, line: str, watch: _Watch
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
                out.append(self._keep(channel.recv(65536), line, watch))
                progressed = True
            while channel.recv_stderr_ready():
                err.append(self._keep(channel.recv_stderr(65536), line, watch))
                progressed = True
            idle = not channel.recv_ready() and not channel.recv_stderr_ready()
            if idle and not pending and (channel.eof_received or channel.closed):
                break  # nothing more can arrive after EOF
            if progressed:
                watch.heard = time.monotonic()
            self._check_clocks(transport, line, watch)
            if progressed:
                continue
            wait = 0.01 if pending else self._until_probe(watch)
            select.select([channel], [], [], wait)
        return b"".join(out), b"".join(err)

    def _keep(self, chunk: bytes, line: str, watch: _Watch) -> bytes:
        """Count a chunk of output against the cap; past it the command is stopped and nothing more is kept."""
        if watch.kept + len(chunk) > watch.output_limit:
            reason = f"sent more than {_size(watch.output_limit)} of output (ssh.output_limit)"
            raise CommandStoppedError(self.name, line, reason, timed_out=False, kept=watch.kept)
        watch.kept += len(chunk)
        return chunk

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
        INTERRUPTION.forget(self)
        if self._client is not None:
            _close(self._client, self._sock)
            self._client = None
            self._sock = None

    def __enter__(self) -> SshTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
