"""Stage locks: one command at a time changes or checks a stage (deploy, promote, verify, rollback, drift --fix).

A lock is a row of `stage_locks` (the stage is the primary key: inserting it acquires, a conflict means it
is held). A lock whose process is gone (killed on this machine) is taken over, and what that process left
`running` in the ledger is marked `interrupted`.
"""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from deployctl.errors import DeployctlError
from deployctl.ledger.db import actor, now_iso, transaction
from deployctl.ledger.records import mark_interrupted, process_alive
from deployctl.ledger.verifications import mark_verifications_interrupted

LOCK_HELD_EXIT = 5


@dataclass(frozen=True)
class StageLock:
    """Who holds a stage: the command, user@machine, process id, machine and since when."""

    stage: str
    command: str
    by: str
    pid: int
    machine: str
    acquired_at: str

    def describe(self) -> str:
        """`promote by alice@ci (pid 123) since 2026-...`."""
        return f"{self.command} by {self.by} (pid {self.pid} on {self.machine}) since {self.acquired_at}"


class StageLockedError(DeployctlError):
    """Another command holds the stage."""

    exit_code = LOCK_HELD_EXIT

    def __init__(self, holder: StageLock, command: str) -> None:
        super().__init__(
            f"stage {holder.stage} is locked: {holder.describe()}; `{command}` refused "
            "(wait for it to finish; the lock of a process that stopped is recovered by the next command)"
        )
        self.holder = holder


def lock_holder(connection: sqlite3.Connection, stage: str) -> StageLock | None:
    """The lock on `stage`, if any."""
    row = connection.execute(
        "SELECT stage, command, by, pid, machine, acquired_at FROM stage_locks WHERE stage = ?", (stage,)
    ).fetchone()
    return StageLock(*row) if row is not None else None


def all_locks(connection: sqlite3.Connection) -> list[StageLock]:
    """Every lock held now, by stage."""
    rows = connection.execute("SELECT stage, command, by, pid, machine, acquired_at FROM stage_locks ORDER BY stage")
    return [StageLock(*row) for row in rows]


def acquire(connection: sqlite3.Connection, stage: str, command: str, say: Callable[[str], None]) -> StageLock:
    """Take the lock on `stage` for `command`, taking over one left by a dead process; else StageLockedError."""
    mine = StageLock(stage, command, actor(), os.getpid(), socket.gethostname(), now_iso())
    with transaction(connection):
        found = lock_holder(connection, stage)
        stale = found is not None and not process_alive(found.pid, found.machine)
        if found is not None and not stale:
            raise StageLockedError(found, command)
        connection.execute("DELETE FROM stage_locks WHERE stage = ?", (stage,))
        connection.execute(
            "INSERT INTO stage_locks (stage, command, by, pid, machine, acquired_at) VALUES (?, ?, ?, ?, ?, ?)",
            (mine.stage, mine.command, mine.by, mine.pid, mine.machine, mine.acquired_at),
        )
    if found is not None:
        say(f"stage {stage}: taking over the lock of {found.describe()}: that process is gone")
        for deployment in mark_interrupted(connection):
            say(f"deployment #{deployment.id} ({deployment.action} to {deployment.stage}) marked interrupted")
        for verification in mark_verifications_interrupted(connection):
            say(f"verification #{verification.id} of {verification.stage} marked interrupted")
    return mine


def release(connection: sqlite3.Connection, held: StageLock) -> None:
    """Give the lock back (only if it is still ours)."""
    with transaction(connection):
        connection.execute(
            "DELETE FROM stage_locks WHERE stage = ? AND pid = ? AND machine = ? AND acquired_at = ?",
            (held.stage, held.pid, held.machine, held.acquired_at),
        )


@contextmanager
def stage_lock(
    connection: sqlite3.Connection, stage: str, command: str, say: Callable[[str], None] | None = None
) -> Iterator[StageLock]:
    """Hold the lock on `stage` for the duration of the block (the block must not close `connection`)."""
    held = acquire(connection, stage, command, say or (lambda _message: None))
    try:
        yield held
    finally:
        release(connection, held)
