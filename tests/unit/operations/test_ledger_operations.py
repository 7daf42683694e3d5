"""History, drift history, lock break and lock holders in status: read from (and written to) a ledger the test fills."""

from __future__ import annotations

import os
import socket
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from deployctl.errors import DeployctlError
from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import LockBreakError, StageLockedError, lock_holder
from deployctl.ledger.records import begin_deployment, deployments, finish_deployment
from deployctl.ledger.verifications import begin_verification, finish_verification
from deployctl.model.project import Project, load_project
from deployctl.operations.history import drift_history, stage_history
from deployctl.operations.locks import break_stage_lock
from deployctl.operations.status import pipeline_status

GONE_PID = 2**22 + 7
"""A pid above the kernel's default pid_max: no process of this machine has it."""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "inventories").mkdir()
    (tmp_path / "deployctl.yml").write_text("stages: [dev, qa]\n")
    for stage in ("dev", "qa"):
        (tmp_path / "inventories" / f"{stage}.yml").write_text(f"all:\n  hosts:\n    {stage}-vm1:\n")
    return load_project(tmp_path)


def ledger(project: Project) -> closing[sqlite3.Connection]:
    return closing(open_ledger(project.ledger))


def deployed(connection: sqlite3.Connection, stage: str, action: str, at: str) -> int:
    deployment = begin_deployment(connection, stage, None, action, "mutable")
    finish_deployment(connection, deployment, "succeeded", [])
    connection.execute("UPDATE deployments SET started_at = ? WHERE id = ?", (at, deployment))
    return deployment


def lock(connection: sqlite3.Connection, stage: str, pid: int, machine: str) -> None:
    connection.execute(
        "INSERT INTO stage_locks VALUES (?, 'deploy', 'ci@runner', ?, ?, '2026-01-02T03:04')", (stage, pid, machine)
    )
    connection.commit()


def test_stage_history_is_deployments_and_verifications_oldest_first(project: Project) -> None:
    with ledger(project) as connection:
        applied = deployed(connection, "dev", "apply", "2026-01-01T10:00")
        promoted = deployed(connection, "qa", "promote", "2026-01-01T12:00")
        verified = begin_verification(connection, "dev", None, applied)
        finish_verification(connection, verified, "passed", [], seconds=1.5)
        connection.execute("UPDATE verifications SET started_at = '2026-01-01T11:00' WHERE id = ?", (verified,))
        connection.commit()
    assert [(e.stage, e.event, e.outcome) for e in stage_history(project, None)] == [
        ("dev", f"apply #{applied}", "succeeded"),
        ("dev", f"verify #{verified}", "passed"),
        ("qa", f"promote #{promoted}", "succeeded"),
    ]
    assert [e.event for e in stage_history(project, "dev")] == [f"apply #{applied}", f"verify #{verified}"]
    assert stage_history(project, "dev")[1].detail == f"deployment #{applied}, 1.5 s"
    with pytest.raises(DeployctlError, match="unknown stage 'prod'"):
        stage_history(project, "prod")


def test_drift_history_counts_hosts_per_scan_stage_and_strategy(project: Project) -> None:
    with ledger(project) as connection:
        for scan in (1, 2, 3):
            connection.execute(
                "INSERT INTO drift_scans (id, stages, started_at, outcome, by) VALUES (?, 'dev,qa', ?, 'drift', 'me')",
                (scan, f"2026-01-0{scan}T00:00"),
            )
            for stage, host, status, items in (("dev", "dev-vm1", "drifted", 2), ("qa", "qa-vm1", "unreachable", 0)):
                connection.execute(
                    "INSERT INTO drift_hosts (scan_id, stage, host, target, strategy, inventory_host, status, items,"
                    " ignored) VALUES (?, ?, ?, 'vm', 'mutable', ?, ?, ?, 1)",
                    (scan, stage, host, host, status, items),
                )
        connection.commit()
    rows = drift_history(project, "dev", 2)
    assert [(r.scan_id, r.stage, r.hosts, r.drifted, r.failed, r.items, r.ignored) for r in rows] == [
        (2, "dev", 1, 1, 0, 2, 1),
        (3, "dev", 1, 1, 0, 2, 1),
    ]
    assert [(r.scan_id, r.stage, r.failed) for r in drift_history(project, None, 1)] == [(3, "dev", 0), (3, "qa", 1)]


def test_a_lock_from_another_machine_is_broken_and_recorded(project: Project) -> None:
    with ledger(project) as connection:
        left = begin_deployment(connection, "qa", None, "deploy", "mutable")
        connection.execute("UPDATE deployments SET pid = 4242, machine = 'runner-7' WHERE id = ?", (left,))
        lock(connection, "qa", 4242, "runner-7")
    broken = break_stage_lock(project, "qa", "  runner gone \n")
    assert (broken.stage, broken.holder.machine, broken.holder.pid, broken.reason) == (
        "qa",
        "runner-7",
        4242,
        "runner gone",
    )
    with ledger(project) as connection:
        assert lock_holder(connection, "qa") is None
        rows = {row.id: row for row in deployments(connection, "qa")}
    assert rows[left].outcome == "interrupted"
    assert (rows[broken.event_id].action, rows[broken.event_id].outcome) == ("lock-break", "broken")
    assert "runner gone" in (rows[broken.event_id].reason or "")
    with pytest.raises(LockBreakError, match="stage qa is not locked"):
        break_stage_lock(project, "qa", "again")


def test_a_lock_whose_holder_runs_here_is_not_broken(project: Project) -> None:
    with ledger(project) as connection:
        lock(connection, "dev", os.getpid(), socket.gethostname())
    with pytest.raises(StageLockedError):
        break_stage_lock(project, "dev", "impatient")
    with pytest.raises(DeployctlError, match="unknown stage 'prod'"):
        break_stage_lock(project, "prod", "no such stage")


def test_status_tells_where_each_lock_holder_is(project: Project) -> None:
    with ledger(project) as connection:
        lock(connection, "dev", 4242, "runner-7")
        lock(connection, "qa", GONE_PID, socket.gethostname())
    locks = pipeline_status(project).locks
    assert (locks["dev"].from_another_machine, locks["dev"].holder_gone) == (True, False)
    assert (locks["qa"].from_another_machine, locks["qa"].holder_gone) == (False, True)
    with ledger(project) as connection:
        connection.execute("UPDATE stage_locks SET pid = ? WHERE stage = 'qa'", (os.getpid(),))
        connection.commit()
    assert (pipeline_status(project).locks["qa"].holder_gone) is False
