"""A drift scan of stages: find each host's and container's release in the ledger, scan them all at once.

For every host of a stage (in its inventory now, or deployed to before): the release last deployed to it
(`last_deployed`), that release's snapshot (its playbook and inventory, as deployed), and the scan that
fits it: a VM over SSH, a container target with the docker SDK. A host never deployed is reported as such.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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
from deployctl.drift.vms import VmRelease, scan_vm
from deployctl.errors import ConnectionFailedError, DeployctlError, InputError
from deployctl.facts.cache import FactCache
from deployctl.lab.state import LabState, load_lab_state
from deployctl.ledger.db import now_iso
from deployctl.ledger.drift import baselines, save_scan
from deployctl.ledger.records import get_release, last_deployed
from deployctl.model.connection import resolve_endpoint
from deployctl.model.inventory import Inventory, InventoryHost, load_inventories
from deployctl.model.loader import load_playbook
from deployctl.model.playbook import Playbook
from deployctl.model.project import Project
from deployctl.model.records import DeploymentRow, HostOutcome
from deployctl.redaction import Redactor, secret_values
from deployctl.release.store import release_project
from deployctl.templating import Templar
from deployctl.transport.pool import DEFAULT_FORKS, run_each
from deployctl.transport.ssh import SshTransport

if TYPE_CHECKING:
    import docker

    from deployctl.drift.containers import ReplicaIndex

DEFAULT_REPLICAS = 3


@dataclass(frozen=True)
class _Job:
    """One thing to scan: a VM, or a stage's container target."""

    stage: str
    host: InventoryHost
    target: Target
    release: VmRelease
    rules: tuple[IgnoreRule, ...]
    deployment: HostOutcome


def _never_deployed(stage: str, host: InventoryHost) -> HostScan:
    target: Target = "container" if host.strategy == "immutable" else "vm"
    strategy = _strategy(target)
    item = DriftItem(stage, host.name, target, strategy, "deployment", "release", "a release", "never deployed")
    return HostScan(stage, host.name, target, strategy, host.name, None, "never_deployed", "never deployed", (item,))


class _Releases:
    """Release snapshots, loaded once each: their playbook and each stage's inventory as deployed."""

    def __init__(self, project: Project, connection: sqlite3.Connection) -> None:
        self.project = project
        self.connection = connection
        self.loaded: dict[tuple[str, str], VmRelease] = {}
        self.books: dict[str, tuple[Project, Playbook, Templar]] = {}

    def _book(self, release_id: str) -> tuple[Project, Playbook, Templar]:
        """The release's snapshot project and playbook, loaded once for every stage."""
        if release_id not in self.books:
            row = get_release(self.connection, release_id)
            if row is None:
                raise DeployctlError(f"release {release_id} is in a deployment but not in the ledger")
            project, playbook_path = release_project(self.project, row)
            book = load_playbook(playbook_path, display=project.display(playbook_path))
            self.books[release_id] = (project, book, book.templar())
        return self.books[release_id]

    def get(self, release_id: str, stage: str) -> VmRelease:
        key = (release_id, stage)
        if key not in self.loaded:
            project, book, templar = self._book(release_id)
            inventory = load_inventories(project, [stage])[stage]
            self.loaded[key] = VmRelease(release_id, book, inventory, templar, self.project.redaction)
        return self.loaded[key]


class _VmConnections:
    """SSH connections to the stages' VMs: opened ahead in the background, each taken once by its host's scan."""

    def __init__(self, inventories: Mapping[str, Inventory], lab: LabState | None) -> None:
        self.inventories = inventories
        self.lab = lab
        self.pool = ThreadPoolExecutor(max_workers=DEFAULT_FORKS)
        self.opening: dict[tuple[str, str], tuple[SshTransport, Future[None]]] = {}

    def _transport(self, stage: str, host: InventoryHost) -> SshTransport:
        endpoint = resolve_endpoint(
            host.name,
            host.vars,
            self.lab.endpoints if self.lab else None,
            (host.origin.source, host.origin.line),
            self.inventories[stage].path.parent,
        )
        return SshTransport(endpoint)

    def open_ahead(self, deployed: Mapping[str, Mapping[str, tuple[DeploymentRow, HostOutcome]]]) -> None:
        """Start connecting to every VM of the current inventories that has a deployment."""
        for stage, hosts in deployed.items():
            for name, (_row, outcome) in hosts.items():
                host = self.inventories[stage].hosts.get(name)
                if host is not None and outcome.kind != "container":
                    transport = self._transport(stage, host)
                    self.opening[(stage, name)] = (transport, self.pool.submit(transport.connect))

    def take(self, stage: str, host: InventoryHost) -> SshTransport:
        """The host's connection: the one opened ahead (its error is raised here), else a new one."""
        found = self.opening.pop((stage, host.name), None)
        if found is None:
            return self._transport(stage, host)
        transport, opened = found
        try:
            opened.result()
        except BaseException:
            transport.close()
            raise
        return transport

    def close(self) -> None:
        """Close the connections no scan took (the scan failed before reaching them)."""
        self.pool.shutdown(wait=True)
        for transport, _opened in self.opening.values():
            transport.close()
        self.opening.clear()


def host_rules(host: InventoryHost) -> tuple[IgnoreRule, ...]:
    """The host's `deployctl_drift_ignore` rules (from its inventory, group_vars or host_vars)."""
    origin = host.var_origins.get(IGNORE_VARIABLE)
    source, line = (origin.source, origin.line) if origin else (host.origin.source, host.origin.line)
    return rules_from_variable(host.vars.get(IGNORE_VARIABLE), source, line)


def _jobs(
    project: Project,
    stage: str,
    inventory: Inventory,
    deployed: dict[str, tuple[DeploymentRow, HostOutcome]],
    releases: _Releases,
    file_rules: Sequence[IgnoreRule],
) -> tuple[list[_Job], list[HostScan]]:
    jobs: list[_Job] = []
    scans: list[HostScan] = []
    names = list(inventory.hosts) + [name for name in deployed if name not in inventory.hosts]
    for name in names:
        if name not in deployed:
            scans.append(_never_deployed(stage, inventory.hosts[name]))
            continue
        deployment, outcome = deployed[name]
        if deployment.release_id is None:
            raise DeployctlError(f"{stage}: {name}: its last deployment ({deployment.id}) names no release")
        release = releases.get(deployment.release_id, stage)
        host = release.inventory.hosts.get(name) or inventory.hosts.get(name)
        if host is None:
            raise DeployctlError(f"{stage}: {name}: not in the inventory of release {release.release_id}")
        current = inventory.hosts.get(name, host)
        target: Target = "container" if outcome.kind == "container" else "vm"
        defaults = default_container_rules() if target == "container" else default_vm_rules()
        rules = (*host_rules(current), *file_rules, *defaults)
        jobs.append(_Job(stage, current if target == "vm" else host, target, release, rules, outcome))
    return jobs, scans


def scan_stages(
    project: Project,
    connection: sqlite3.Connection,
    stages: Sequence[str],
    file_rules: Sequence[IgnoreRule] = (),
    *,
    forks: int = DEFAULT_FORKS,
    docker_client: Callable[[], docker.DockerClient] | None = None,
) -> DriftReport:
    """Scan the stages' VMs and containers in parallel against their releases; record the scan in the ledger."""
    started_at = now_iso()
    began = time.monotonic()
    inventories = load_inventories(project, list(stages))
    deployed = {stage: last_deployed(connection, stage) for stage in stages}
    connections = _VmConnections(inventories, load_lab_state(project.state_dir))
    try:
        connections.open_ahead(deployed)  # the inventories are checked: connect while the releases load
        releases = _Releases(project, connection)
        jobs: list[_Job] = []
        scans: list[HostScan] = []
        for stage in stages:
            stage_jobs, stage_scans = _jobs(project, stage, inventories[stage], deployed[stage], releases, file_rules)
            jobs += stage_jobs
            scans += stage_scans
        scans += _run_jobs(project, connection, jobs, connections, forks, docker_client)
    finally:
        connections.close()
    order = {stage: index for index, stage in enumerate(stages)}
    scans.sort(key=lambda s: (order[s.stage], s.target != "vm", s.host))
    report = DriftReport(
        scanned_at=started_at,
        seconds=round(time.monotonic() - began, 3),
        stages=tuple(stages),
        hosts=tuple(scans),
        parity=parity_matrix(stages, scans),
    )
    scan_id = save_scan(connection, report, started_at)
    return DriftReport(**{**report.__dict__, "scan_id": scan_id})


def _run_jobs(
    project: Project,
    connection: sqlite3.Connection,
    jobs: Sequence[_Job],
    connections: _VmConnections,
    forks: int,
    docker_client: Callable[[], docker.DockerClient] | None,
) -> list[HostScan]:
    """Scan every job at once: VMs over their connections, container targets with the docker SDK."""
    stages = {job.stage for job in jobs}
    package_baselines = {stage: {h: b.packages for h, b in baselines(connection, stage).items()} for stage in stages}
    fact_cache = FactCache.in_state_dir(project.state_dir)
    index: ReplicaIndex | None = None
    if any(job.target == "container" for job in jobs):
        from deployctl.drift.containers import ReplicaIndex

        index = ReplicaIndex(docker_client() if docker_client is not None else _docker_client())

    def run(job: _Job) -> list[HostScan]:
        if job.target == "container":
            assert index is not None
            return _scan_containers(project, index, job)
        baseline = package_baselines[job.stage].get(job.host.name)
        with connections.take(job.stage, job.host) as transport:
            return [scan_vm(job.host, transport, job.release, baseline, job.rules, fact_cache)]

    scans: list[HostScan] = []
    for outcome in run_each(jobs, run, forks):
        if outcome.error is not None:
            if isinstance(outcome.error, InputError) or not isinstance(outcome.error, DeployctlError):
                raise outcome.error
            job = outcome.item
            status: HostStatus = "unreachable" if isinstance(outcome.error, ConnectionFailedError) else "error"
            scans.append(
                HostScan(
                    job.stage,
                    job.host.name,
                    job.target,
                    _strategy(job.target),
                    job.host.name,
                    job.release.release_id,
                    status,
                    str(outcome.error),
                )
            )
        else:
            scans.extend(outcome.value or ())
    return scans


def _strategy(target: Target) -> Strategy:
    return "immutable" if target == "container" else "mutable"


def _docker_client() -> docker.DockerClient:
    import docker as docker_sdk

    try:
        client = docker_sdk.from_env()
    except docker_sdk.errors.DockerException as error:
        raise DeployctlError(f"the Docker engine does not answer: {error}") from error
    if client.api.base_url.startswith("http+docker://"):  # a local socket: no proxy to look up per request
        client.api.trust_env = False
    return client


def _scan_containers(project: Project, index: ReplicaIndex, job: _Job) -> list[HostScan]:
    from deployctl.drift.containers import expected_mounts, scan_target

    image_id = str(job.deployment.detail.get("image_id", ""))
    replicas = job.host.vars.get("deployctl_replicas", DEFAULT_REPLICAS)
    expected = ContainerExpectation(
        image_id=image_id,
        replicas=replicas if isinstance(replicas, int) else DEFAULT_REPLICAS,
        mounts=expected_mounts(project.state_dir, job.stage, image_id),
    )
    rules = project.redaction
    redactor = Redactor.of(secret_values(job.host.vars, rules), rules)
    return scan_target(index, job.stage, job.host.name, job.release.release_id, expected, job.rules, redactor)


def resolve_ignore_file(project: Project, ignore_file: Path | None) -> Path:
    """The ignore file to read: the one given, else the project's `drift-ignore`."""
    from deployctl.drift.ignore import IGNORE_FILE

    return ignore_file if ignore_file is not None else project.root / IGNORE_FILE
