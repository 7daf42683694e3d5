"""What a release reaches in a stage: its VMs (mutable) and container targets (immutable), checked before any
host is touched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from deployctl.errors import DeployctlError
from deployctl.model.inventory import Inventory, InventoryHost
from deployctl.model.playbook import Play
from deployctl.model.project import Project
from deployctl.operations.context import StageContext
from deployctl.release.images import LoadedRelease

if TYPE_CHECKING:
    from deployctl.immutable.engines import ContainerTarget


@dataclass(frozen=True)
class StageTargets:
    """The stage's hosts the release reaches: VMs (mutable) and container targets (immutable) by play."""

    context: StageContext
    vm_hosts: tuple[InventoryHost, ...]
    containers: tuple[tuple[Play, InventoryHost], ...]
    container_targets: Mapping[str, ContainerTarget] = field(default_factory=dict)

    @property
    def stage(self) -> str:
        """The stage's name."""
        return self.context.name

    @property
    def inventory(self) -> Inventory:
        """The stage's inventory as the release saw it."""
        return self.context.inventory


def stage_targets(loaded: LoadedRelease, context: StageContext) -> StageTargets:
    """The stage's VM hosts and container targets of the release's plays (`context`: the release's inventory)."""
    from deployctl.strategies.mutable import targeted_hosts

    inventory = context.inventory
    vms = tuple(targeted_hosts(inventory, loaded.playbook, None))
    containers = tuple(
        (play, host)
        for play in loaded.playbook.plays
        for host in inventory.select(play.hosts)
        if host.strategy == "immutable"
    )
    if not vms and not containers:
        raise DeployctlError(f"no host of the {context.name} inventory matches the plays of {loaded.row.playbook}")
    targets = container_targets_of(context.project, context.name, [host for _, host in containers])
    return StageTargets(context, vms, containers, targets)


def container_targets_of(project: Project, stage: str, hosts: Sequence[InventoryHost]) -> dict[str, ContainerTarget]:
    """The stage's container targets by host, validated (engine, proxy port, replicas) before any host is touched."""
    if not hosts:
        return {}
    from deployctl.immutable.engines import container_target

    images = project.root / "images"
    return {host.name: container_target(host, stage, project.state_dir, images) for host in hosts}


def check_vm_input(loaded: LoadedRelease, targets: StageTargets) -> None:
    """Validate the playbook against the VMs' variables before any host is touched (file, line, field)."""
    from deployctl.model.playbook_checks import check_playbook

    names = {host.name for host in targets.vm_hosts}
    if not names:
        return
    check_playbook(
        loaded.playbook,
        loaded.playbook.templar(),
        {host.name: host.vars for host in targets.vm_hosts},
        runtime_names=set(),
        select=lambda pattern: [h.name for h in targets.inventory.select(pattern) if h.name in names],
    )
