"""`promote` interrupted on the lab: Ctrl-C (SIGINT) and SIGKILL in the middle of its deployment.

Ctrl-C: exit 130, the deployment `interrupted`, the lock given back. SIGKILL: nothing can run, so the
deployment is left `running` with the lock of a dead process; the next command takes the lock over and marks
it `interrupted`. Either way the next promotion converges and the ledger loses nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployctl.lab.state import LabState
from tests.conftest import REPO
from tests.reliability.conftest import DEADLINE, assert_ledger_sound, ok, start, wait_for, write_config

pytestmark = [pytest.mark.integration, pytest.mark.reliability]


@pytest.fixture(scope="module")
def pipeline(lab: LabState, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project copy (with the verification checks) whose release runs in dev, verified: ready to promote."""
    root = tmp_path_factory.mktemp("interrupts") / "project"
    root.mkdir()
    for folder in ("playbooks", "inventories", "images"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "tests").mkdir()
    shutil.copytree(REPO / "tests" / "infra", root / "tests" / "infra")
    shutil.copy(REPO / "tests" / "conftest.py", root / "tests" / "conftest.py")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    write_config(root, "ledger.db")
    release = json.loads(ok(root, "release", "create", "--format", "json").stdout)["id"]
    ok(root, "deploy", "--stage", "dev", "--release", release)
    ok(root, "verify", "--stage", "dev")
    yield root


def running_deployment(root: Path, stage: str) -> tuple[int, int] | None:
    """(id, pid) of the stage's deployment recorded as running, if any."""
    with sqlite3.connect(root / "ledger.db") as ledger:
        row = ledger.execute(
            "SELECT id, pid FROM deployments WHERE stage = ? AND outcome = 'running'", (stage,)
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def promote_until_it_deploys(root: Path, stage: str) -> tuple[subprocess.Popen[str], int]:
    """Start `promote --stage S`; return it and its deployment's id once that is recorded as running."""
    promoting = start(root, "promote", "--stage", stage)

    def deploying() -> bool:
        assert promoting.poll() is None, promoting.communicate()
        return running_deployment(root, stage) is not None

    wait_for(f"the promotion to {stage} to start deploying", deploying)
    found = running_deployment(root, stage)
    assert found is not None and found[1] == promoting.pid
    return promoting, found[0]


def deployment(root: Path, deployment_id: int) -> tuple[str, str]:
    with sqlite3.connect(root / "ledger.db") as ledger:
        outcome, reason = ledger.execute(
            "SELECT outcome, reason FROM deployments WHERE id = ?", (deployment_id,)
        ).fetchone()
    return str(outcome), str(reason)


def test_ctrl_c_during_promote_marks_it_interrupted_releases_the_lock_and_exits_130(pipeline: Path) -> None:
    promoting, deployment_id = promote_until_it_deploys(pipeline, "qa")
    os.killpg(promoting.pid, signal.SIGINT)
    _, err = promoting.communicate(timeout=DEADLINE)
    assert promoting.returncode == 130, err
    assert "Traceback" not in err, err
    assert deployment(pipeline, deployment_id) == ("interrupted", "interrupted by the user")
    assert_ledger_sound(pipeline / "ledger.db")
    ok(pipeline, "promote", "--stage", "qa")
    assert_ledger_sound(pipeline / "ledger.db")


def test_sigkill_during_promote_leaves_a_lock_the_next_promotion_takes_over(pipeline: Path) -> None:
    ok(pipeline, "promote", "--stage", "qa")  # converged and verified (whatever the test before did)
    promoting, deployment_id = promote_until_it_deploys(pipeline, "uat")
    os.killpg(promoting.pid, signal.SIGKILL)
    promoting.communicate(timeout=60)
    status = {row["stage"]: row for row in json.loads(ok(pipeline, "status", "--format", "json").stdout)}
    assert status["uat"]["lock_holder"]["pid"] == promoting.pid
    assert "interrupted (its process is gone)" in status["uat"]["in_progress"]
    recovered = ok(pipeline, "promote", "--stage", "uat")
    assert f"deployment #{deployment_id} (promote to uat) marked interrupted" in recovered.stderr
    assert deployment(pipeline, deployment_id)[0] == "interrupted"
    assert_ledger_sound(pipeline / "ledger.db")
