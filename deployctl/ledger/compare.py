"""`deployctl compare` runs in the ledger: one row per run, the scorecard kept as its JSON."""

from __future__ import annotations

import sqlite3

from deployctl.ledger.db import actor, row_values, transaction
from deployctl.model.records import CompareRunRow


def save_compare_run(
    connection: sqlite3.Connection,
    stage: str,
    from_release: str,
    to_release: str,
    started_at: str,
    seconds: float,
    scorecard: str,
) -> int:
    """Record a finished compare run with its scorecard (JSON text); return its id."""
    with transaction(connection):
        cursor = connection.execute(
            "INSERT INTO compare_runs (stage, from_release, to_release, started_at, seconds, by, scorecard)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (stage, from_release, to_release, started_at, seconds, actor(), scorecard),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def compare_runs(connection: sqlite3.Connection, stage: str | None = None) -> list[CompareRunRow]:
    """Compare runs, oldest first (of one stage, or all)."""
    if stage:
        rows = connection.execute("SELECT * FROM compare_runs WHERE stage = ? ORDER BY id", (stage,))
    else:
        rows = connection.execute("SELECT * FROM compare_runs ORDER BY id")
    return [CompareRunRow(**row_values(row, CompareRunRow)) for row in rows]
