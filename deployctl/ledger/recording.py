"""Record a command's deployment in the ledger around the work it does (the edge `apply` and `deploy` share)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import HostOutcome, ReleaseRow, begin_deployment, finish_deployment
from deployctl.model.project import Project
from deployctl.release.store import make_release


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
            release = make_release(connection, project, playbook)
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
            finish_deployment(
                connection,
                deployment_id,
                record.outcome,
                record.hosts,
                reason=record.reason,
                requests_sent=record.requests_sent,
                requests_failed=record.requests_failed,
            )
    finally:
        if owned:
            connection.close()
