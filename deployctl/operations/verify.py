"""The `verify` use case: the project's checks (tests/infra/) run on every host of the stage as the release it
runs names them (its snapshot's inventory, like deploy), recorded against that release and deployment."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass

from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import stage_lock
from deployctl.ledger.records import deployments, get_release
from deployctl.ledger.verifications import begin_verification, finish_verification
from deployctl.model.project import Project
from deployctl.operations.context import EngineFactory, Say, StageContext, stage_context
from deployctl.operations.recording import outcome_of_errors
from deployctl.operations.targets import container_targets_of
from deployctl.pipeline.gates import current_deployment
from deployctl.release.store import release_project
from deployctl.release.verification import BackendRun, check_hosts


@dataclass(frozen=True)
class StageVerification:
    """A recorded verification: its id, the release and deployment it checked, and each backend's run."""

    verification_id: int
    stage: str
    release_id: str | None
    deployment_id: int | None
    runs: tuple[BackendRun, ...]
    seconds: float

    @property
    def passed(self) -> bool:
        """True when every backend passed."""
        return bool(self.runs) and all(run.passed for run in self.runs)

    @property
    def reason(self) -> str:
        """Why it failed, per backend ('' when it passed)."""
        return "; ".join(f"{run.backend}: {run.reason}" for run in self.runs if not run.passed)


@dataclass
class VerificationRecord:
    """A verification in progress: how it ends (set by the work, or by the error that stops it)."""

    outcome: str = "failed"
    reason: str = ""


def check_stage(context: StageContext, engine: EngineFactory, say: Say) -> list[BackendRun]:
    """Check the stage's VMs (their endpoints) and container targets as its inventory names them."""
    hosts = list(context.inventory.hosts.values())
    vms = [host for host in hosts if host.strategy == "mutable"]
    containers = [host for host in hosts if host.strategy == "immutable"]
    endpoints = context.endpoints(vms)
    targets = container_targets_of(context.project, context.name, containers)
    return check_hosts(
        context.project.root, context.name, list(endpoints.values()), list(targets.values()), engine, say
    )


def verify_running_release(
    connection: sqlite3.Connection, project: Project, stage: str, engine: EngineFactory, say: Say
) -> StageVerification:
    """Verify the stage as the release it runs now names it, recorded against that release and deployment.

    A stage that runs no release is checked as the working tree names it. The caller holds the stage's lock.
    """
    current = current_deployment(deployments(connection, stage))
    release_id = current.release_id if current else None
    deployment_id = current.id if current else None
    row = get_release(connection, release_id) if release_id else None
    context = stage_context(project, stage, release_project(project, row)[0] if row is not None else None)
    verification_id = begin_verification(connection, stage, release_id, deployment_id)
    started = time.monotonic()
    runs: list[BackendRun] = []
    record = VerificationRecord()
    try:
        with outcome_of_errors(record):
            runs = check_stage(context, engine, say)
            done = StageVerification(verification_id, stage, release_id, deployment_id, tuple(runs), 0.0)
            record.outcome, record.reason = ("passed" if done.passed else "failed"), done.reason
    finally:
        seconds = time.monotonic() - started
        hosts = [host for run in runs for host in run.results]
        finish_verification(connection, verification_id, record.outcome, hosts, seconds=seconds, reason=record.reason)
    return StageVerification(verification_id, stage, release_id, deployment_id, tuple(runs), seconds)


def verify(project: Project, stage: str, engine: EngineFactory, say: Say) -> StageVerification:
    """Verify the stage under its lock (see `verify_running_release`)."""
    project.require_stage(stage)
    with closing(open_ledger(project.ledger)) as connection, stage_lock(connection, stage, "verify", say):
        return verify_running_release(connection, project, stage, engine, say)
