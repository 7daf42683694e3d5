"""Verifications in the ledger: a stage's testinfra run against a release, with passed and failed checks per host."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable

from deployctl.ledger.db import actor, now_iso, row_values, transaction
from deployctl.ledger.records import process_alive
from deployctl.model.records import VerificationHost, VerificationRow


def _row(row: sqlite3.Row) -> VerificationRow:
    return VerificationRow(**row_values(row, VerificationRow))


def begin_verification(
    connection: sqlite3.Connection, stage: str, release_id: str | None, deployment_id: int | None
) -> int:
    """Record that a verification of `stage` (running `release_id`) starts now; return its id."""
    with transaction(connection):
        cursor = connection.execute(
            "INSERT INTO verifications (stage, release_id, started_at, outcome, by, pid, machine, deployment_id)"
            " VALUES (?, ?, ?, 'running', ?, ?, ?, ?)",
            (stage, release_id, now_iso(), actor(), os.getpid(), socket.gethostname(), deployment_id),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finish_verification(
    connection: sqlite3.Connection,
    verification_id: int,
    outcome: str,
    hosts: Iterable[VerificationHost],
    *,
    seconds: float,
    reason: str = "",
) -> None:
    """Record how a verification ended, and each host's results."""
    with transaction(connection):
        connection.execute(
            "UPDATE verifications SET ended_at = ?, outcome = ?, seconds = ?, reason = ? WHERE id = ?",
            (now_iso(), outcome, round(seconds, 3), reason, verification_id),
        )
        connection.executemany(
            "INSERT OR REPLACE INTO verification_hosts (verification_id, host, backend, passed, failed, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (verification_id, h.host, h.backend, h.passed, h.failed, json.dumps(dict(h.detail), sort_keys=True))
                for h in hosts
            ],
        )


def verifications(connection: sqlite3.Connection, stage: str | None = None) -> list[VerificationRow]:
    """Verifications in the order they started, of one stage or all."""
    if stage is None:
        return [_row(r) for r in connection.execute("SELECT * FROM verifications ORDER BY id")]
    return [_row(r) for r in connection.execute("SELECT * FROM verifications WHERE stage = ? ORDER BY id", (stage,))]


def verification_hosts(connection: sqlite3.Connection, verification_id: int) -> list[VerificationHost]:
    """The per-host results of a verification."""
    rows = connection.execute(
        "SELECT host, backend, passed, failed, detail FROM verification_hosts WHERE verification_id = ? ORDER BY host",
        (verification_id,),
    )
    return [VerificationHost(r["host"], r["backend"], r["passed"], r["failed"], json.loads(r["detail"])) for r in rows]


def mark_verifications_interrupted(connection: sqlite3.Connection) -> list[VerificationRow]:
    """Mark `running` verifications whose process is gone as `interrupted`; return them."""
    running = [_row(r) for r in connection.execute("SELECT * FROM verifications WHERE outcome = 'running'")]
    dead = [v for v in running if not process_alive(v.pid, v.machine)]
    with transaction(connection):
        for verification in dead:
            connection.execute(
                "UPDATE verifications SET outcome = 'interrupted', ended_at = ?,"
                " reason = 'the process running it stopped before it finished' WHERE id = ? AND outcome = 'running'",
                (now_iso(), verification.id),
            )
    return dead
