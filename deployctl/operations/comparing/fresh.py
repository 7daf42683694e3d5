"""A fresh target of each strategy, timed: a new lab VM node to SSH-ready and converged, a new replica to healthy.

Both are started beside the stage (never in its upstream or inventory) and removed afterwards.
"""

from __future__ import annotations

import socket
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from deployctl.dockerapi.types import Container, EngineApi
from deployctl.errors import DeployctlError
from deployctl.lab.images import NODE_IMAGE
from deployctl.lab.nodes import SSH_USER, authorize_key, generate_key, start_node
from deployctl.model.inventory import Inventory, InventoryGroup, InventoryHost
from deployctl.operations.context import StageContext
from deployctl.operations.converge import converge_vms
from deployctl.release.images import LoadedRelease
from deployctl.strategies.hostrun import RunOptions
from deployctl.transport.ssh import SshTransport

COMPARE_LABEL = "deployctl.compare"
"""Every container compare starts carries it (value: the stage): only those are ever removed by compare."""
SSH_READY_TIMEOUT = 120.0


@dataclass(frozen=True)
class FreshVm:
    """A fresh VM node's times: start to SSH-ready, then the release's apply; whether the apply converged."""

    ssh_ready: float
    converged: float
    ok: bool
    changed: int


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def twin_inventory(inventory: Inventory, model: InventoryHost, name: str, overrides: dict[str, object]) -> Inventory:
    """The inventory with one more host `name`: `model`'s groups and variables, with `overrides` on top."""
    twin = replace(model, name=name, vars={**model.vars, **overrides})
    groups = {
        group_name: replace(
            group,
            hosts=(*group.hosts, name) if model.name in group.hosts else group.hosts,
            all_hosts=(*group.all_hosts, name) if model.name in group.all_hosts else group.all_hosts,
        )
        for group_name, group in inventory.groups.items()
    }
    typed: dict[str, InventoryGroup] = dict(groups)
    return replace(inventory, hosts={**inventory.hosts, name: twin}, groups=typed)


def wait_ssh(transport: SshTransport, deadline: float) -> None:
    """Poll until the node answers a command over SSH (or the deadline passes)."""
    while True:
        try:
            transport.connect()
            if transport.run(["true"]).ok:
                return
        except DeployctlError:
            if time.monotonic() > deadline:
                raise
        transport.close()
        time.sleep(0.2)


def time_fresh_vm(
    client: EngineApi, context: StageContext, release: LoadedRelease, model: InventoryHost, name: str
) -> FreshVm:
    """Start a lab node (the lab's image and options, SSH on 127.0.0.1), wait for SSH, apply the release to it."""
    port = free_port()
    labels = {COMPARE_LABEL: context.name}
    with tempfile.TemporaryDirectory(prefix="deployctl-compare-") as folder:
        began = time.monotonic()
        node = start_node(client, NODE_IMAGE, name=name, hostname=name, labels=labels, ssh_port=port)
        try:
            key = generate_key(Path(folder), "deployctl-compare")
            authorize_key(node, key)
            overrides: dict[str, object] = {
                "deployctl_lab": False,
                "ansible_host": "127.0.0.1",
                "ansible_port": port,
                "ansible_user": SSH_USER,
                "ansible_ssh_private_key_file": str(key.private_path),
                "ansible_host_key_checking": False,
            }
            inventory = twin_inventory(context.inventory, model, name, overrides)
            twin_context = replace(context, inventory=inventory)
            host = inventory.hosts[name]
            with SshTransport(twin_context.endpoint(host)) as transport:
                wait_ssh(transport, began + SSH_READY_TIMEOUT)
            ready = time.monotonic() - began
            options = RunOptions(redaction=context.project.redaction)
            result = converge_vms(twin_context, release.playbook, [host], options, None, limit=name)
            recap = result.recap.get(name)
            ok = result.exit_code == 0 and recap is not None
            return FreshVm(ready, time.monotonic() - began, ok, recap.changed if recap else 0)
        finally:
            node.remove(force=True)


def remove_leftovers(client: EngineApi, stage: str) -> list[str]:
    """Remove what an interrupted compare of the stage left (containers carrying its label); their names."""
    found: list[Container] = client.list_containers([f"{COMPARE_LABEL}={stage}"])
    for container in found:
        container.remove(force=True)
    return [container.name for container in found]
