"""Where and how to reach a host over SSH: resolved from inventory variables and the lab's facts."""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from deployctl.booleans import parse_bool
from deployctl.errors import DeployctlError, InputError


@dataclass(frozen=True)
class SshEndpoint:
    """Everything needed to open an SSH connection to one host."""

    name: str
    address: str
    port: int = 22
    user: str = "root"
    key_file: str | None = None
    host_key_checking: bool = True
    lab: bool = False
    """Whether the endpoint is a machine of the Vagrant lab (`deployctl_lab: true`, read from its ssh-config)."""

    @property
    def label(self) -> str:
        return f"{self.address}:{self.port}"


@dataclass(frozen=True)
class SshSettings:
    """How long deployctl waits for a host, and how much it reads from it (`ssh:` in deployctl.yml).

    Each timeout is in seconds; 0 turns `command_timeout` or `idle_timeout` off. `idle_timeout` ends a
    command when the host answers nothing at all (no output, no answer to a liveness probe) for that
    long: a dead or paused host, not a silent command on a live one.
    """

    connect_timeout: float = 10.0
    command_timeout: float = 3600.0
    idle_timeout: float = 120.0
    output_limit: int = 64 * 1024 * 1024


def resolve_endpoint(
    name: str,
    host_vars: Mapping[str, Any],
    lab_endpoints: Mapping[str, SshEndpoint] | None,
    origin: tuple[str, int],
    base_dir: Path,
) -> SshEndpoint:
    """The SSH endpoint of an inventory host; lab hosts (`deployctl_lab: true`) start from the lab's facts.

    Explicit `ansible_host`, `ansible_port`, `ansible_user`, `ansible_ssh_private_key_file` and
    `ansible_host_key_checking` always win. Variable types were validated when the inventory loaded.
    """
    base = SshEndpoint(name=name, address=name, user=getpass.getuser())
    if parse_bool(host_vars.get("deployctl_lab", False)):
        if lab_endpoints is None:
            raise DeployctlError(f"host {name} is a lab host but the lab is not up: run `deployctl lab up`")
        if name not in lab_endpoints:
            known = ", ".join(sorted(lab_endpoints)) or "none"
            raise InputError(origin[0], origin[1], name, f"no lab machine of that name (lab machines: {known})")
        base = replace(lab_endpoints[name], lab=True)
    key_file = host_vars.get("ansible_ssh_private_key_file", host_vars.get("ansible_private_key_file"))
    if key_file is not None:
        key_path = Path(str(key_file)).expanduser()
        key_file = str(key_path if key_path.is_absolute() else base_dir / key_path)
    checking = parse_bool(host_vars.get("ansible_host_key_checking", base.host_key_checking))
    address = str(host_vars.get("ansible_host", base.address))
    return SshEndpoint(
        name=name,
        address=address,
        port=int(host_vars.get("ansible_port", base.port)),
        user=str(host_vars.get("ansible_user", base.user)),
        key_file=key_file if key_file is not None else base.key_file,
        host_key_checking=base.host_key_checking if checking is None else checking,
        lab=base.lab and address == base.address,  # pointed elsewhere, it is no longer the lab's machine
    )
