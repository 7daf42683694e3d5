"""Stage locks (held, refused with who and since when, recovered from a dead process) and verifications."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import StageLockedError, all_locks, lock_holder, stage_lock
from deployctl.ledger.records import begin_deployment, deployments
from deployctl.ledger.verifications import begin_verification, finish_verification, verification_hosts, verifications
from deployctl.model.records import VerificationHost
from deployctl.operations.recording import deployment_outcome, strategy_of


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_a_held_stage_refuses_a_second_command_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    first, second = open_ledger(path), open_ledger(path)
    with stage_lock(first, "uat", "promote"):
        with pytest.raises(StageLockedError) as refused, stage_lock(second, "uat", "deploy"):
            pytest.fail("the lock was taken twice")
        message = str(refused.value)
        assert "stage uat is locked: promote by" in message
        assert f"(pid {__import__('os').getpid()} on {socket.gethostname()}) since 20" in message
        assert "`deploy` refused" in message
        assert refused.value.exit_code == 5
        with stage_lock(second, "qa", "verify"):  # another stage is free
            assert {lock.stage for lock in all_locks(first)} == {"uat", "qa"}
    assert lock_holder(first, "uat") is None
    with stage_lock(second, "uat", "deploy") as held:
        assert held.command == "deploy"


def test_the_lock_of_a_killed_process_is_taken_over_and_its_work_marked_interrupted(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    dead = _dead_pid()
    ledger.execute(
        "INSERT INTO stage_locks VALUES ('uat', 'promote', 'x@y', ?, ?, '2026-01-01T00:00:00')",
        (dead, socket.gethostname()),
    )
    left = begin_deployment(ledger, "uat", None, "promote", "both")
    checking = begin_verification(ledger, "uat", None, left)
    ledger.execute("UPDATE deployments SET pid = ? WHERE id = ?", (dead, left))
    ledger.execute("UPDATE verifications SET pid = ? WHERE id = ?", (dead, checking))
    messages: list[str] = []
    with stage_lock(ledger, "uat", "promote", messages.append) as held:
        assert held.pid != dead
    assert messages[0].startswith("stage uat: taking over the lock of promote by x@y (pid")
    assert f"deployment #{left} (promote to uat) marked interrupted" in messages
    assert deployments(ledger, "uat")[0].outcome == "interrupted"
    assert verifications(ledger, "uat")[0].outcome == "interrupted"


def test_a_lock_held_on_another_machine_is_never_taken_over(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    ledger.execute("INSERT INTO stage_locks VALUES ('prod', 'deploy', 'x@ci', ?, 'ci-runner-7', 't')", (_dead_pid(),))
    with pytest.raises(StageLockedError, match="deploy by x@ci"), stage_lock(ledger, "prod", "promote"):
        pass


def test_a_verification_records_each_host_s_checks(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    found = begin_verification(ledger, "qa", None, None)
    hosts = [VerificationHost("qa-vm1", "ssh", 12, 0), VerificationHost("qa-vm2", "ssh", 11, 1, {"failures": ["t"]})]
    finish_verification(ledger, found, "failed", hosts, seconds=3.21, reason="1 checks failed on qa-vm2")
    row = verifications(ledger, "qa")[0]
    assert (row.outcome, row.seconds, row.reason) == ("failed", 3.21, "1 checks failed on qa-vm2")
    assert verification_hosts(ledger, found) == hosts


@pytest.mark.parametrize(
    ("apply_exit", "rollouts", "outcome"),
    [
        (0, ["deployed"], "ok"),
        (0, ["unchanged"], "ok"),
        (None, ["deployed", "rolled_back"], "rolled_back"),
        (2, ["deployed"], "failed"),
        (3, [], "stopped"),
        (0, ["failed", "rolled_back"], "failed"),
        (None, [], "failed"),
    ],
)
def test_a_deployment_s_outcome_is_its_worst_part(apply_exit: int | None, rollouts: list[str], outcome: str) -> None:
    assert deployment_outcome(apply_exit, rollouts) == outcome


def test_the_strategy_says_what_a_deployment_reaches() -> None:
    assert [strategy_of(1, 1), strategy_of(2, 0), strategy_of(0, 1)] == ["both", "mutable", "immutable"]
