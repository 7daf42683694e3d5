"""Read a systemd service unit's [Service] section: what a container's main process needs (pure).

Only what maps onto a container is read: ExecStart (the command), User, Group, WorkingDirectory and
Environment. Other [Service] settings that change how the process runs and have no container
equivalent here are listed in `ignored`, so the caller can report them.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

EXEC_PREFIXES = "-@+!:"
"""systemd's ExecStart= prefixes (ignore failure, argv0, privileges...): stripped from the command."""
KNOWN_SETTINGS = frozenset({"ExecStart", "User", "Group", "WorkingDirectory", "Environment", "Type"})
HARMLESS_SETTINGS = frozenset(
    {"Restart", "RestartSec", "TimeoutStartSec", "TimeoutStopSec", "KillMode", "KillSignal", "SyslogIdentifier"}
)
"""Settings a container runtime covers in its own way (restart policy, stop signal): not reported."""


class UnitFileError(ValueError):
    """The unit has no usable ExecStart, or a line systemd would not accept either."""


@dataclass(frozen=True)
class UnitService:
    """The main process a service unit describes."""

    command: tuple[str, ...]
    user: str | None = None
    group: str | None = None
    working_dir: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()


def _logical_lines(text: str) -> list[str]:
    """Lines with systemd's backslash continuations joined and comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped[0] in "#;"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _environment(value: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for assignment in shlex.split(value):
        name, sep, item = assignment.partition("=")
        if not sep or not name:
            raise UnitFileError(f"Environment={value}: expected NAME=VALUE assignments")
        found[name] = item
    return found


def parse_service_unit(text: str) -> UnitService:
    """The [Service] section of a unit file: the command (from the last ExecStart=) and its context."""
    section = ""
    command: tuple[str, ...] | None = None
    settings: dict[str, str] = {}
    environment: dict[str, str] = {}
    ignored: list[str] = []
    for line in _logical_lines(text):
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section != "Service":
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            raise UnitFileError(f"not a setting: {line!r}")
        if key == "ExecStart":
            if not value:
                command = None  # an empty assignment resets the list, as in systemd
                continue
            words = shlex.split(value.lstrip(EXEC_PREFIXES))
            if not words:
                raise UnitFileError("ExecStart= has no command")
            command = tuple(words)
        elif key == "Environment":
            environment.update(_environment(value) if value else {})
        elif key in KNOWN_SETTINGS:
            settings[key] = value
        elif key not in HARMLESS_SETTINGS:
            ignored.append(f"{key}={value}")
    if command is None:
        raise UnitFileError("the unit has no ExecStart= in its [Service] section")
    if settings.get("Type", "simple") not in ("simple", "exec", "notify"):
        ignored.append(f"Type={settings['Type']} (a container's main process must stay in the foreground)")
    return UnitService(
        command=command,
        user=settings.get("User") or None,
        group=settings.get("Group") or None,
        working_dir=settings.get("WorkingDirectory") or None,
        environment=environment,
        ignored=tuple(ignored),
    )
