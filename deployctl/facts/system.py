"""Facts about the operating system: release, systemd state, uptime, hostname."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from deployctl.facts.base import RawFact


def parse_os_release(text: str) -> dict[str, str]:
    """Parse /etc/os-release (KEY=value lines, values possibly shell-quoted)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw]
        values[key] = words[0] if words else ""
    return values


@dataclass(frozen=True)
class OsRelease:
    """/etc/os-release as a dict (empty when the file is missing)."""

    key: str = "os_release"

    def script(self) -> str:
        return "cat /etc/os-release"

    def parse(self, raw: RawFact) -> dict[str, str]:
        return parse_os_release(raw.output) if raw.exit_code == 0 else {}


@dataclass(frozen=True)
class SystemdState:
    """`systemctl is-system-running`: running, degraded, starting, ...; `absent` without systemd."""

    key: str = "systemd_state"

    def script(self) -> str:
        return "command -v systemctl >/dev/null || { echo absent; exit 0; }; systemctl is-system-running"

    def parse(self, raw: RawFact) -> str:
        words = raw.output.split()
        return words[-1] if words else "unknown"


@dataclass(frozen=True)
class Uptime:
    """Seconds since the host's init started (PID 1): a container's own uptime, not its kernel's."""

    key: str = "uptime"

    def script(self) -> str:
        return "ps -o etimes= -p 1 2>/dev/null || cut -d' ' -f1 /proc/uptime"

    def parse(self, raw: RawFact) -> float | None:
        words = raw.output.split()
        try:
            return float(words[0]) if raw.exit_code == 0 and words else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Hostname:
    """The host's name as it knows itself."""

    key: str = "hostname"

    def script(self) -> str:
        return "hostname 2>/dev/null || cat /etc/hostname"

    def parse(self, raw: RawFact) -> str:
        return raw.output.strip()


CLOCK_KEY = "timedatectl"


@dataclass(frozen=True)
class ClockInfo:
    """How the host's time zone is managed, as Ansible's timezone module decides it: with timedatectl (when it
    runs; then its `status`), or with files (and dpkg-reconfigure, on Debian)."""

    systemd: bool
    status: str = ""
    debian: bool = False


@dataclass(frozen=True)
class ClockFact:
    """Whether `timedatectl` works here (and its status), and whether dpkg-reconfigure is installed."""

    key: str = CLOCK_KEY

    def script(self) -> str:
        return (
            "if command -v timedatectl >/dev/null && LC_ALL=C timedatectl >/dev/null 2>&1; then\n"
            "  echo systemd; LC_ALL=C timedatectl status\nelse echo files; fi\n"
            "if command -v dpkg-reconfigure >/dev/null; then echo @@dpkg-reconfigure; fi"
        )

    def parse(self, raw: RawFact) -> ClockInfo:
        lines = raw.output.strip("\n").split("\n")
        debian = "@@dpkg-reconfigure" in lines
        body = [line for line in lines[1:] if line != "@@dpkg-reconfigure"]
        return ClockInfo(systemd=lines[0] == "systemd", status="\n".join(body), debian=debian)

    def value_from_json(self, data: object) -> ClockInfo:
        """From a fixture: `{"systemd": bool, "status": text, "debian": bool}`."""
        if not isinstance(data, dict):
            raise TypeError(f"clock fact: expected a mapping, got {data!r}")
        return ClockInfo(bool(data["systemd"]), str(data.get("status", "")), bool(data.get("debian", True)))
