"""Stage locks: one command at a time changes or checks a stage (deploy, promote, verify, rollback, drift --fix).

A lock is a row of `stage_locks` (the stage is the primary key: inserting it acquires, a conflict means it
is held). A lock whose process is gone (killed on this machine) is taken over, and what that process left
`running` in the ledger is marked `interrupted`. A lock held from another machine cannot be checked from
here: `deployctl lock break` removes it, with a reason, recorded as a `lock-break` event of the stage.
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
            f"stage {holder.stage} is locked: {holder.describe()}; `{command}` refused ({_advice(holder)})"
        )
        self.holder = holder


class LockBreakError(DeployctlError):
    """A lock that cannot be broken: none is held, or its process runs here."""


def _advice(holder: StageLock) -> str:
    if holder.machine == socket.gethostname():
        return "wait for it to finish; the lock of a process that stopped is recovered by the next command"
    return (
        f"wait for it to finish; if that process is gone from {holder.machine}, "
        f"`deployctl lock break --stage {holder.stage} --reason TEXT` removes the lock"
    )


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
    """Give the lock back (only if it is still ours).

    When the ledger cannot be written (a full disk), the lock stays with this process's id: once it has
    exited, the next command takes the lock over and marks what it left running `interrupted`.
    """
    with transaction(connection):
        connection.execute(
            "DELETE FROM stage_locks WHERE stage = ? AND pid = ? AND machine = ? AND acquired_at = ?",
            (held.stage, held.pid, held.machine, held.acquired_at),
        )


def break_lock(connection: sqlite3.Connection, stage: str, reason: str) -> tuple[StageLock, int]:
    """Remove the lock on `stage` whoever holds it; return it and the id of the `lock-break` event recorded.

    What the holder left `running` on the stage is marked `interrupted`. A lock whose process runs on
    this machine is refused (stop the process instead: its lock is then recovered by the next command).
    """
    why = reason.strip()
    with transaction(connection):
        holder = lock_holder(connection, stage)
        if holder is None:
            raise LockBreakError(f"stage {stage} is not locked: nothing to break")
        if holder.machine == socket.gethostname() and process_alive(holder.pid, holder.machine):
            raise StageLockedError(holder, "lock break")
        connection.execute("DELETE FROM stage_locks WHERE stage = ?", (stage,))
        ended = now_iso()
        connection.execute(
            "UPDATE deployments SET outcome = 'interrupted', ended_at = ?, reason = ?"
            " WHERE stage = ? AND outcome = 'running' AND pid = ? AND machine = ?",
            (ended, f"its lock was broken: {why}", stage, holder.pid, holder.machine),
        )
        cursor = connection.execute(
            "INSERT INTO deployments (stage, release_id, action, strategy, started_at, ended_at, outcome, reason,"
            " by, pid, machine) VALUES (?, NULL, 'lock-break', 'none', ?, ?, 'broken', ?, ?, ?, ?)",
            (
                stage,
                ended,
                ended,
                f"{why} (lock held by {holder.describe()})",
                actor(),
                os.getpid(),
                socket.gethostname(),
            ),
        )
    assert cursor.lastrowid is not None
    return holder, cursor.lastrowid


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
