"""Open the ledger (SQLite, WAL mode), bring its schema up to date, and say who and when."""

from __future__ import annotations

import getpass
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deployctl.errors import DeployctlError
from deployctl.ledger.schema import MIGRATIONS

BUSY_TIMEOUT_MS = 10_000


class LedgerError(DeployctlError):
    """The ledger cannot be opened or is newer than this deployctl."""


def now_iso() -> str:
    """The current time, UTC, ISO 8601 to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def actor() -> str:
    """Who runs this command: user@machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def row_values(row: sqlite3.Row, record: type[Any]) -> dict[str, Any]:
    """A row's columns that are fields of the dataclass `record` (columns later migrations add are left out)."""
    names = {field.name for field in fields(record)}
    return {key: row[key] for key in row.keys() if key in names}  # noqa: SIM118 (a Row iterates values, not keys)


def latest_version() -> int:
    """The schema version this deployctl writes."""
    return MIGRATIONS[-1][0]


def migrate(connection: sqlite3.Connection) -> int:
    """Apply every migration newer than the database's version, each in its own transaction; return the version."""
    current = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if current > latest_version():
        raise LedgerError(
            f"the ledger's schema is version {current}, newer than this deployctl knows ({latest_version()}): "
            "upgrade deployctl"
        )
    for version, script in MIGRATIONS:
        if version <= current:
            continue
        # executescript commits first; BEGIN IMMEDIATE makes the migration and its version bump atomic.
        connection.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
        current = version
    return current


def open_ledger(path: Path) -> sqlite3.Connection:
    """Open (creating it when missing) the ledger at `path`, in WAL mode, migrated to the latest schema.

    The connection is in autocommit mode: group writes with `transaction()`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        connection.row_factory = sqlite3.Row
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        migrate(connection)
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{path}: cannot open the ledger: {exc}") from exc
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE), committed on success, rolled back on error."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
