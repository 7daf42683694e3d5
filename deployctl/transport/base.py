"""The one interface every transport implements, and the one result type they all return."""

from __future__ import annotations

import base64
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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


def with_environment(command: Command, environment: Mapping[str, str]) -> list[str]:
    """Run a command with variables exported (`environment:`): `env -- NAME=value... command`, each a word.

    Names must be valid variable names (the model checks them); values are data, quoted with the rest.
    The wrapper goes inside `with_become`, so sudo's reset of the environment does not drop them.
    """
    if not environment:
        return list(command)
    return ["env", "--", *(f"{name}={value}" for name, value in environment.items()), *command]


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
        """Write `data` to `path` on the host atomically, with `put_command` (no planted link is followed)."""
        ...

    def get(self, path: str, *, become: bool = False) -> bytes:
        """Read the file at `path` from the host."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


@runtime_checkable
class Connectable(Protocol):
    """A transport with a connection to open (SSH): a host's is opened before its first task, so a host that
    no task needs a command from is still found unreachable."""

    def connect(self) -> None:
        """Open the connection now; ConnectionFailedError when the host cannot be reached."""
        ...


_PUT_SCRIPT = """set -e
mode=${2:-$(printf %04o $((0666 & ~$(umask))))}
umask 077
tmp=$(mktemp -u -- "$(dirname -- "$1")/.deployctl.XXXXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
set -C
exec 3>"$tmp"
CONTENT >&3
if [ -n "$3" ]; then chown -- "$3${4:+:$4}" /proc/self/fd/3; elif [ -n "$4" ]; then chgrp -- "$4" /proc/self/fd/3; fi
chmod -- "$mode" /proc/self/fd/3
mv -fT -- "$tmp" "$1"
trap - EXIT"""
"""Write a file so that no link or file planted in its folder is followed, and its content is never exposed.

$1 the destination, $2 the octal mode (empty: what the login's umask gives a new file), $3 the owner and $4
the group (empty: the writer's), $5 the content in base64 for the inline form. `mktemp -u` draws an
unpredictable name and the shell creates it under umask 077 with O_EXCL (`set -C`), so a link planted at
that name makes the put fail instead of being followed. Everything after goes through that descriptor
(/proc/self/fd/3 is the opened file, whatever its name points to by then): the content, then owner and group
(before the mode: chown clears setuid bits), then the mode. `mv -T` replaces the destination's own name, never
a directory or link found there, and the trap removes the temporary file when a step fails.
"""


VALIDATE_MARK = "\x1f"
"""Marks, in the words of a validate command, where the temporary file's path goes."""

_VALIDATE_STEP = """placed() { r=; w=$1; while :; do case $w in *"$M"*) r=$r${w%%"$M"*}$tmp; w=${w#*"$M"} ;;
  *) printf '%s' "$r$w"; return ;; esac; done; }
validate() { shift 5; n=$#; while [ "$n" -gt 0 ]; do w=$1; shift; set -- "$@" "$(placed "$w")"; n=$((n - 1)); done
  "$@"; }
M=$(printf '\\037')
if out=$(validate "$@" 2>&1 </dev/null); then :; else
  rc=$?; printf 'failed to validate (exit %s)%s\\n' "$rc" "${out:+: $(printf '%s\\n' "$out" | tail -n 1)}" >&2; exit 1
fi
mv -fT"""
"""Before the rename: run the validate command ($6 and after) with the temporary file's path in place of each
VALIDATE_MARK; when it fails, the destination is left as it was (the trap removes the temporary file)."""


def validate_words(validate: str) -> list[str]:
    """Ansible's `validate` (`visudo -cf %s`) as words (split as run_command splits it, no shell), each `%s`
    a VALIDATE_MARK and each `%%` a percent sign."""
    return [
        re.sub("%%|%s", lambda found: "%" if found.group() == "%%" else VALIDATE_MARK, word)
        for word in shlex.split(validate)
    ]


def put_command(
    path: str,
    mode: str | None,
    *,
    owner: str | None = None,
    group: str | None = None,
    content: bytes | None = None,
    validate: str | None = None,
) -> list[str]:
    """The one command that writes a file atomically: from stdin, or `content` carried inline in base64; with
    `validate`, the temporary file must pass that command (Ansible's, with `%s`) before it is moved into place."""
    source = "cat" if content is None else 'printf %s "$5" | base64 -d'
    script = _PUT_SCRIPT.replace("CONTENT", source, 1)
    words = [path, mode or "", owner or "", group or ""]
    if content is not None or validate is not None:
        words.append(base64.b64encode(content).decode() if content is not None else "")
    if validate is not None:
        script = script.replace("mv -fT", _VALIDATE_STEP, 1)
        words.extend(validate_words(validate))
    return ["sh", "-c", script, "deployctl-put", *words]
