"""Which machines the lab has: `<stage>-vm<N>` per stage, counts from DEPLOYCTL_LAB_<STAGE> (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from deployctl.errors import LabError

LAB_STAGES = ("dev", "qa", "uat", "prod")
DEFAULT_COUNTS = {"dev": 1, "qa": 2, "uat": 2, "prod": 3}
DEFAULT_PORT_BASE = 2200
MACHINE_NAME = re.compile(r"^(?P<stage>[a-z]+)-vm(?P<index>\d+)$")


@dataclass(frozen=True)
class LabMachine:
    """One lab machine as the Vagrantfile defines it."""

    name: str
    stage: str
    index: int
    ssh_port: int


def lab_machines(environ: Mapping[str, str]) -> list[LabMachine]:
    """The machines the Vagrantfile defines under this environment (mirrors its Ruby, checked in tests)."""
    raw_base = environ.get("DEPLOYCTL_LAB_PORT_BASE", str(DEFAULT_PORT_BASE))
    if not raw_base.isdigit():
        raise LabError(f"DEPLOYCTL_LAB_PORT_BASE={raw_base!r} must be a port number")
    port_base = int(raw_base)
    machines = []
    for stage_index, stage in enumerate(LAB_STAGES):
        variable = f"DEPLOYCTL_LAB_{stage.upper()}"
        raw = environ.get(variable, str(DEFAULT_COUNTS[stage]))
        if not raw.isdigit() or int(raw) > 9:
            raise LabError(f"{variable}={raw!r} must be a whole number from 0 to 9")
        for index in range(1, int(raw) + 1):
            name = f"{stage}-vm{index}"
            machines.append(LabMachine(name, stage, index, port_base + 10 * stage_index + index))
    return machines


def stage_of(machine_name: str) -> str | None:
    """The stage a lab machine belongs to, from its name (`qa-vm2` -> `qa`)."""
    match = MACHINE_NAME.match(machine_name)
    return match["stage"] if match else None
