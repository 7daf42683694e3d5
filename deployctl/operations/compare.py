"""The `compare` use case: the same change measured both ways on a stage, its VMs (mutable) against its
containers (immutable), through the existing operations (deploy_release, rollback, drift scan and fix), and
the scorecard recorded in the ledger. The lab is left on the stage's release, fresh targets removed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from deployctl.dockerapi.types import EngineError
from deployctl.drift.fix import plan_fixes
from deployctl.drift.model import DriftReport
from deployctl.drift.vms import VmRelease
from deployctl.errors import DeployctlError
from deployctl.ledger.compare import compare_runs, save_compare_run
from deployctl.ledger.db import now_iso, open_ledger
from deployctl.ledger.locks import stage_lock
from deployctl.ledger.records import deployments, get_release
from deployctl.model.project import Project
from deployctl.operations.comparing.fresh import COMPARE_LABEL, remove_leftovers, time_fresh_vm
from deployctl.operations.comparing.handchanges import TMP_FILE, HandChange, hand_changes, targets_of
from deployctl.operations.context import EngineFactory, Say, stage_context, stage_contexts
from deployctl.operations.deploy import DeployOptions, StageDeployment, deploy_release
from deployctl.operations.drift import fix_containers, fix_vms, scan_drift
from deployctl.operations.release import build_release_images, recorded_image_release, resolve_release
from deployctl.operations.rollback import rollback
from deployctl.operations.targets import StageTargets, check_vm_input, stage_targets
from deployctl.operations.vmscan import check_release
from deployctl.pipeline.gates import current_deployment
from deployctl.release.images import LoadedRelease, container_scopes, load_release
from deployctl.scorecard import judging
from deployctl.scorecard.model import Figure, ParityRow, Scorecard, ScoreRow, Series, Strategy
from deployctl.transport.ssh import SshTransport

if TYPE_CHECKING:
    from deployctl.dockerapi.types import Container, EngineApi

T = TypeVar("T")
RESTART_TIMEOUT = 30.0
LAB_VM = (
    "the lab's VM is a container of the lab's node image (systemd as PID 1, sshd), started with the lab's options;"
    " it stands for a VM already booted: a real VM adds its firmware, kernel and init boot (with a hypervisor,"
    " `lab up --provider virtualbox|libvirt`, this would start a real VM; none is present here)"
)


def timed(step: Callable[[], T]) -> tuple[T, float]:
    """Run `step`; its result and the seconds it took (monotonic clock)."""
    began = time.monotonic()
    value = step()
    return value, time.monotonic() - began


@dataclass(frozen=True)
class CompareRun:
    """A recorded compare run: its id in the ledger and the scorecard."""

    run_id: int
    card: Scorecard


@dataclass
class _Run:
    """What one compare run holds while it measures: the project, the stage, both releases and their targets."""

    project: Project
    connection: sqlite3.Connection
    engine: EngineFactory
    say: Say
    old: LoadedRelease
    new: LoadedRelease
    old_targets: StageTargets
    new_targets: StageTargets

    @property
    def stage(self) -> str:
        return self.old_targets.stage

    def client(self) -> EngineApi:
        return self.engine()

    def deploy(self, loaded: LoadedRelease, targets: StageTargets, options: DeployOptions) -> StageDeployment:
        """One deployment through deploy's own path, under the stage's lock."""
        with stage_lock(self.connection, self.stage, "compare", self.say):
            done = deploy_release(self.connection, loaded, targets, options, self.engine, self.say)
        if not done.ok:
            raise DeployctlError(
                f"{self.stage}: compare's deployment #{done.deployment_id} {done.outcome}: {done.reason}"
            )
        return done


def vms_only(targets: StageTargets) -> StageTargets:
    """The stage's targets without its containers."""
    return replace(targets, containers=(), container_targets={})


def containers_only(targets: StageTargets) -> StageTargets:
    """The stage's targets without its VMs."""
    return replace(targets, vm_hosts=())


def machine_note(project: Project) -> str:
    """Where the figures were measured: cores, memory, and what the lab's VMs are."""
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    lab = stage_context(project, project.pipeline()[0].name).lab
    provider = lab.provider if lab is not None else "unknown"
    kind = "containers (no hypervisor)" if provider == "docker" else f"{provider} VMs"
    return f"{os.cpu_count()} cores, {pages / 2**30:.1f} GiB; lab provider {provider}: the lab's VMs are {kind}"


# --- the rows -----------------------------------------------------------------------------------------------


def fresh_row(run: _Run) -> ScoreRow:
    """A new lab VM node to SSH-ready and converged, against a new replica to healthy."""
    from deployctl.immutable.build import render_runtime_files
    from deployctl.immutable.rollout import start_fresh_replica

    client = run.client()
    vm_fig = judging.unmeasured("s", "fresh lab node to converged", "the stage has no VM")
    if run.new_targets.vm_hosts:
        model = run.new_targets.vm_hosts[0]
        fresh = time_fresh_vm(client, run.new_targets.context, run.new, model, f"deployctl-compare-{run.stage}-node")
        vm_fig = judging.seconds(
            fresh.converged,
            f"docker run of a new lab node to SSH answering (polled every 0.2 s), then the release's playbook applied"
            f" to it over SSH until converged; {LAB_VM}",
            [f"ssh-ready: {fresh.ssh_ready:.3f} s", f"converged: {fresh.converged:.3f} s ({fresh.changed} changed)"],
        )
        if not fresh.ok:
            vm_fig = replace(vm_fig, unmeasured="the apply to the fresh node failed")
    ct_fig = judging.unmeasured("s", "fresh replica to healthy", "the stage has no container target")
    if run.new_targets.containers:
        play, host = run.new_targets.containers[0]
        image = recorded_image_release(client, run.connection, run.new.row.id, play.name)
        files = render_runtime_files(image, run.new.playbook, container_scopes(run.new, play)[host.name])
        name = f"deployctl-compare-{run.stage}-replica"
        labels = {COMPARE_LABEL: run.stage}
        fresh_replica = start_fresh_replica(
            client, run.stage, image, files, name=name, labels=labels, state_dir=run.project.state_dir
        )
        fresh_replica.container.remove(force=True)
        ct_fig = judging.seconds(
            fresh_replica.seconds,
            "docker run of a new replica of the release's image (its config mounted) to its health check passing,"
            " probed every 0.5 s as a rollout does",
        )
        if fresh_replica.failure:
            ct_fig = replace(ct_fig, unmeasured=fresh_replica.failure)
    return ScoreRow(
        "start.fresh_target",
        "containers start in milliseconds, VMs in minutes",
        "a fresh target from start to serving the release",
        vm_fig,
        ct_fig,
    )


def deploy_rows(run: _Run) -> tuple[list[ScoreRow], list[Series]]:
    """The change deployed both ways under load from 127.0.0.1: per target, for the stage, requests failed."""
    from deployctl.operations.comparing.fleet import serve_only, start_fleet_proxy, vm_upstreams

    client = run.client()
    load_vm = judging.unmeasured("requests", "load through a proxy in front of the VMs", "the stage has no VM")
    vm_done: StageDeployment | None = None
    vm_time = 0.0
    vm_points: list[tuple[str, float]] = []
    if run.new_targets.vm_hosts:
        from deployctl.immutable.load import HttpLoad

        vms = run.new_targets.vm_hosts
        upstreams = dict(zip([h.name for h in vms], vm_upstreams(client, vms), strict=True))
        proxy, port = start_fleet_proxy(client, run.stage, list(upstreams.values()))
        load = HttpLoad(f"http://127.0.0.1:{port}/", workers=2, max_seconds=600)
        try:
            load.start()
            began = time.monotonic()
            for index, vm in enumerate(vms):
                serve_only(proxy, run.stage, [u for n, u in upstreams.items() if n != vm.name], 2 * index + 2)
                batch = replace(vms_only(run.new_targets), vm_hosts=(vm,))
                vm_done, seconds = timed(lambda batch=batch: run.deploy(run.new, batch, DeployOptions()))  # type: ignore[misc]
                vm_points.append((vm.name, round(seconds, 3)))
                serve_only(proxy, run.stage, list(upstreams.values()), 2 * index + 3)
            vm_time = time.monotonic() - began
        finally:
            report = load.stop()
            proxy.remove(force=True)
        load_vm = judging.count(
            report.failed,
            "requests",
            "HTTP GETs from 127.0.0.1 (2 threads) through an nginx proxy in front of the stage's VMs (the stage"
            " proxy's image and config: a failed upstream is retried on another) while the change rolled over the"
            " VMs one at a time: each taken out of the proxy and drained, deployed, put back",
            [f"sent {report.sent}", *report.errors],
        )
    ct_done: StageDeployment | None = None
    ct_time = 0.0
    load_ct = judging.unmeasured("requests", "deploy --load", "the stage has no container target")
    if run.new_targets.containers:
        rolled, ct_time = timed(lambda: run.deploy(run.new, containers_only(run.new_targets), DeployOptions(load=True)))
        ct_done = rolled
        reports = [r.load for r in rolled.rollouts if r.load is not None]
        load_ct = judging.count(
            sum(r.failed for r in reports),
            "requests",
            "HTTP GETs from 127.0.0.1 (2 threads) to the stage's proxy while deploy rolled the replicas"
            " (`deploy --load`: start, health, into the upstream, old one drained and stopped)",
            [f"sent {sum(r.sent for r in reports)}", *(e for r in reports for e in r.errors)],
        )
    ct_points = [(s.new, s.seconds) for r in (ct_done.rollouts if ct_done else ()) for s in r.swaps]
    per_target = ScoreRow(
        "deploy.per_target",
        "a container deploy is one swap, a VM deploy converges each host",
        "seconds per VM (its batch's deployment) and per replica (start to old one drained)",
        judging.per_target_figure(vm_points, "s", "wall time of deploy to each VM in its batch", "no VM"),
        judging.per_target_figure(ct_points, "s", "each replica's swap in the rollout", "no replica"),
    )
    stage = ScoreRow(
        "deploy.stage",
        "immutable deploys are slower to build but quicker to roll",
        "the change deployed to the whole stage",
        judging.seconds(
            vm_time, "wall time of the rolling deploy of the VMs: one deployment per VM, each drained from the proxy"
        )
        if vm_done
        else judging.unmeasured("s", "deploy to VMs", "the stage has no VM"),
        judging.seconds(ct_time, "wall time of deploy's rollout of the recorded image (one deployment)")
        if ct_done
        else judging.unmeasured("s", "rollout", "the stage has no container target"),
    )
    failed = ScoreRow(
        "load.failed_requests",
        "rolling containers behind a proxy drops no request; patching VMs in place does",
        "requests failed under load while the change rolls",
        load_vm,
        load_ct,
    )
    points: dict[Strategy, tuple[tuple[str, float], ...]] = {"mutable": tuple(vm_points), "immutable": tuple(ct_points)}
    method = "wall time of each VM's deployment in its batch; each replica's swap (start to old one drained)"
    series = Series("deploy.per_target", "Deploy time per target", "s", points, method=method)
    return [per_target, stage, failed], [series]


def declared_tasks(loaded: LoadedRelease) -> list[tuple[str, judging.Declared]]:
    """Every task of a release's plays (not handlers) with the resource it declares."""
    return [
        (task.name, judging.declared(task.module, task.args))
        for play in loaded.playbook.plays
        for task in (*play.pre_tasks, *play.tasks, *play.post_tasks)
    ]


def vm_residue(run: _Run) -> list[str]:
    """On each VM, what the newer release left after the return to the older one: a check-mode scan (drift's VM
    scanner) of the newer release finds its own resources in place that only it declares. Once listed, users
    and files are removed; packages are left in place (see `removal_words`), and said so."""
    older = {resource for _name, resource in declared_tasks(run.old)}
    newer = declared_tasks(run.new)
    inventory = run.new_targets.inventory
    release = VmRelease(run.new.row.id, run.new.playbook, inventory, run.new.playbook.templar(), run.project.redaction)
    found: list[str] = []
    for host in run.new_targets.vm_hosts:
        with SshTransport(run.new_targets.context.endpoint(host)) as transport:
            facts = check_release(host, transport, release, [])
            statuses = {result.task: result.status for result in facts.results}
            for item in judging.residue(newer, older, statuses):
                words = judging.removal_words(item)
                removed = transport.run(list(words), become=True).exit_code == 0 if words else False
                found.append(f"{host.name}: {item}" + ("" if removed else " (left in place)"))
    return found


def backout_row(run: _Run) -> ScoreRow:
    """Back to the previous release both ways: the time, and what was left behind."""
    vm_fig = judging.unmeasured("s", "deploy of the previous release to the VMs", "the stage has no VM")
    if run.old_targets.vm_hosts:
        _done, seconds = timed(lambda: run.deploy(run.old, vms_only(run.old_targets), DeployOptions()))
        left = vm_residue(run)
        vm_fig = judging.seconds(
            seconds,
            "wall time of deploy's apply of the previous release to the VMs (a VM's rollback re-applies the older"
            " release); residue: a check-mode scan of the newer release on each VM lists what only it declares"
            " and finds still in place (users and files then removed by compare, packages left)",
            [f"residue ({len(left)}): " + ("none" if not left else ""), *left],
        )
    ct_fig = judging.unmeasured("s", "rollback", "the stage has no container target")
    if run.old_targets.containers:
        done, seconds = timed(lambda: rollback(run.project, run.stage, None, run.engine, run.say))
        if not done.ok:
            raise DeployctlError(f"{run.stage}: compare's rollback {done.result.outcome}: {done.result.reason}")
        newer_ids = {
            recorded_image_release(run.client(), run.connection, run.new.row.id, play.name).image_id
            for play, _host in run.new_targets.containers
        }
        left = [
            container.name
            for container in run.client().list_containers([f"deployctl.stage={run.stage}", "deployctl.role=app"])
            if str(container.attrs.get("Image") or "") in newer_ids
        ]
        ct_fig = judging.seconds(
            seconds,
            "wall time of `rollback` (the previous image and config rolled back in); residue: the stage's replicas"
            " still running the newer image, listed from Docker after the rollback",
            [f"residue ({len(left)}): " + ("none" if not left else ""), *left],
        )
    return ScoreRow(
        "backout",
        "backing out a container is stopping it; backing out a VM change is hard",
        "return to the previous release, and what the newer one left behind",
        vm_fig,
        ct_fig,
    )


def _scan(run: _Run) -> tuple[DriftReport, float]:
    contexts = stage_contexts(run.project, [run.stage])
    return timed(lambda: scan_drift(run.project, run.connection, contexts, docker_client=run.engine))


def _items(report: DriftReport, strategy: str) -> list[str]:
    return [f"{i.host}: {i.kind} {i.resource}" for i in report.items if i.strategy == strategy]


def apply_hand_changes(run: _Run, changes: Sequence[HandChange]) -> tuple[list[str], list[str]]:
    """Make the hand changes on the first VM and on the first replica; one line per change with its exit code."""
    vm_lines: list[str] = []
    ct_lines: list[str] = []
    if run.old_targets.vm_hosts:
        vm = run.old_targets.vm_hosts[0]
        with SshTransport(run.old_targets.context.endpoint(vm)) as transport:
            for change in changes:
                done = transport.run(list(change.vm), become=True)
                vm_lines.append(f"{vm.name}: {change.name}: exit {done.exit_code}")
    replicas = sorted(
        run.client().list_containers([f"deployctl.stage={run.stage}", "deployctl.role=app"]), key=lambda c: c.name
    )
    if run.old_targets.containers and replicas:
        replica = replicas[0]
        for change in changes:
            try:
                result = replica.exec(list(change.container), user="root")
                ct_lines.append(f"{replica.name}: {change.name}: exit {result.exit_code}")
            except EngineError as error:
                ct_lines.append(f"{replica.name}: {change.name}: refused: {error}")
        wait_running(replica, time.monotonic() + RESTART_TIMEOUT)
    return vm_lines, ct_lines


def wait_running(container: Container, deadline: float) -> None:
    """Wait until a container runs again (a replica whose service stopped restarts by its policy)."""
    while time.monotonic() < deadline:
        container.reload()
        if container.status == "running":
            return
        time.sleep(0.2)


def fix_timed(run: _Run, report: DriftReport) -> tuple[float, float]:
    """drift --fix's steps on the scan's plan, timed per strategy: VMs re-converged, replicas replaced."""
    plan = plan_fixes(report)
    vm_time = ct_time = 0.0
    with stage_lock(run.connection, run.stage, "drift --fix", run.say):
        for vms in plan.vms:
            lines, seconds = timed(lambda vms=vms: fix_vms(run.project, run.connection, vms))  # type: ignore[misc]
            vm_time += seconds
            for line in lines:
                run.say(line)
        for fix in plan.containers:
            lines, seconds = timed(
                lambda fix=fix: fix_containers(  # type: ignore[misc]
                    run.project, fix.stage, fix.release_id, fix.target, fix.replicas, run.connection
                )
            )
            ct_time += seconds
            for line in lines:
                run.say(line)
    return vm_time, ct_time


def remove_tmp_file(run: _Run) -> bool:
    """Remove the hand-dropped /tmp file from the first VM (no scan looks there); whether it was still there."""
    if not run.old_targets.vm_hosts:
        return False
    with SshTransport(run.old_targets.context.endpoint(run.old_targets.vm_hosts[0])) as transport:
        left = transport.run(["test", "-e", TMP_FILE]).exit_code == 0
        transport.run(["rm", "-f", TMP_FILE], become=True)
    return left


def drift_row(run: _Run) -> ScoreRow:
    """Everyday hand changes on one VM and one replica: what the scan finds, how long --fix takes, what remains."""
    latest = current_deployment(deployments(run.connection, run.stage))
    results = []
    if run.old_targets.vm_hosts:
        with SshTransport(run.old_targets.context.endpoint(run.old_targets.vm_hosts[0])) as transport:
            release = VmRelease(run.old.row.id, run.old.playbook, run.old_targets.inventory, run.old.playbook.templar())
            results = check_release(run.old_targets.vm_hosts[0], transport, release, []).results
    service = next(
        (
            str(r.resource)
            for _n, r in declared_tasks(run.old)
            if r.module in ("service", "systemd") and "{{" not in r.resource
        ),
        "",
    )
    targets = targets_of(results, service) if results else None
    if targets is None or latest is None:
        why = "the release names no config file, program and service to change by hand"
        return ScoreRow(
            "drift.hand_changes",
            "servers patched in place drift apart; containers do not",
            "hand changes found, fix time, what remains",
            judging.unmeasured("items", "drift scan", why),
            judging.unmeasured("items", "drift scan", why),
        )
    changes = hand_changes(targets)
    fixed = False
    try:
        vm_lines, ct_lines = apply_hand_changes(run, changes)
        report, scan_s = _scan(run)
        vm_fix, ct_fix = fix_timed(run, report)
        fixed = True
        after, _ = _scan(run)
    finally:
        if not fixed:  # leave the lab as it was, whatever failed
            fix_timed(run, _scan(run)[0])
        tmp_left = remove_tmp_file(run)
    method = (
        f"{len(changes)} hand changes ({', '.join(c.name for c in changes)}) made as root on one {{what}}; then"
        f" `drift` scanned the stage ({scan_s:.3f} s), `drift --fix` fixed it ({{fix:.3f}} s) and a scan again"
        " found what remains"
    )

    def figure(strategy: str, lines: list[str], fix_s: float, what: str, extra: list[str]) -> Figure:
        found = _items(report, strategy)
        remains = _items(after, strategy) + extra
        return judging.count(
            len(found),
            "items found",
            method.format(what=what, fix=fix_s),
            [*lines, *(f"found: {f}" for f in found), f"--fix: {fix_s:.3f} s", *(f"remains: {r}" for r in remains)]
            + ([] if remains else ["remains: nothing"]),
        )

    vm_extra = [f"{TMP_FILE} (not in the release: no scan looks there; removed afterwards)"] if tmp_left else []
    return ScoreRow(
        "drift.hand_changes",
        "servers patched in place drift apart; containers do not",
        "hand changes found by the scan, --fix time, what remains",
        figure("mutable", vm_lines, vm_fix, "VM (over SSH)", vm_extra),
        figure("immutable", ct_lines, ct_fix, "replica (docker exec)", []),
    )


def parity_of(run: _Run) -> tuple[ScoreRow, list[ParityRow]]:
    """The release as it runs in every stage: per fact and strategy, identical, by design or by accident."""
    contexts = stage_contexts(run.project)
    report, _ = timed(lambda: scan_drift(run.project, run.connection, contexts, docker_client=run.engine))
    release = run.old.row.id
    facts: dict[Strategy, dict[str, dict[str, list[str]]]] = {"mutable": {}, "immutable": {}}
    for host in report.hosts:
        if host.release != release:
            continue
        for fact, value in host.facts.items():
            if fact != "release":
                facts[host.strategy].setdefault(fact, {}).setdefault(host.stage, []).append(value)
    inventories = {name: context.inventory for name, context in contexts.items()}
    stage_vars = {
        stage: {k: v for host in inv.hosts.values() for k, v in host.vars.items()} for stage, inv in inventories.items()
    }
    words = judging.stage_words(stage_vars)
    strategies: tuple[Strategy, ...] = ("mutable", "immutable")
    rows = [row for strategy in strategies for row in judging.parity_rows(strategy, facts[strategy], words)]
    stages = sorted({stage for per in facts.values() for f in per.values() for stage in f})

    def figure(strategy: Strategy) -> Figure:
        mine = [row for row in rows if row.strategy == strategy]
        accidents = [row for row in mine if row.verdict == "differs by accident"]
        detail = [f"{row.verdict}: {row.fact}" for row in mine if row.verdict != "identical"]
        return judging.count(
            len(accidents),
            "facts differ by accident",
            f"a drift scan of every stage; the facts of the targets running release {release} compared between"
            f" the stages running it ({', '.join(stages)}): {len(mine)} facts, a difference is by design when each"
            " stage's value is one of its own stage variables",
            [
                f"{sum(r.verdict == v for r in mine)} {v}"
                for v in ("identical", "differs by design", "differs by accident")
            ]
            + detail,
        )

    row = ScoreRow(
        "parity",
        "promoting a container promotes the whole unit: every stage runs the same thing",
        "facts of the release that differ between stages for no stage variable",
        figure("mutable"),
        figure("immutable"),
    )
    return row, rows


def _parity_step(run: _Run) -> tuple[list[ScoreRow], list[Series], list[ParityRow]]:
    row, rows = parity_of(run)
    return [row], [], rows


def footprint_rows(run: _Run) -> list[ScoreRow]:
    """Disk and memory per target, from Docker's size data and memory statistics."""
    from deployctl.lab.nodes import node_container_name

    client = run.client()
    vms = [(h.name, client.footprint(node_container_name(h.name))) for h in run.old_targets.vm_hosts]
    replicas = client.list_containers([f"deployctl.stage={run.stage}", "deployctl.role=app"])
    shared = 0
    images = {str(c.attrs.get("Image") or "") for c in replicas}
    for image in images:
        shared += int(client.get_image(image).attrs.get("Size") or 0)
    cts = [(c.name, client.footprint(c.name)) for c in replicas]
    mib = 2**20
    vm_disk = [(name, round(f.size_root_fs / mib, 2)) for name, f in vms]
    ct_disk = [(name, round((f.size_rw + shared / max(1, len(cts))) / mib, 2)) for name, f in cts]
    disk = ScoreRow(
        "footprint.disk",
        "images share layers between replicas; every VM carries its own disk",
        "disk per target",
        judging.per_target_figure(
            vm_disk,
            "MiB",
            "docker inspect --size of each lab node: its whole root filesystem (image and writable layer), which a"
            " VM holds alone on its own disk",
            "no VM",
        ),
        judging.per_target_figure(
            ct_disk,
            "MiB",
            f"docker inspect --size of each replica: its writable layer plus its share of the image"
            f" ({shared / mib:.1f} MiB, stored once for {len(cts)} replicas)",
            "no replica",
        ),
    )
    memory = ScoreRow(
        "footprint.memory",
        "a container costs its process; a VM costs an operating system",
        "memory per target now",
        judging.per_target_figure(
            [(n, round(f.memory / mib, 2)) for n, f in vms],
            "MiB",
            "docker stats (cgroup memory use less inactive page cache) of each lab node: systemd, sshd, journald and"
            " the app; a real VM adds its kernel and page cache",
            "no VM",
        ),
        judging.per_target_figure(
            [(n, round(f.memory / mib, 2)) for n, f in cts],
            "MiB",
            "docker stats (cgroup memory use less inactive page cache) of each replica",
            "no replica",
        ),
    )
    series = [disk, memory]
    return series


def _targets(project: Project, loaded: LoadedRelease, stage: str) -> StageTargets:
    targets = stage_targets(loaded, stage_context(project, stage, loaded.project))
    check_vm_input(loaded, targets)
    return targets


def compare(
    project: Project,
    stage: str,
    engine: EngineFactory,
    say: Say,
    *,
    release: str | None = None,
) -> CompareRun:
    """Measure the stage's next release against its current one, both ways, on the lab; record the scorecard.

    The stage must run a release (the current one) and the next one must differ. Whatever happens, the stage
    is returned to its current release and compare's own containers are removed.
    """
    project.require_stage(stage)
    started_at = now_iso()
    began = time.monotonic()
    with closing(open_ledger(project.ledger)) as connection:
        current = current_deployment(deployments(connection, stage))
        old_row = get_release(connection, current.release_id) if current and current.release_id else None
        if old_row is None:
            raise DeployctlError(f"{stage} runs no release: deploy one first (`deployctl deploy --stage {stage}`)")
        new_row = resolve_release(connection, project, release, None)
        if new_row.id == old_row.id:
            raise DeployctlError(f"{stage} already runs release {new_row.id}: nothing to compare (give --release)")
        old, new = load_release(project, old_row), load_release(project, new_row)
        run = _Run(
            project, connection, engine, say, old, new, _targets(project, old, stage), _targets(project, new, stage)
        )
        if run.new_targets.containers:
            build_release_images(engine, connection, new, say)
        for name in remove_leftovers(run.client(), stage):
            say(f"{stage}: removed {name}, left by an interrupted compare")
        rows: list[ScoreRow] = []
        series: list[Series] = []
        parity: list[ParityRow] = []
        try:
            for title, step in (
                (f"fresh targets of release {new.row.id}", lambda: ([fresh_row(run)], [], [])),
                (f"release {new.row.id} deployed both ways under load", lambda: (*deploy_rows(run), [])),
                (f"backout to release {old.row.id}", lambda: ([backout_row(run)], [], [])),
                ("hand changes, drift scan and fix", lambda: ([drift_row(run)], [], [])),
                ("parity between stages", lambda: _parity_step(run)),
                ("footprint", lambda: (footprint_rows(run), [], [])),
            ):
                say(f"{stage}: {title}")
                (more_rows, more_series, more_parity), seconds = timed(step)
                say(f"{stage}: {title}: {seconds:.1f} s")
                rows += more_rows
                series += more_series
                parity += more_parity
        finally:
            restore(run)
        card = Scorecard(
            stage=stage,
            from_release=old.row.id,
            to_release=new.row.id,
            started_at=started_at,
            duration_s=round(time.monotonic() - began, 3),
            machine=machine_note(project),
            rows=tuple(rows),
            series=tuple(series),
            parity=tuple(parity),
        )
        import json

        run_id = save_compare_run(
            connection, stage, old.row.id, new.row.id, started_at, card.duration_s, json.dumps(card.to_json())
        )
    return CompareRun(run_id, card)


def restore(run: _Run) -> None:
    """Leave the lab as it was: compare's containers removed, the stage back on its release when it is not."""
    for name in remove_leftovers(run.client(), run.stage):
        run.say(f"{run.stage}: removed {name}")
    latest = current_deployment(deployments(run.connection, run.stage))
    if latest is not None and latest.release_id != run.old.row.id:
        run.say(f"{run.stage}: returning to release {run.old.row.id}")
        run.deploy(run.old, run.old_targets, DeployOptions())


def history(project: Project, stage: str | None) -> list[tuple[int, Scorecard]]:
    """Every recorded compare run (of one stage, or all), oldest first, with its scorecard."""
    import json

    if stage is not None:
        project.require_stage(stage)
    with closing(open_ledger(project.ledger)) as connection:
        return [(row.id, Scorecard.from_json(json.loads(row.scorecard))) for row in compare_runs(connection, stage)]
