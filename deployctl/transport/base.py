"""The one interface every transport implements, and the one result type they all return."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from deployctl.errors import DeployctlError

Command = Sequence[str]
"""A command as a list of words; it is quoted once, at the transport edge, with shlex.join."""


@dataclass(frozen=True)
class Result:
    """What running one command returned."""

    command: str
    exit_code: int
    stdout: str
    stderr: str
    duration: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class CommandFailedError(DeployctlError):
    """A command exited non-zero where success was required."""

    def __init__(self, host: str, result: Result) -> None:
        detail = (result.stderr or result.stdout).strip().splitlines()
        tail = detail[-1] if detail else "no output"
        super().__init__(f"{host}: `{result.command}` exited {result.exit_code}: {tail}")
        self.host = host
        self.result = result


class CommandStoppedError(DeployctlError):
    """The controller stopped a command: it ran past its timeout, or sent more output than the cap."""

    def __init__(self, host: str, command: str, reason: str, *, timed_out: bool, kept: int = 0) -> None:
        super().__init__(f"{host}: `{command}` {reason}")
        self.host = host
        self.command = command
        self.timed_out = timed_out
        self.kept = kept  # bytes of output held when the command was stopped (never more than the cap)


def shell(script: str) -> list[str]:
    """A POSIX shell script as a command: `sh -c SCRIPT`."""
    return ["sh", "-c", script]


def with_become(command: Command, become: bool, become_user: str | None = None) -> list[str]:
    """Wrap a command in non-interactive sudo when `become` is set (as root, or as `become_user`)."""
    if not become:
        return list(command)
    user = ["-u", become_user] if become_user and become_user != "root" else []
    return ["sudo", "-n", "-H", *user, "--", *command]


def render_command(command: Command) -> str:
    """The one place where words become a command line."""
    return shlex.join(command)


class Transport(Protocol):
    """Run commands on, and copy files to and from, one host."""

    name: str

    def run(
        self,
        command: Command,
        *,
        become: bool = False,
        become_user: str | None = None,
        stdin: bytes | None = None,
        timeout: float | None = None,
    ) -> Result:
        """Run `command` and return its result; a non-zero exit is a result, not an exception."""
        ...

    def put(self, data: bytes, path: str, *, mode: str | None = None, become: bool = False) -> Result:
        """Write `data` to `path` on the host (atomically: a temporary file renamed into place)."""
        ...

    def get(self, path: str, *, become: bool = False) -> bytes:
        """Read the file at `path` from the host."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def put_command(path: str, mode: str | None) -> list[str]:
    """The shell command that writes stdin to `path` atomically, with an optional octal `mode`."""
    script = 'set -e; tmp="$(dirname -- "$1")/.deployctl.$$.tmp"; cat > "$tmp"'
    if mode is not None:
        script += '; chmod "$2" "$tmp"'
    script += '; mv -f -- "$tmp" "$1"'
    return ["sh", "-c", script, "deployctl-put", path, *([mode] if mode is not None else [])]
