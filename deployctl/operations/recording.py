"""How operations are recorded in the ledger: one deployment (apply, deploy, promote, fix, rollback) per run,
with every host's outcome, and the package baseline a VM's drift is measured against.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from deployctl.facts.base import RawFact
from deployctl.ledger.db import open_ledger, transaction
from deployctl.ledger.drift import baselines, save_baseline
from deployctl.ledger.locks import acquire
from deployctl.ledger.locks import release as release_lock
from deployctl.ledger.records import begin_deployment, finish_deployment, save_release, set_deployment_release
from deployctl.model.project import Project
from deployctl.model.records import HostOutcome, ReleaseRow
from deployctl.operations.release import record_release
from deployctl.strategies.results import HostRecap, RunResult
from deployctl.transport.base import shell
from deployctl.transport.pool import run_each
from deployctl.transport.retained import RetainedConnections

if TYPE_CHECKING:
    from deployctl.immutable.recipe import ImageRelease
    from deployctl.immutable.rollout import RolloutResult


class Settled(Protocol):
    """A record whose outcome and reason the work sets."""

    outcome: str
    reason: str


@contextmanager
def outcome_of_errors(record: Settled) -> Iterator[None]:
    """An exception that ends the work sets the record's outcome (`interrupted` for a signal, else `failed`).

    Ctrl-C (KeyboardInterrupt) and a signal turned into SystemExit stop the process, not the work's own
    failure: those are `interrupted`.
    """
    try:
        yield
    except (KeyboardInterrupt, SystemExit) as stop:
        why = "interrupted by the user" if isinstance(stop, KeyboardInterrupt) else f"stopped (exit {stop.code})"
        record.outcome, record.reason = "interrupted", why
        raise
    except BaseException as error:
        record.outcome, record.reason = "failed", str(error) or type(error).__name__
        raise


@dataclass
class DeploymentRecord:
    """What the command fills in while it works: the outcome, the hosts, and request counts under load."""

    connection: sqlite3.Connection
    release: ReleaseRow
    deployment_id: int
    outcome: str = "failed"
    reason: str = ""
    hosts: list[HostOutcome] = field(default_factory=list)
    requests_sent: int | None = None
    requests_failed: int | None = None
    baselines: dict[str, dict[str, str]] = field(default_factory=dict)
    """Package lists read during the work, by host: recorded with the outcome."""


def finish_record(record: DeploymentRecord, stage: str) -> None:
    """Record how the deployment ended, its hosts and the package baselines read during it, in one transaction
    (or in the caller's, which this joins)."""
    with transaction(record.connection):
        finish_deployment(
            record.connection,
            record.deployment_id,
            record.outcome,
            record.hosts,
            reason=record.reason,
            requests_sent=record.requests_sent,
            requests_failed=record.requests_failed,
        )
        for host, packages in record.baselines.items():
            save_baseline(record.connection, stage, host, record.deployment_id, packages)


@contextmanager
def recorded_deployment(
    project: Project,
    playbook: Path,
    stage: str,
    action: str,
    strategy: str,
    *,
    release: ReleaseRow | None = None,
    forced: bool = False,
    force_reason: str = "",
    source_stage: str = "",
    gates: str = "[]",
    connection: sqlite3.Connection | None = None,
) -> Iterator[DeploymentRecord]:
    """Snapshot the release (unless given), record the deployment as running, and record how it ended.

    An exception records outcome `failed` (`interrupted` for Ctrl-C) with the error as the reason, then
    propagates. A process killed outright leaves `running`, which `mark_interrupted` later settles.
    A promotion gives the stage it promotes from and the gates it checked (JSON). With `connection`
    given, the ledger the caller holds is used (and left open).
    """
    owned = connection is None
    connection = connection if connection is not None else open_ledger(project.ledger)
    try:
        if release is None:
            release = record_release(connection, project, playbook)
        deployment_id = begin_deployment(
            connection,
            stage,
            release.id,
            action,
            strategy,
            forced=forced,
            force_reason=force_reason,
            source_stage=source_stage,
            gates=gates,
        )
        record = DeploymentRecord(connection, release, deployment_id)
        try:
            with outcome_of_errors(record):
                yield record
        finally:
            finish_record(record, stage)
    finally:
        if owned:
            connection.close()


@contextmanager
def recorded_apply(
    connection: sqlite3.Connection, release: ReleaseRow, stage: str, say: Callable[[str], None]
) -> Iterator[DeploymentRecord]:
    """Hold the stage's lock for an apply of `release` and record it (not in check mode: a check changes nothing).

    One transaction starts it (the lock, the release unless recorded, the deployment `running`) and one ends it
    (the outcome and hosts, the lock given back); an exception sets the outcome as `recorded_deployment` does.
    """
    with transaction(connection):
        held = acquire(connection, stage, "apply", say)
        release = save_release(connection, release)
        deployment_id = begin_deployment(connection, stage, release.id, "apply", "mutable")
    record = DeploymentRecord(connection, release, deployment_id)
    try:
        with outcome_of_errors(record):
            yield record
    finally:
        with transaction(connection):
            finish_record(record, stage)
            release_lock(connection, held)


def host_status(recap: HostRecap) -> str:
    """One word for a host's run: unreachable, failed, changed or ok."""
    if recap.unreachable:
        return "unreachable"
    if recap.failed:
        return "failed"
    return "changed" if recap.changed else "ok"


def apply_outcome(result: RunResult) -> str:
    """The deployment's outcome from the run's exit code."""
    return {0: "ok", 2: "failed", 3: "stopped"}.get(result.exit_code, "failed")


def host_outcomes(result: RunResult) -> Iterator[HostOutcome]:
    """Per host: its status and its recap counts."""
    for host, recap in result.recap.items():
        counts = {
            "ok": recap.ok,
            "changed": recap.changed,
            "failed": recap.failed,
            "skipped": recap.skipped,
            "unreachable": recap.unreachable,
            "ignored": recap.ignored,
        }
        yield HostOutcome(host, "vm", host_status(recap), counts)


def fill_apply_record(record: DeploymentRecord, result: RunResult) -> None:
    """Put a finished run's outcome and hosts into its deployment record."""
    record.outcome = apply_outcome(result)
    record.reason = result.stopped or ""
    record.hosts = list(host_outcomes(result))


def changed_packages(result: RunResult, host: str) -> bool:
    """Whether the run installed, removed or upgraded a package on `host` (a cache refresh is not one).

    A change whose diffs are hidden (`no_log`, `diff: false`) may have been one: counted as one.
    """
    for task in result.results:
        if task.host != host or task.module not in ("apt", "package"):
            continue
        for part in task.items or (task,):
            if part.status == "changed" and (
                not part.diffs or any(d.resource.startswith("package ") for d in part.diffs)
            ):
                return True
    return False


def baseline_hosts(result: RunResult, recorded: Iterable[str]) -> list[str]:
    """Hosts whose package baseline to (re)record: reached, and without one or with packages the run changed.

    A host that has a baseline and whose packages the run did not touch keeps it, so a no-op apply costs
    nothing and a package installed by hand is never taken into the baseline.
    """
    known = set(recorded)
    return [
        host
        for host, recap in result.recap.items()
        if host_status(recap) in ("ok", "changed") and (host not in known or changed_packages(result, host))
    ]


def record_baselines(record: DeploymentRecord, result: RunResult, connections: RetainedConnections, stage: str) -> None:
    """Read the package list of each host that needs a baseline over the run's open connection, into the record
    (written with its outcome)."""
    hosts = [h for h in baseline_hosts(result, baselines(record.connection, stage)) if h in connections.open]
    if not hosts:
        return  # a no-op apply on hosts with baselines reads no package list
    from deployctl.facts.packages import PackageListFact

    fact = PackageListFact()

    def read(host: str) -> dict[str, str] | None:
        done = connections.open[host].run(shell(fact.script()))
        return fact.parse(RawFact(done.stdout, done.exit_code)) if done.ok else None

    for outcome in run_each(hosts, read):
        if outcome.value:
            record.baselines[outcome.item] = outcome.value


# A rollout's outcome -> the deployment's outcome (`unchanged` means the stage already ran the release).
DEPLOY_OUTCOMES = {"deployed": "ok", "unchanged": "ok", "rolled_back": "rolled_back", "failed": "failed"}
# The apply's exit code -> the deployment's outcome.
APPLY_OUTCOMES = {0: "ok", 2: "failed", 3: "stopped"}
SEVERITY = ("failed", "stopped", "rolled_back", "ok")


def strategy_of(vm_hosts: int, container_targets: int) -> str:
    """mutable, immutable or both, from what a deployment reaches."""
    if vm_hosts and container_targets:
        return "both"
    return "immutable" if container_targets else "mutable"


def deployment_outcome(apply_exit_code: int | None, rollout_outcomes: Sequence[str]) -> str:
    """The worst of the VMs' apply (None when there were no VMs) and the containers' rollouts."""
    outcomes = [DEPLOY_OUTCOMES.get(o, "failed") for o in rollout_outcomes]
    if apply_exit_code is not None:
        outcomes.append(APPLY_OUTCOMES.get(apply_exit_code, "failed"))
    if not outcomes:
        return "failed"
    return next(o for o in SEVERITY if o in outcomes)


def record_rollout(record: DeploymentRecord, host: str, release: ImageRelease, result: RolloutResult) -> None:
    """Add one container target's rollout to the deployment: the image digest, the host's result, the load."""
    detail = {
        "image": result.image,
        "image_id": release.image_id,
        "previous_image": result.previous_image,
        "engine": result.engine,
        "replaced": result.replaced,
        "seconds": round(result.seconds, 3),
    }
    if result.load is not None:
        detail["requests_sent"] = result.load.sent
        detail["requests_failed"] = result.load.failed
        record.requests_sent = (record.requests_sent or 0) + result.load.sent
        record.requests_failed = (record.requests_failed or 0) + result.load.failed
    record.hosts.append(HostOutcome(host, "container", result.outcome, detail))
    if result.reason:
        record.reason = "; ".join(filter(None, (record.reason, f"{host}: {result.reason}")))


@dataclass
class RollbackRecord:
    """A rollback in progress: the hosts it reached and how it ended."""

    connection: sqlite3.Connection
    deployment_id: int
    outcome: str = "failed"
    reason: str = ""
    hosts: list[HostOutcome] = field(default_factory=list)
    release_id: str | None = None


@contextmanager
def recorded_rollback(connection: sqlite3.Connection, stage: str) -> Iterator[RollbackRecord]:
    """Record a rollback of `stage`'s containers; the caller names the release it returns to (`release_id`)."""
    record = RollbackRecord(connection, begin_deployment(connection, stage, None, "rollback", "immutable"))
    try:
        with outcome_of_errors(record):
            yield record
    finally:
        finish_deployment(connection, record.deployment_id, record.outcome, record.hosts, reason=record.reason)
        set_deployment_release(connection, record.deployment_id, record.release_id)


def fill_rollback(record: RollbackRecord, host: str, result: RolloutResult, image_id: str | None = None) -> None:
    """Put a finished rollback's host, outcome and reason into its record (`image_id`: the digest rolled back to,
    which drift's container scan compares the replicas with)."""
    detail = {"image": result.image, "previous_image": result.previous_image, "seconds": round(result.seconds, 3)}
    if image_id:
        detail["image_id"] = image_id
    record.hosts.append(HostOutcome(host, "container", result.outcome, detail))
    record.outcome = DEPLOY_OUTCOMES.get(result.outcome, "failed")
    record.reason = result.reason
