"""The `drift` use cases: scan stages for drift and record the scan; fix what drifted and record each fix.

VMs are scanned over their transport (endpoints from the stage's context) with a check-mode run of their
release, containers through the Docker engine; drift/ judges what they found. A fix re-converges VMs through
`converge_vms` and replaces containers through their target's rollout engine.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing
from pathlib import Path
from typing import TYPE_CHECKING

from deployctl.drift.fix import ContainerFix, VmFix, package_command_words, package_commands, plan_fixes
from deployctl.drift.ignore import IGNORE_FILE, IgnoreRule, rules_from_file
from deployctl.drift.model import DriftReport, HostScan, HostStatus
from deployctl.drift.scan import DeployedHosts, ScanJob, container_expectation, drift_report, failed_scan, scan_jobs
from deployctl.drift.vms import VmRelease
from deployctl.errors import ConnectionFailedError, DeployctlError, InputError
from deployctl.facts.cache import FactCache
from deployctl.ledger.db import now_iso, open_ledger
from deployctl.ledger.drift import baselines, save_scan
from deployctl.ledger.locks import stage_lock
from deployctl.ledger.records import get_release, last_deployed
from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import InventoryHost, load_inventories
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook
from deployctl.model.project import Project
from deployctl.model.records import HostOutcome
from deployctl.operations.context import Say, StageContext, stage_context, stage_contexts
from deployctl.operations.converge import converge_vms
from deployctl.operations.recording import recorded_deployment
from deployctl.operations.release import find_release
from deployctl.operations.vmscan import scan_vm
from deployctl.redaction import Redactor, secret_values
from deployctl.release.store import release_project
from deployctl.strategies.hostrun import RunOptions
from deployctl.templating import Templar
from deployctl.transport.base import Connectable, Transport
from deployctl.transport.pool import run_each
from deployctl.transport.retained import RetainedConnections
from deployctl.transport.settings import DEFAULT_FORKS
from deployctl.transport.ssh import SshTransport

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi
    from deployctl.operations.containerscan import ReplicaIndex

TransportFactory = Callable[[SshEndpoint], Transport]


def drift_rules(project: Project, ignore_file: Path | None) -> tuple[IgnoreRule, ...]:
    """The ignore rules of the file given, else of the project's `drift-ignore` (none when it has none)."""
    path = ignore_file if ignore_file is not None else project.root / IGNORE_FILE
    if ignore_file is not None and not path.is_file():
        raise DeployctlError(f"--ignore-file {ignore_file}: no such file")
    return rules_from_file(path, project.display(path.resolve()))


def detect_drift(
    project: Project,
    stages: Sequence[str],
    rules: Sequence[IgnoreRule] = (),
    *,
    fix: bool = False,
    say: Say = lambda line: None,
) -> DriftReport:
    """Scan the stages; with `fix`, fix what drifted and scan again. Every scan and fix is recorded."""
    contexts = stage_contexts(project, stages)
    with closing(open_ledger(project.ledger)) as connection:
        report = scan_drift(project, connection, contexts, rules)
        if fix and report.outcome != "clean":
            for line in fix_drift(project, connection, report):
                say(line)
            report = scan_drift(project, connection, contexts, rules)
    return report


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
        """The release as deployed to `stage`: its playbook and the stage's inventory of its snapshot."""
        key = (release_id, stage)
        if key not in self.loaded:
            project, book, templar = self._book(release_id)
            inventory = load_inventories(project, [stage])[stage]
            self.loaded[key] = VmRelease(release_id, book, inventory, templar, self.project.redaction)
        return self.loaded[key]

    def of(self, stage: str) -> Callable[[str], VmRelease]:
        """The releases as deployed to `stage`, by id."""
        return lambda release_id: self.get(release_id, stage)


class _VmConnections:
    """Connections to the stages' VMs: opened ahead in the background, each taken once by its host's scan."""

    def __init__(self, contexts: Mapping[str, StageContext], factory: TransportFactory) -> None:
        self.contexts = contexts
        self.factory = factory
        self.pool = ThreadPoolExecutor(max_workers=DEFAULT_FORKS)
        self.opening: dict[tuple[str, str], tuple[Transport, Future[None] | None]] = {}

    def _transport(self, stage: str, host: InventoryHost) -> Transport:
        return self.factory(self.contexts[stage].endpoint(host))

    def open_ahead(self, deployed: Mapping[str, DeployedHosts]) -> None:
        """Start connecting to every VM of the current inventories that has a deployment."""
        for stage, hosts in deployed.items():
            for name, (_row, outcome) in hosts.items():
                host = self.contexts[stage].inventory.hosts.get(name)
                if host is not None and outcome.kind != "container":
                    transport = self._transport(stage, host)
                    opened = self.pool.submit(transport.connect) if isinstance(transport, Connectable) else None
                    self.opening[(stage, name)] = (transport, opened)

    def take(self, stage: str, host: InventoryHost) -> Transport:
        """The host's connection: the one opened ahead (its error is raised here), else a new one."""
        found = self.opening.pop((stage, host.name), None)
        if found is None:
            return self._transport(stage, host)
        transport, opened = found
        try:
            if opened is not None:
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


def scan_drift(
    project: Project,
    connection: sqlite3.Connection,
    contexts: Mapping[str, StageContext],
    rules: Sequence[IgnoreRule] = (),
    *,
    forks: int = DEFAULT_FORKS,
    docker_client: Callable[[], EngineApi] | None = None,
    transport_factory: TransportFactory = SshTransport,
) -> DriftReport:
    """Scan the stages of `contexts` (in their order) in parallel against their releases; record the scan.

    VMs are reached through their stage's context (one endpoint resolution), containers through the engine.
    """
    started_at = now_iso()
    began = time.monotonic()
    stages = list(contexts)
    deployed = {stage: last_deployed(connection, stage) for stage in stages}
    connections = _VmConnections(contexts, transport_factory)
    try:
        connections.open_ahead(deployed)  # the inventories are checked: connect while the releases load
        releases = _Releases(project, connection)
        jobs: list[ScanJob] = []
        scans: list[HostScan] = []
        for stage in stages:
            found, never = scan_jobs(stage, contexts[stage].inventory, deployed[stage], releases.of(stage), rules)
            jobs += found
            scans += never
        scans += _run_jobs(project, connection, jobs, connections, forks, docker_client)
    finally:
        connections.close()
    report = drift_report(stages, scans, started_at, time.monotonic() - began)
    scan_id = save_scan(connection, report, started_at)
    return DriftReport(**{**report.__dict__, "scan_id": scan_id})


def _run_jobs(
    project: Project,
    connection: sqlite3.Connection,
    jobs: Sequence[ScanJob],
    connections: _VmConnections,
    forks: int,
    docker_client: Callable[[], EngineApi] | None,
) -> list[HostScan]:
    """Scan every job at once: VMs over their connections, container targets with the Docker engine."""
    stages = {job.stage for job in jobs}
    package_baselines = {stage: {h: b.packages for h, b in baselines(connection, stage).items()} for stage in stages}
    fact_cache = FactCache.in_state_dir(project.state_dir)
    index: ReplicaIndex | None = None
    if any(job.target == "container" for job in jobs):
        from deployctl.dockerapi.engine import connect
        from deployctl.operations.containerscan import ReplicaIndex

        index = ReplicaIndex(docker_client() if docker_client is not None else connect())

    def run(job: ScanJob) -> list[HostScan]:
        if job.target == "container":
            assert index is not None
            return _scan_containers(project, index, job)
        baseline = package_baselines[job.stage].get(job.host.name)
        transport = connections.take(job.stage, job.host)
        try:
            return [scan_vm(job.host, transport, job.release, baseline, job.rules, fact_cache)]
        finally:
            transport.close()

    scans: list[HostScan] = []
    for outcome in run_each(jobs, run, forks):
        if outcome.error is not None:
            if isinstance(outcome.error, InputError) or not isinstance(outcome.error, DeployctlError):
                raise outcome.error
            status: HostStatus = "unreachable" if isinstance(outcome.error, ConnectionFailedError) else "error"
            scans.append(failed_scan(outcome.item, status, str(outcome.error)))
        else:
            scans.extend(outcome.value or ())
    return scans


def _scan_containers(project: Project, index: ReplicaIndex, job: ScanJob) -> list[HostScan]:
    from deployctl.operations.containerscan import expected_mounts, scan_target

    image_id = str(job.deployment.detail.get("image_id", ""))
    expected = container_expectation(job, expected_mounts(project.state_dir, job.stage, image_id))
    rules = project.redaction
    redactor = Redactor.of(secret_values(job.host.vars, rules), rules)
    return scan_target(index, job.stage, job.host.name, job.release.release_id, expected, job.rules, redactor)


def fix_vms(
    project: Project,
    connection: sqlite3.Connection,
    fix: VmFix,
    transport_factory: TransportFactory = SshTransport,
) -> list[str]:
    """Return drifted VMs of one stage to a release: packages first, then the release's playbook (converge_vms)."""
    row = find_release(connection, fix.release_id)
    release_proj, playbook_path = release_project(project, row)
    context = stage_context(project, fix.stage, release_proj)
    book = load_playbook(playbook_path, display=release_proj.display(playbook_path))
    targets = [context.inventory.hosts[h.host] for h in fix.hosts]
    endpoints = context.endpoints(targets)
    lines = []
    for host in fix.hosts:
        commands = package_commands(host)
        if commands:
            with closing(transport_factory(endpoints[host.host])) as transport:
                for command in commands:
                    done = transport.run(command, become=True)
                    words = package_command_words(command)
                    lines.append(f"fix: {fix.stage}/{host.host}: {words}: exit {done.exit_code}")
    connections = RetainedConnections(transport_factory)
    try:
        with recorded_deployment(
            project, playbook_path, fix.stage, "fix", "mutable", release=row, connection=connection
        ) as record:
            result = converge_vms(
                context,
                book,
                targets,
                RunOptions(redaction=project.redaction),
                record,
                limit=",".join(h.host for h in fix.hosts),
                connections=connections,
            )
    finally:
        connections.close()
    lines += [
        f"fix: {fix.stage}/{h}: re-converged ({r.changed} changed, {r.failed} failed)" for h, r in result.recap.items()
    ]
    return lines


def fix_containers(
    project: Project,
    stage: str,
    release_id: str,
    target: str,
    scans: Sequence[HostScan],
    connection: sqlite3.Connection,
) -> list[str]:
    """Replace a stage's drifted replicas by fresh ones of the release's recorded image (by digest, never rebuilt),
    through the target's engine (or roll the stage when the replica count drifted)."""
    from deployctl.immutable.build import render_runtime_files
    from deployctl.immutable.engines import RollOptions, engine_for
    from deployctl.lab.engine import ensure_engine
    from deployctl.operations.release import recorded_image_release
    from deployctl.operations.targets import container_targets_of
    from deployctl.release.images import container_scopes, load_release

    loaded = load_release(project, find_release(connection, release_id))
    inventory = load_inventories(loaded.project, [stage])[stage]
    host = inventory.hosts[target]
    play = next(p for p in loaded.playbook.plays if any(h.name == target for h in inventory.select(p.hosts)))
    lines: list[str] = []
    client = ensure_engine(project.state_dir, lines.append)
    image = recorded_image_release(client, connection, release_id, play.name)
    files = render_runtime_files(image, loaded.playbook, container_scopes(loaded, play)[target])
    container = container_targets_of(project, stage, [host])[target]
    rollout = engine_for(container, client, lines.append)
    with recorded_deployment(
        project, Path(loaded.row.playbook), stage, "fix", "immutable", release=loaded.row, connection=connection
    ) as record:
        if any(i.kind == "replicas" for s in scans for i in s.items):
            result = rollout.deploy(container, image, files, RollOptions())
        else:
            result = rollout.replace(container, image, files, [s.host for s in scans])
        detail = {"image": image.image, "image_id": image.image_id, "replaced": result.replaced}
        record.hosts.append(HostOutcome(target, "container", result.outcome, detail))
        record.outcome = "ok" if result.ok else "failed"
        record.reason = result.reason
    return [f"fix: {stage}/{target}: {line}" for line in lines] + [
        f"fix: {stage}/{target}: {result.replaced} replicas replaced ({result.outcome})"
    ]


def _fix_container(project: Project, connection: sqlite3.Connection, fix: ContainerFix) -> list[str]:
    return fix_containers(project, fix.stage, fix.release_id, fix.target, fix.replicas, connection)


def fix_drift(
    project: Project,
    connection: sqlite3.Connection,
    report: DriftReport,
    *,
    transport_factory: TransportFactory = SshTransport,
) -> list[str]:
    """Fix every drifted VM and container target of a report under the stages' locks; a progress line per step."""
    plan = plan_fixes(report)
    lines: list[str] = []
    with ExitStack() as locks:
        for stage in plan.stages:
            locks.enter_context(stage_lock(connection, stage, "drift --fix", lines.append))
        for vms in plan.vms:
            lines += fix_vms(project, connection, vms, transport_factory)
        for containers in plan.containers:
            lines += _fix_container(project, connection, containers)
    return lines
