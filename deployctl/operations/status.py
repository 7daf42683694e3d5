"""The `status` use case: per stage what runs, verified or not, drift or not, and who holds its lock (ledger only)."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from contextlib import closing
from dataclasses import dataclass

from deployctl.ledger.db import open_ledger
from deployctl.ledger.drift import latest_stage_scan
from deployctl.ledger.locks import StageLock, all_locks
from deployctl.ledger.records import deployments, process_alive
from deployctl.ledger.verifications import verifications
from deployctl.model.project import Project
from deployctl.pipeline.status import StageSummary, summarize_stage


@dataclass(frozen=True)
class HeldLock:
    """A stage's lock, and what can be told of its holder from here."""

    lock: StageLock
    from_another_machine: bool
    """Held from another machine: whether its process still runs cannot be seen (`lock break` if it is gone)."""
    holder_gone: bool
    """Held on this machine by a process that is gone: the next command takes the lock over."""


@dataclass(frozen=True)
class PipelineStatus:
    """Every stage's summary in pipeline order, and the locks held now by stage."""

    summaries: tuple[StageSummary, ...]
    locks: Mapping[str, HeldLock]


def held_lock(lock: StageLock) -> HeldLock:
    """The lock with whether it is held from another machine, or by a process of this machine that is gone."""
    elsewhere = lock.machine != socket.gethostname()
    return HeldLock(lock, elsewhere, not elsewhere and not process_alive(lock.pid, lock.machine))


def pipeline_status(project: Project) -> PipelineStatus:
    """Every stage's deployments, verifications, newest drift scan and lock, from the ledger (no host contacted)."""
    with closing(open_ledger(project.ledger)) as connection:
        summaries = []
        for stage in project.stages:
            rows = deployments(connection, stage)
            alive = {row.id: process_alive(row.pid, row.machine) for row in rows if row.outcome == "running"}
            scan = latest_stage_scan(connection, stage)
            summaries.append(summarize_stage(stage, rows, verifications(connection, stage), scan, alive))
        locks = {lock.stage: held_lock(lock) for lock in all_locks(connection)}
    return PipelineStatus(tuple(summaries), locks)
