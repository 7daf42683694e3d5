"""`drift --fix`: re-converge drifted VMs to their release in place, replace drifted containers (the edge).

Packages installed by hand are removed and packages removed by hand are installed again (at the baseline's
version), then the release's playbook is applied to the drifted VMs; drifted replicas are swapped for fresh
containers of the release's image with its config. Each fix is recorded in the ledger (action `fix`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from deployctl.drift.compare import NOT_INSTALLED
from deployctl.drift.model import DriftReport, HostScan
from deployctl.errors import DeployctlError
from deployctl.ledger.locks import stage_lock
from deployctl.ledger.records import get_release
from deployctl.model.inventory import load_inventories
from deployctl.model.loader import load_playbook
from deployctl.model.project import Project
from deployctl.model.records import HostOutcome, ReleaseRow
from deployctl.operations.context import stage_context
from deployctl.operations.converge import converge_vms
from deployctl.operations.recording import recorded_deployment
from deployctl.release.store import release_project
from deployctl.strategies.hostrun import RunOptions
from deployctl.transport.base import Transport
from deployctl.transport.retained import RetainedConnections

APT = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-y", "-q"]


def package_commands(host: HostScan) -> list[list[str]]:
    """The apt commands that return a VM's packages to its baseline (hand-installed ones go, removed ones return)."""
    remove = sorted(i.resource for i in host.items if i.kind == "package" and i.expected == NOT_INSTALLED)
    install = sorted(
        f"{i.resource}={i.expected}"
        for i in host.items
        if i.kind == "package" and i.expected != NOT_INSTALLED and " " not in i.expected and "," not in i.expected
    )
    commands = []
    if remove:
        commands.append([*APT, "remove", "--", *remove])
    if install:
        commands.append([*APT, "install", "--allow-downgrades", "--", *install])
    return commands


def _release(connection: sqlite3.Connection, release_id: str) -> ReleaseRow:
    row = get_release(connection, release_id)
    if row is None:
        raise DeployctlError(f"release {release_id} is not in the ledger")
    return row


def fix_vms(
    project: Project, connection: sqlite3.Connection, stage: str, release_id: str, hosts: Sequence[HostScan]
) -> list[str]:
    """Return drifted VMs of one stage to a release: packages first, then the release's playbook."""
    row = _release(connection, release_id)
    release_proj, playbook_path = release_project(project, row)
    context = stage_context(project, stage, release_proj)
    book = load_playbook(playbook_path, display=release_proj.display(playbook_path))
    targets = [context.inventory.hosts[h.host] for h in hosts]
    endpoints = context.endpoints(targets)
    lines = []
    connections = RetainedConnections()
    try:
        for host in hosts:
            for command in package_commands(host):
                transport: Transport = connections(endpoints[host.host])
                done = transport.run(command, become=True)
                lines.append(f"fix: {stage}/{host.host}: {' '.join(command[5:])}: exit {done.exit_code}")
        with recorded_deployment(project, playbook_path, stage, "fix", "mutable", release=row) as record:
            result = converge_vms(
                context,
                book,
                targets,
                RunOptions(redaction=project.redaction),
                record,
                limit=",".join(h.host for h in hosts),
                connections=connections,
            )
    finally:
        connections.close()
    lines += [
        f"fix: {stage}/{h}: re-converged ({r.changed} changed, {r.failed} failed)" for h, r in result.recap.items()
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
    from deployctl.operations.deploy import container_targets_of
    from deployctl.release.images import container_scopes, load_release, recorded_image_release

    loaded = load_release(project, _release(connection, release_id))
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


def fix_drift(project: Project, connection: sqlite3.Connection, report: DriftReport) -> list[str]:
    """Fix every drifted VM and container target of a report; a progress line per step."""
    lines: list[str] = []
    vms: dict[tuple[str, str], list[HostScan]] = {}
    containers: dict[tuple[str, str, str], list[HostScan]] = {}
    for host in report.hosts:
        if host.status != "drifted" or host.release is None:
            continue
        if host.target == "vm":
            vms.setdefault((host.stage, host.release), []).append(host)
        else:
            containers.setdefault((host.stage, host.release, host.inventory_host), []).append(host)
    stages = sorted({stage for stage, _ in vms} | {stage for stage, _, _ in containers})
    with ExitStack() as locks:
        for stage in stages:  # in one order, so two fixes cannot wait on each other
            locks.enter_context(stage_lock(connection, stage, "drift --fix", lines.append))
        for (stage, release_id), hosts in vms.items():
            lines += fix_vms(project, connection, stage, release_id, hosts)
        for (stage, release_id, target), scans in containers.items():
            lines += fix_containers(project, stage, release_id, target, scans, connection)
    return lines
