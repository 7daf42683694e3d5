"""What a drift scan looks at, and the report it makes: pure planning, no host, no ledger, no Docker.

For every host of a stage (in its inventory now, or deployed to before): the release last deployed to it, that
release's snapshot (its playbook and inventory, as deployed), and the scan that fits it: a VM's check-mode run,
or a container target's replicas. A host never deployed is reported as such. The scan's I/O is
operations/drift.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from deployctl.drift.compare import ContainerExpectation
from deployctl.drift.ignore import (
    IGNORE_VARIABLE,
    IgnoreRule,
    default_container_rules,
    default_vm_rules,
    rules_from_variable,
)
from deployctl.drift.model import DriftItem, DriftReport, HostScan, HostStatus, Strategy, Target
from deployctl.drift.parity import parity_matrix
from deployctl.drift.vms import VmRelease
from deployctl.errors import DeployctlError
from deployctl.model.inventory import Inventory, InventoryHost
from deployctl.model.records import DeploymentRow, HostOutcome

DEFAULT_REPLICAS = 3

DeployedHosts = Mapping[str, tuple[DeploymentRow, HostOutcome]]
"""Per host of a stage: the newest deployment that reached it and how the host fared in it."""


@dataclass(frozen=True)
class ScanJob:
    """One thing to scan: a VM, or a stage's container target, against the release last deployed to it."""

    stage: str
    host: InventoryHost
    target: Target
    release: VmRelease
    rules: tuple[IgnoreRule, ...]
    deployment: HostOutcome


def strategy_of(target: Target) -> Strategy:
    """The strategy that deploys a target: containers are immutable, VMs mutable."""
    return "immutable" if target == "container" else "mutable"


def never_deployed(stage: str, host: InventoryHost) -> HostScan:
    """A host of the inventory that no deployment reached: drift by definition."""
    target: Target = "container" if host.strategy == "immutable" else "vm"
    strategy = strategy_of(target)
    item = DriftItem(stage, host.name, target, strategy, "deployment", "release", "a release", "never deployed")
    return HostScan(stage, host.name, target, strategy, host.name, None, "never_deployed", "never deployed", (item,))


def host_rules(host: InventoryHost) -> tuple[IgnoreRule, ...]:
    """The host's `deployctl_drift_ignore` rules (from its inventory, group_vars or host_vars)."""
    origin = host.var_origins.get(IGNORE_VARIABLE)
    source, line = (origin.source, origin.line) if origin else (host.origin.source, host.origin.line)
    return rules_from_variable(host.vars.get(IGNORE_VARIABLE), source, line)


def scan_jobs(
    stage: str,
    inventory: Inventory,
    deployed: DeployedHosts,
    release_of: Callable[[str], VmRelease],
    file_rules: Sequence[IgnoreRule] = (),
) -> tuple[list[ScanJob], list[HostScan]]:
    """The stage's hosts to scan (with their release, from `release_of(release_id)`), and those never deployed.

    A VM is reached as the inventory names it now; a container target is scanned as its release declared it.
    """
    jobs: list[ScanJob] = []
    scans: list[HostScan] = []
    names = list(inventory.hosts) + [name for name in deployed if name not in inventory.hosts]
    for name in names:
        if name not in deployed:
            scans.append(never_deployed(stage, inventory.hosts[name]))
            continue
        deployment, outcome = deployed[name]
        if deployment.release_id is None:
            raise DeployctlError(f"{stage}: {name}: its last deployment ({deployment.id}) names no release")
        release = release_of(deployment.release_id)
        host = release.inventory.hosts.get(name) or inventory.hosts.get(name)
        if host is None:
            raise DeployctlError(f"{stage}: {name}: not in the inventory of release {release.release_id}")
        current = inventory.hosts.get(name, host)
        target: Target = "container" if outcome.kind == "container" else "vm"
        defaults = default_container_rules() if target == "container" else default_vm_rules()
        rules = (*host_rules(current), *file_rules, *defaults)
        jobs.append(ScanJob(stage, current if target == "vm" else host, target, release, rules, outcome))
    return jobs, scans


def failed_scan(job: ScanJob, status: HostStatus, message: str) -> HostScan:
    """A job that could not be scanned: unreachable, or an error, and why."""
    return HostScan(
        job.stage,
        job.host.name,
        job.target,
        strategy_of(job.target),
        job.host.name,
        job.release.release_id,
        status,
        message,
    )


def container_expectation(job: ScanJob, mounts: Mapping[str, str] | None) -> ContainerExpectation:
    """What a container target's replicas should run: the deployed image, the replica count, the config mounts."""
    replicas = job.host.vars.get("deployctl_replicas", DEFAULT_REPLICAS)
    return ContainerExpectation(
        image_id=str(job.deployment.detail.get("image_id", "")),
        replicas=replicas if isinstance(replicas, int) else DEFAULT_REPLICAS,
        mounts=mounts,
    )


def drift_report(stages: Sequence[str], scans: Sequence[HostScan], scanned_at: str, seconds: float) -> DriftReport:
    """The report of a scan: hosts in stage order (VMs first, then by name), and the parity matrix across stages."""
    order = {stage: index for index, stage in enumerate(stages)}
    ordered = sorted(scans, key=lambda s: (order[s.stage], s.target != "vm", s.host))
    return DriftReport(
        scanned_at=scanned_at,
        seconds=round(seconds, 3),
        stages=tuple(stages),
        hosts=tuple(ordered),
        parity=parity_matrix(stages, ordered),
    )
