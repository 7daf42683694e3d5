"""Deploy a release to a stage: its snapshot applied to the stage's VMs (mutable), its recorded images rolled
out to the stage's container targets (immutable), one deployment in the ledger with every host's result.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from deployctl.errors import DeployctlError
from deployctl.model.inventory import Inventory, InventoryHost, load_inventories
from deployctl.model.playbook import Play
from deployctl.model.project import Project
from deployctl.operations.context import StageContext, stage_context
from deployctl.operations.converge import converge_vms
from deployctl.operations.recording import DeploymentRecord, deployment_outcome, record_rollout
from deployctl.release.images import LoadedRelease, container_scopes, recorded_image_release
from deployctl.release.store import release_project
from deployctl.strategies.results import RunResult, TaskResult
from deployctl.transport.pool import DEFAULT_FORKS
from deployctl.transport.retained import RetainedConnections

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi
    from deployctl.immutable.engines import ContainerTarget
    from deployctl.immutable.rollout import RolloutResult

Say = Callable[[str], None]


@dataclass(frozen=True)
class DeployOptions:
    """How to roll: replicas replaced at once, seconds between batches, HTTP load during the roll, SSH forks."""

    parallelism: int = 1
    delay: float = 0.0
    load: bool = False
    forks: int = DEFAULT_FORKS


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
        return self.context.stage

    @property
    def inventory(self) -> Inventory:
        """The stage's inventory as the release saw it."""
        return self.context.inventory


@dataclass
class StageDeployment:
    """What a deployment did: the VMs' apply (None without VMs) and each container target's rollout."""

    vms: RunResult | None = None
    rollouts: list[RolloutResult] = field(default_factory=list)
    outcome: str = "failed"

    @property
    def ok(self) -> bool:
        """True when every VM and container target runs the release."""
        return self.outcome == "ok"


def stage_targets(loaded: LoadedRelease, stage: str) -> StageTargets:
    """The stage's VM hosts and container targets of the release's plays, from the release's inventories."""
    from deployctl.strategies.mutable import targeted_hosts

    context = stage_context(loaded.project, stage)
    inventory = context.inventory
    vms = tuple(targeted_hosts(inventory, loaded.playbook, None))
    containers = tuple(
        (play, host)
        for play in loaded.playbook.plays
        for host in inventory.select(play.hosts)
        if host.strategy == "immutable"
    )
    if not vms and not containers:
        raise DeployctlError(f"no host of the {stage} inventory matches the plays of {loaded.row.playbook}")
    return StageTargets(
        context, vms, containers, container_targets_of(loaded.project, stage, [h for _, h in containers])
    )


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


def apply_to_vms(
    loaded: LoadedRelease,
    targets: StageTargets,
    record: DeploymentRecord,
    forks: int,
    say: Say,
    connections: RetainedConnections | None = None,
) -> RunResult:
    """Apply the release's playbook in place to the stage's VMs over SSH (the mutable strategy), recorded."""
    from deployctl.strategies.hostrun import RunOptions

    def emit(result: TaskResult) -> None:
        if result.status in ("changed", "failed", "unreachable"):
            say(f"{result.status}: [{result.host}] {result.task}" + (f": {result.message}" if result.message else ""))

    say(f"{targets.stage}: applying release {loaded.row.id} to {', '.join(h.name for h in targets.vm_hosts)}")
    return converge_vms(
        targets.context,
        loaded.playbook,
        targets.vm_hosts,
        RunOptions(redaction=loaded.project.redaction),
        record,
        forks=forks,
        emit=emit,
        connections=connections,
    )


def roll_containers(
    client: EngineApi,
    loaded: LoadedRelease,
    targets: StageTargets,
    record: DeploymentRecord,
    options: DeployOptions,
    say: Say,
) -> list[RolloutResult]:
    """Roll each container target of the stage to the release's recorded image (by digest), with its stage files."""
    from deployctl.immutable.build import render_runtime_files
    from deployctl.immutable.engines import RollOptions, engine_for
    from deployctl.immutable.load import HttpLoad

    results: list[RolloutResult] = []
    scopes: dict[str, dict[str, dict[str, Any]]] = {}
    for play, host in targets.containers:
        image = recorded_image_release(client, record.connection, loaded.row.id, play.name)
        if play.name not in scopes:
            scopes[play.name] = container_scopes(loaded, play)
        files = render_runtime_files(image, loaded.playbook, scopes[play.name][host.name])
        target = targets.container_targets[host.name]
        url = f"http://127.0.0.1:{target.proxy_port}/"
        traffic = HttpLoad(url, workers=2, max_seconds=900) if options.load else None
        roll = RollOptions(parallelism=options.parallelism, delay=options.delay, load=traffic)
        result = engine_for(target, client, say).deploy(target, image, files, roll)
        results.append(result)
        record_rollout(record, host.name, image, result)
    return results


def deploy_to_stage(
    client: EngineApi | None,
    loaded: LoadedRelease,
    targets: StageTargets,
    record: DeploymentRecord,
    options: DeployOptions,
    say: Say,
) -> StageDeployment:
    """Apply the release to the stage's VMs, then roll its containers; fill `record` with every host's result.

    The containers are rolled only when the VMs took the release (a failed apply stops the deployment).
    """
    done = StageDeployment()
    if targets.vm_hosts:
        done.vms = apply_to_vms(loaded, targets, record, options.forks, say)
    if targets.containers and (done.vms is None or done.vms.exit_code == 0):
        if client is None:
            raise DeployctlError(f"{targets.stage} has container targets but no Docker engine was given")
        done.rollouts = roll_containers(client, loaded, targets, record, options, say)
    elif targets.containers:
        record.reason = "; ".join(filter(None, (record.reason, "containers not rolled: the VMs' apply failed")))
    done.outcome = deployment_outcome(
        done.vms.exit_code if done.vms is not None else None, [r.outcome for r in done.rollouts]
    )
    if targets.containers and not done.rollouts:
        done.outcome = "failed"
    record.outcome = done.outcome
    return done


def running_container_targets(connection: sqlite3.Connection, project: Project, stage: str) -> list[ContainerTarget]:
    """The stage's container targets as named by the release it runs now (the working tree's when it runs none)."""
    from deployctl.ledger.records import deployments, get_release
    from deployctl.pipeline.gates import current_deployment

    current = current_deployment(deployments(connection, stage))
    row = get_release(connection, current.release_id) if current is not None and current.release_id else None
    source = release_project(project, row)[0] if row is not None else project
    inventory = load_inventories(source, [stage])[stage]
    hosts = [host for host in inventory.hosts.values() if host.strategy == "immutable"]
    return list(container_targets_of(project, stage, hosts).values())
