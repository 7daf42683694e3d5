"""Facts about systemd units: load state, active state and unit file state."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from deployctl.facts.base import RawFact

NO_SYSTEMD = "no-systemd"
"""The load state reported when the host has no usable systemctl."""

_ENABLED_UNIT_FILE_STATES = frozenset({"enabled", "static", "generated", "transient"})
"""As Ansible's systemd module: `is-enabled` exits 0 for these; it also does for enabled-runtime,
indirect and alias, which Ansible counts as not enabled (so that `enabled: true` enables them for good)."""


@dataclass(frozen=True)
class ServiceInfo:
    """`systemctl show` for one unit: LoadState (loaded, not-found, masked, ... or no-systemd),
    ActiveState (active, inactive, failed, activating, ...), SubState, UnitFileState (enabled,
    disabled, static, masked, ... or "" when there is no unit file)."""

    name: str
    load_state: str
    active_state: str
    sub_state: str
    unit_file_state: str

    @property
    def found(self) -> bool:
        return self.load_state not in ("not-found", NO_SYSTEMD, "")

    @property
    def running(self) -> bool:
        """Running as Ansible's systemd module counts it: active or activating."""
        return self.active_state in ("active", "activating")

    @property
    def deactivating(self) -> bool:
        return self.active_state == "deactivating"

    @property
    def enabled(self) -> bool:
        """Enabled as Ansible's systemd module counts it (static and generated units count as enabled)."""
        return self.unit_file_state in _ENABLED_UNIT_FILE_STATES

    @classmethod
    def from_json(cls, name: str, data: Any) -> ServiceInfo:
        """Build from a fixture: a mapping with `load`, `active`, `sub` and `unit_file` (systemctl's words)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"service fact for {name}: expected a mapping, got {data!r}")
        return cls(
            name=name,
            load_state=str(data.get("load", "loaded")),
            active_state=str(data.get("active", "inactive")),
            sub_state=str(data.get("sub", "dead")),
            unit_file_state=str(data.get("unit_file", "")),
        )


@dataclass(frozen=True)
class ServiceFact:
    """The systemd state of one unit (a bare name means `<name>.service`, as systemctl does)."""

    name: str

    @property
    def key(self) -> str:
        return f"service:{self.name}"

    def script(self) -> str:
        return (
            f"command -v systemctl >/dev/null 2>&1 || {{ echo {NO_SYSTEMD}; exit 0; }}\n"
            "systemctl show -p LoadState -p ActiveState -p SubState -p UnitFileState -- "
            f"{shlex.quote(self.name)} || echo {NO_SYSTEMD}"
        )

    def parse(self, raw: RawFact) -> ServiceInfo:
        return parse_service_output(self.name, raw.output)

    def value_from_json(self, data: Any) -> ServiceInfo:
        """The fact's value from its JSON form (test fixtures)."""
        return ServiceInfo.from_json(self.name, data)


def parse_service_output(name: str, output: str) -> ServiceInfo:
    """Parse `Key=value` lines from `systemctl show` (or the no-systemd marker)."""
    values: dict[str, str] = {}
    for line in output.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    if NO_SYSTEMD in output.split() or "LoadState" not in values:
        return ServiceInfo(name=name, load_state=NO_SYSTEMD, active_state="", sub_state="", unit_file_state="")
    return ServiceInfo(
        name=name,
        load_state=values["LoadState"],
        active_state=values.get("ActiveState", ""),
        sub_state=values.get("SubState", ""),
        unit_file_state=values.get("UnitFileState", ""),
    )


SERVICE_TABLE_KEY = "service:*"
"""The table of every service: under `service:` so that what stales the units' facts stales it too."""

_SERVICE_TABLE_SCRIPT = r"""if command -v service >/dev/null && ! command -v chkconfig >/dev/null \
  && ! command -v rc-status >/dev/null; then echo @@sysv; LC_ALL=C service --status-all 2>/dev/null; fi
command -v systemctl >/dev/null || exit 0
if [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ]; then :
elif [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ]; then exit 0; fi
u=$(LC_ALL=C systemctl list-units --no-pager --type service --all --plain) && printf '@@units\n%s\n' "$u"
f=$(LC_ALL=C systemctl list-unit-files --no-pager --type service --all) || exit 0
printf '@@files\n%s\n' "$f"
set -f
nl='
'
set --
for n in $(printf '%s\n' "$f" | awk '/\.service/ {print $1}'); do
  case "$nl$u" in *"$nl$n "*) continue ;; esac
  case $n in *@.service) ;; *) set -- "$@" "$n" ;; esac
done
[ $# -gt 0 ] || exit 0
echo @@shown; printf '%s\n' "$@"
echo @@states; LC_ALL=C systemctl show -p ActiveState -- "$@"
"""
"""Ansible's service_facts on Linux: `service --status-all` (sysv scripts), then, where systemd runs, its units
(`list-units`) and unit files (`list-unit-files`), and the ActiveState of the unit files no unit is loaded for
(one `systemctl show` for all; a template unit cannot be shown, Ansible calls its state unknown)."""

_BAD_STATES = ("not-found", "masked", "failed")
_SYSV_LINE = re.compile(r"^\s*\[ (?P<state>\+|\-) \]\s+(?P<name>.+)$")


@dataclass(frozen=True)
class ServiceEntry:
    """One service as Ansible's service_facts lists it: its state, status (systemd only) and source."""

    name: str
    state: str
    source: str
    status: str | None = None

    def as_fact(self) -> dict[str, str]:
        """The entry of `ansible_facts.services`."""
        entry = {"name": self.name, "state": self.state}
        if self.status is not None:
            entry["status"] = self.status
        return {**entry, "source": self.source}


@dataclass(frozen=True)
class ServiceTableFact:
    """Every service of the host (sysv scripts and systemd units), as Ansible's service_facts finds them."""

    @property
    def key(self) -> str:
        return SERVICE_TABLE_KEY

    def script(self) -> str:
        return _SERVICE_TABLE_SCRIPT

    def parse(self, raw: RawFact) -> tuple[ServiceEntry, ...]:
        return parse_service_table(raw.output)

    def value_from_json(self, data: Any) -> tuple[ServiceEntry, ...]:
        """The fact's value from its JSON form (test fixtures): name -> {state, status, source}."""
        if not isinstance(data, Mapping):
            raise TypeError(f"service table: expected a mapping, got {data!r}")
        return tuple(
            ServiceEntry(str(name), str(entry["state"]), str(entry["source"]), entry.get("status"))
            for name, entry in data.items()
        )


def parse_service_table(output: str) -> tuple[ServiceEntry, ...]:
    """The snippet's sections as Ansible's service_facts builds its table (a later source updates an earlier)."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in output.splitlines():
        if line in ("@@sysv", "@@units", "@@files", "@@shown", "@@states"):
            current = sections.setdefault(line[2:], [])
        else:
            current.append(line)
    services: dict[str, ServiceEntry] = {}
    for line in sections.get("sysv", []):
        if match := _SYSV_LINE.match(line):
            name = match.group("name")
            services[name] = ServiceEntry(name, "running" if match.group("state") == "+" else "stopped", "sysv")
    for line in sections.get("units", []):
        fields = line.split()
        if ".service" not in line or len(fields) < 4:
            continue
        status = next((bad for bad in _BAD_STATES if bad in fields[:-1]), fields[2])
        state = "running" if fields[3] == "running" else "stopped"
        services[fields[0]] = ServiceEntry(fields[0], state, "systemd", status)
    states = [line.partition("=")[2] for line in sections.get("states", []) if line.startswith("ActiveState=")]
    shown = dict(zip(sections.get("shown", []), states, strict=False))
    for line in sections.get("files", []):
        fields = line.split()
        if ".service" not in line or len(fields) < 2:
            continue
        name, status = fields[:2]
        known = services.get(name)
        if known is None:
            services[name] = ServiceEntry(name, shown.get(name) or "unknown", "systemd", status)
        elif known.status not in _BAD_STATES:
            services[name] = replace(known, status=status)
    return tuple(services.values())
