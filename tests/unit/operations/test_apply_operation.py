"""The apply operation: a real run holds the stage's lock and is recorded; a check does neither."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import StageLockedError, lock_holder, stage_lock
from deployctl.ledger.records import deployments, list_releases
from deployctl.operations.apply import apply, plan_apply
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.results import TaskResult
from tests.unit.operations.conftest import write_vm_project


@pytest.mark.usefixtures("local_hosts")
def test_a_check_takes_no_lock_records_nothing_and_changes_nothing(tmp_path: Path) -> None:
    project = write_vm_project(tmp_path / "project", tmp_path / "target")
    plan = plan_apply(project, project.root / "playbooks" / "webapp.yml", "test", None)
    with closing(open_ledger(project.ledger)) as ledger, stage_lock(ledger, "test", "deploy"):
        result = apply(plan, RunOptions(check=True))  # the stage is locked: a check does not wait for it
        with pytest.raises(StageLockedError):
            apply(plan, RunOptions())  # a real run does
        assert deployments(ledger) == [] and list_releases(ledger) == []
    assert result.exit_code == 0
    assert [r.status for r in result.results] == ["changed"]
    assert not (tmp_path / "target" / "app.conf").exists()


@pytest.mark.usefixtures("local_hosts")
def test_a_run_is_recorded_as_an_apply_of_the_working_trees_release(tmp_path: Path) -> None:
    project = write_vm_project(tmp_path / "project", tmp_path / "target")
    plan = plan_apply(project, project.root / "playbooks" / "webapp.yml", "test", None)
    result = apply(plan, RunOptions())
    with closing(open_ledger(project.ledger)) as ledger:
        [deployment] = deployments(ledger, "test")
        [release] = list_releases(ledger)
        locks = ledger.execute("SELECT COUNT(*) FROM stage_locks").fetchone()[0]
    assert result.exit_code == 0
    assert (deployment.action, deployment.outcome, deployment.release_id) == ("apply", "ok", release.id)
    assert locks == 0  # given back


@pytest.mark.usefixtures("local_hosts")
def test_a_run_writes_the_ledger_in_one_commit_to_start_and_one_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_vm_project(tmp_path / "project", tmp_path / "target")
    plan = plan_apply(project, project.root / "playbooks" / "webapp.yml", "test", None)
    statements: list[str] = []
    seen_while_running: list[tuple[str | None, str]] = []

    def traced(path: Path) -> sqlite3.Connection:
        connection = open_ledger(path)
        connection.set_trace_callback(statements.append)
        return connection

    def look(result: TaskResult) -> None:  # another reader sees the lock and the deployment while the run goes on
        with closing(open_ledger(project.ledger)) as other:
            holder = lock_holder(other, "test")
            seen_while_running.append((holder and holder.command, deployments(other, "test")[-1].outcome))

    monkeypatch.setattr("deployctl.operations.apply.open_ledger", traced)
    for _ in range(2):  # the first run records the release, the second finds it
        statements.clear()
        assert apply(plan, RunOptions(), emit=look).exit_code == 0
        assert [s for s in statements if s in ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")] == [
            "BEGIN IMMEDIATE",
            "COMMIT",
        ] * 2
    assert seen_while_running == [("apply", "running")] * 2
    with closing(open_ledger(project.ledger)) as ledger:
        assert [d.outcome for d in deployments(ledger, "test")] == ["ok", "ok"]
        assert len(list_releases(ledger)) == 1
        assert lock_holder(ledger, "test") is None


@pytest.mark.usefixtures("local_hosts")
def test_an_interrupted_run_is_recorded_so_and_gives_the_lock_back(tmp_path: Path) -> None:
    project = write_vm_project(tmp_path / "project", tmp_path / "target")
    plan = plan_apply(project, project.root / "playbooks" / "webapp.yml", "test", None)

    def stop(result: TaskResult) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply(plan, RunOptions(), emit=stop)
    with closing(open_ledger(project.ledger)) as ledger:
        [deployment] = deployments(ledger, "test")
        assert (deployment.outcome, deployment.reason) == ("interrupted", "interrupted by the user")
        assert lock_holder(ledger, "test") is None
