"""How `deploy`, `promote` and `rollback` are recorded: one deployment, VMs and containers, per-host results."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from deployctl.immutable.recipe import ImageRelease
from deployctl.immutable.rollout import RolloutResult
from deployctl.ledger.recording import DeploymentRecord, outcome_of_errors
from deployctl.ledger.records import (
    HostOutcome,
    begin_deployment,
    finish_deployment,
    release_of_image,
    set_deployment_release,
)

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
    """Record a rollback of `stage`'s containers; the release it returns to is found from the image, afterwards."""
    record = RollbackRecord(connection, begin_deployment(connection, stage, None, "rollback", "immutable"))
    try:
        with outcome_of_errors(record):
            yield record
    finally:
        finish_deployment(connection, record.deployment_id, record.outcome, record.hosts, reason=record.reason)
        set_deployment_release(connection, record.deployment_id, record.release_id)


def fill_rollback(record: RollbackRecord, stage: str, host: str, result: RolloutResult) -> None:
    """Put a finished rollback into its record, naming the release whose image the stage returned to."""
    detail = {"image": result.image, "previous_image": result.previous_image, "seconds": round(result.seconds, 3)}
    record.hosts.append(HostOutcome(host, "container", result.outcome, detail))
    record.outcome = DEPLOY_OUTCOMES.get(result.outcome, "failed")
    record.reason = result.reason
    record.release_id = release_of_image(record.connection, stage, result.image)
