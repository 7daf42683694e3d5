"""Facts about systemd units: load state, active state and unit file state."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
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
