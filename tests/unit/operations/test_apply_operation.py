"""The apply operation: a real run holds the stage's lock and is recorded; a check does neither."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import StageLockedError, stage_lock
from deployctl.ledger.records import deployments, list_releases
from deployctl.operations.apply import apply, plan_apply
from deployctl.strategies.hostrun import RunOptions
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
