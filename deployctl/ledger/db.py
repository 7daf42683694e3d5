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
from deployctl.statedir import create_private_file

BUSY_TIMEOUT_MS = 10_000


class LedgerError(DeployctlError):
    """The ledger cannot be opened, read or written (what SQLite said, and the ledger file), or is too new."""

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


def ledger_failure(path: str, error: sqlite3.Error) -> LedgerError:
    """One line for an SQLite error: the ledger file, what SQLite said, and what to do when it is known."""
    said = str(error) or type(error).__name__
    code = getattr(error, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL or "disk is full" in said:
        return LedgerError(
            f"ledger {path}: {said}: free space on its filesystem and run the command again "
            "(it takes over a lock this one could not give back)",
            full=True,
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in said or "not a database" in said:
        return LedgerError(
            f"ledger {path}: {said}: the file is damaged; restore it from a backup "
            f"(`sqlite3 {path} .recover` may save what is readable)"
        )
    return LedgerError(f"ledger {path}: {said}")


class LedgerCursor(sqlite3.Cursor):
    """A cursor whose SQLite errors are LedgerErrors naming the ledger file (the store's one edge)."""

    def _failure(self, error: sqlite3.Error) -> LedgerError:
        connection = self.connection
        path = connection.path if isinstance(connection, LedgerConnection) else "?"
        return ledger_failure(path, error)

    def execute(self, sql: str, parameters: Any = (), /) -> LedgerCursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.Error as error:
            raise self._failure(error) from error
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> LedgerCursor:
        try:
            super().executemany(sql, seq_of_parameters)
        except sqlite3.Error as error:
            raise self._failure(error) from error
        return self

    def executescript(self, sql_script: str, /) -> LedgerCursor:
        try:
            super().executescript(sql_script)
        except sqlite3.Error as error:
            raise self._failure(error) from error
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as error:
            raise self._failure(error) from error

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(size if size is not None else self.arraysize)
        except sqlite3.Error as error:
            raise self._failure(error) from error

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as error:
            raise self._failure(error) from error

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as error:
            raise self._failure(error) from error


class LedgerConnection(sqlite3.Connection):
    """A connection to the ledger: every statement runs on a LedgerCursor (SQLite errors become LedgerErrors)."""

    path = "?"

    def cursor(self, factory: Any = LedgerCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> LedgerCursor:
        cursor: LedgerCursor = self.cursor()
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> LedgerCursor:
        cursor: LedgerCursor = self.cursor()
        return cursor.executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str, /) -> LedgerCursor:
        cursor: LedgerCursor = self.cursor()
        return cursor.executescript(sql_script)

    def close(self) -> None:
        try:
            super().close()
        except sqlite3.Error as error:
            raise ledger_failure(self.path, error) from error


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
    """Open (creating it, owner-only, when missing) the ledger at `path`, in WAL mode, migrated to the latest schema.

    The connection is in autocommit mode: group writes with `transaction()`. Every SQLite error it raises
    later is a LedgerError naming the file.
    """
    try:
        create_private_file(path)
    except OSError as exc:
        raise LedgerError(f"ledger {path}: cannot create it: {exc.strerror or exc}") from exc
    try:
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, factory=LedgerConnection
        )
    except sqlite3.Error as exc:
        raise ledger_failure(str(path), exc) from exc
    assert isinstance(connection, LedgerConnection)
    connection.path = str(path)
    try:
        connection.row_factory = sqlite3.Row
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        migrate(connection)
    except LedgerError:
        connection.close()
        raise
    return connection


def _rollback(connection: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already (it does after a full disk or an I/O error)."""
    if connection.in_transaction:
        connection.execute("ROLLBACK")


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE), committed on success, rolled back on error.

    A failed COMMIT is rolled back too: the ledger keeps what it had before the transaction, never half of it.
    Inside another transaction it joins that one, which commits (or rolls back) the whole: writes that belong
    together are grouped by the caller into one commit.
    """
    if connection.in_transaction:
        yield connection
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
        connection.execute("COMMIT")
    except BaseException as error:
        try:
            _rollback(connection)
        except LedgerError as failed:
            raise failed from error
        raise
