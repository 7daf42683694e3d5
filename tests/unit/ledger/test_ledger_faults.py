"""Ledger faults: a damaged page, a full database, a failed commit, Ctrl-C and signals, and breaking a lock.

Every SQLite error is one LedgerError naming the ledger file; what must land (an outcome, a lock given
back) lands after a failed write; a lock held from another machine can be broken with a reason.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from deployctl.ledger.db import LedgerError, open_ledger, transaction
from deployctl.ledger.locks import StageLockedError, lock_holder, stage_lock
from deployctl.ledger.records import begin_deployment, deployments, finish_deployment
from deployctl.model.records import HostOutcome
from deployctl.operations.recording import DeploymentRecord, outcome_of_errors


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def damage_table(path: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage (the file header and the schema stay readable)."""
    raw = sqlite3.connect(path)
    page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    root = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


def test_a_damaged_page_is_a_ledger_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = open_ledger(path)
    begin_deployment(ledger, "qa", None, "apply", "mutable")
    ledger.close()
    damage_table(path, "deployments")
    ledger = open_ledger(path)
    with pytest.raises(LedgerError) as failed:
        deployments(ledger, "qa")
    assert str(failed.value).startswith(f"ledger {path}: database disk image is malformed")
    assert "restore it from a backup" in str(failed.value)


def test_a_full_ledger_rolls_back_and_still_gives_the_lock_back(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    began = begin_deployment(ledger, "uat", None, "deploy", "immutable")
    ledger.execute("PRAGMA max_page_count = " + str(ledger.execute("PRAGMA page_count").fetchone()[0]))
    huge = [HostOutcome(f"h{n}", "vm", "ok", {"log": "x" * 4000}) for n in range(20)]
    with pytest.raises(LedgerError) as failed, stage_lock(ledger, "uat", "deploy"):
        finish_deployment(ledger, began, "ok", huge)
    assert failed.value.full
    assert "database or disk is full: free space on its filesystem" in str(failed.value)
    assert not ledger.in_transaction
    assert lock_holder(ledger, "uat") is None
    finish_deployment(ledger, began, "failed", [], reason="small enough")
    assert deployments(ledger, "uat")[0].outcome == "failed"
    assert ledger.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_failed_write_leaves_nothing_half_written(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    with pytest.raises(LedgerError, match="no such table: nowhere"), transaction(ledger):
        ledger.execute("INSERT INTO stage_locks VALUES ('qa', 'deploy', 'a@b', 1, 'm', 't')")
        ledger.execute("INSERT INTO nowhere VALUES (1)")
    assert not ledger.in_transaction
    assert lock_holder(ledger, "qa") is None


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), SystemExit(143)])
def test_a_signal_marks_the_deployment_interrupted_and_releases_the_lock(tmp_path: Path, stop: BaseException) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    with pytest.raises(type(stop)), stage_lock(ledger, "prod", "promote"):
        began = begin_deployment(ledger, "prod", None, "promote", "both")
        record = DeploymentRecord(ledger, None, began)  # type: ignore[arg-type]
        try:
            with outcome_of_errors(record):
                raise stop
        finally:
            finish_deployment(ledger, began, record.outcome, [], reason=record.reason)
    assert deployments(ledger, "prod")[0].outcome == "interrupted"
    assert lock_holder(ledger, "prod") is None


def test_a_lock_from_another_machine_is_broken_with_a_reason_and_recorded(tmp_path: Path) -> None:
    from deployctl.ledger.locks import break_lock

    ledger = open_ledger(tmp_path / "ledger.db")
    left = begin_deployment(ledger, "prod", None, "promote", "both")
    ledger.execute("UPDATE deployments SET pid = 4242, machine = 'ci-runner-7' WHERE id = ?", (left,))
    ledger.execute("INSERT INTO stage_locks VALUES ('prod', 'promote', 'x@ci-runner-7', 4242, 'ci-runner-7', 't')")
    with pytest.raises(StageLockedError, match="`deployctl lock break --stage prod --reason TEXT` removes the lock"):
        stage_lock(ledger, "prod", "deploy").__enter__()
    holder, event = break_lock(ledger, "prod", "  runner 7 was destroyed ")
    assert holder.machine == "ci-runner-7"
    assert lock_holder(ledger, "prod") is None
    rows = {row.id: row for row in deployments(ledger, "prod")}
    assert rows[left].outcome == "interrupted"
    assert rows[left].reason == "its lock was broken: runner 7 was destroyed"
    assert rows[event].action == "lock-break"
    assert rows[event].outcome == "broken"
    assert rows[event].reason.startswith("runner 7 was destroyed (lock held by promote by x@ci-runner-7 (pid 4242")
    with stage_lock(ledger, "prod", "deploy") as held:
        assert held.command == "deploy"


def test_breaking_no_lock_or_a_live_local_one_is_refused(tmp_path: Path) -> None:
    from deployctl.ledger.locks import LockBreakError, break_lock

    ledger = open_ledger(tmp_path / "ledger.db")
    with pytest.raises(LockBreakError, match="stage qa is not locked"):
        break_lock(ledger, "qa", "why")
    with stage_lock(ledger, "qa", "verify"), pytest.raises(StageLockedError) as refused:
        break_lock(ledger, "qa", "why")
    assert refused.value.exit_code == 5
    ledger.execute(
        "INSERT INTO stage_locks VALUES ('uat', 'deploy', 'x@y', ?, ?, 't')", (_dead_pid(), socket.gethostname())
    )
    holder, _ = break_lock(ledger, "uat", "the process was killed")
    assert holder.command == "deploy"


def test_a_transaction_inside_another_joins_it(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    with pytest.raises(LedgerError, match="no such table: nowhere"), transaction(ledger):
        with transaction(ledger):
            ledger.execute("INSERT INTO stage_locks VALUES ('qa', 'deploy', 'a@b', 1, 'm', 't')")
        assert ledger.in_transaction  # the inner one did not commit
        ledger.execute("INSERT INTO nowhere VALUES (1)")
    assert not ledger.in_transaction
    assert lock_holder(ledger, "qa") is None
