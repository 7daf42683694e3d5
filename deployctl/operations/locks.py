"""The `lock break` use case: remove a stage lock whose holder is gone, recorded in the stage's history."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass

from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import StageLock, break_lock
from deployctl.model.project import Project


@dataclass(frozen=True)
class BrokenLock:
    """A lock removed: whose it was, the `lock-break` event recorded, and the reason given."""

    stage: str
    holder: StageLock
    event_id: int
    reason: str


def break_stage_lock(project: Project, stage: str, reason: str) -> BrokenLock:
    """Break the lock on `stage` (refused while its holder runs on this machine); what it left running is
    marked interrupted."""
    name = project.require_stage(stage)
    with closing(open_ledger(project.ledger)) as connection:
        holder, event_id = break_lock(connection, name, reason)
    return BrokenLock(name, holder, event_id, reason.strip())
