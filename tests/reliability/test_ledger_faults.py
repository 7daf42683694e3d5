"""Faults of the controller's ledger on the real lab: a damaged page, a full filesystem, a lock held from
another machine, two commands on one stage at once.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    assert_ledger_sound,
    ok,
    one_line_error,
    outcomes,
    run,
    start,
    wait_for,
    write_config,
    write_playbook,
)
from tests.unit.ledger.test_ledger_faults import damage_table

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

QUICK = """\
- name: a quick change on dev
  hosts: dev-vm1
  gather_facts: false
  tasks:
    - name: leave a marker
      copy: content="reliability\\n" dest=/tmp/deployctl-reliability-quick.marker
"""

SLOW = """\
- name: a slow run on dev
  hosts: dev-vm1
  gather_facts: false
  tasks:
    - name: take a few seconds
      command: sleep 6
"""


def test_a_damaged_ledger_page_is_one_line_exit_1_and_a_restored_ledger_converges(copy: Path) -> None:
    book = write_playbook(copy, "quick.yml", QUICK)
    ok(copy, "apply", str(book), "--stage", "dev")
    ledger = copy / "ledger.db"
    backup = copy / "ledger.backup.db"
    with sqlite3.connect(ledger) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    damage_table(ledger, "deployments")
    for args in (("history",), ("status",), ("apply", str(book), "--stage", "dev")):
        done = run(copy, *args)
        assert done.returncode == 1, (args, done.stderr)
        line = one_line_error(done.stderr)
        assert line.startswith(f"deployctl: error: ledger {ledger}: database disk image is malformed"), line
    shutil.copy(backup, ledger)
    ok(copy, "apply", str(book), "--stage", "dev")
    assert_ledger_sound(ledger)
    assert outcomes(ledger, "dev") == [("apply", "ok"), ("apply", "ok")]


@pytest.fixture
def small_disk(copy: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted in the copy, holding its ledger; unmounted afterwards."""
    disk = copy / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "deployctl-reliability", str(disk)], check=True)
    try:
        write_config(copy, "disk/ledger.db")
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem has no byte left; return it."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1):
            try:
                while os.write(descriptor, b"\0" * size):
                    pass
            except OSError:
                continue
    finally:
        os.close(descriptor)
    return filler


def test_a_full_filesystem_under_the_ledger_is_a_clear_error_and_loses_nothing(copy: Path, small_disk: Path) -> None:
    book = write_playbook(copy, "quick.yml", QUICK)
    ok(copy, "apply", str(book), "--stage", "dev")
    ledger = small_disk / "ledger.db"
    filler = fill(small_disk)
    for args in (("apply", str(book), "--stage", "dev"), ("lock", "break", "--stage", "dev", "--reason", "test")):
        done = run(copy, *args)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        line = one_line_error(done.stderr)
        assert line.startswith(f"deployctl: error: ledger {ledger}: "), line
        assert "full" in line or "disk I/O error" in line or "not locked" in line, line
    filler.unlink()
    assert_ledger_sound(ledger)
    ok(copy, "apply", str(book), "--stage", "dev")
    assert_ledger_sound(ledger)
    assert outcomes(ledger, "dev") == [("apply", "ok"), ("apply", "ok")]


def test_two_commands_on_one_stage_at_once_one_is_refused_with_exit_5(copy: Path) -> None:
    book = write_playbook(copy, "slow.yml", SLOW)
    first = start(copy, "apply", str(book), "--stage", "dev")
    ledger = copy / "ledger.db"

    def locked() -> bool:
        assert first.poll() is None, first.communicate()
        if not ledger.exists():
            return False
        with sqlite3.connect(ledger) as read:
            try:
                return bool(read.execute("SELECT count(*) FROM stage_locks WHERE stage = 'dev'").fetchone()[0])
            except sqlite3.OperationalError:  # not migrated yet
                return False

    wait_for("the first apply to take the dev lock", locked)
    second = run(copy, "apply", str(book), "--stage", "dev")
    assert first.wait(timeout=120) == 0, first.communicate()
    assert second.returncode == 5, second.stderr
    line = one_line_error(second.stderr)
    assert "stage dev is locked: apply by " in line and f"(pid {first.pid} on " in line and " since " in line
    assert_ledger_sound(ledger)
    ok(copy, "apply", str(book), "--stage", "dev")
    assert outcomes(ledger, "dev") == [("apply", "ok"), ("apply", "ok")]


def test_a_lock_from_another_machine_is_shown_refused_and_broken_with_a_reason(copy: Path) -> None:
    book = write_playbook(copy, "quick.yml", QUICK)
    ok(copy, "apply", str(book), "--stage", "dev")
    ledger = copy / "ledger.db"
    with sqlite3.connect(ledger) as write:
        write.execute(
            "INSERT INTO stage_locks VALUES ('dev', 'deploy', 'ci@ci-runner-7', 4242, 'ci-runner-7', ?)",
            ("2026-01-02T03:04",),
        )
    status = {row["stage"]: row for row in json.loads(ok(copy, "status", "--format", "json").stdout)}
    assert status["dev"]["lock_holder"]["machine"] == "ci-runner-7"
    assert status["dev"]["lock"] == "deploy by ci@ci-runner-7 (pid 4242 on ci-runner-7) since 2026-01-02T03:04"
    refused = run(copy, "apply", str(book), "--stage", "dev")
    assert refused.returncode == 5
    assert "`deployctl lock break --stage dev --reason TEXT` removes the lock" in one_line_error(refused.stderr)
    assert run(copy, "lock", "break", "--stage", "dev").returncode == 4
    ok(copy, "lock", "break", "--stage", "dev", "--reason", "runner 7 was deleted")
    history = json.loads(ok(copy, "history", "--stage", "dev", "--format", "json").stdout)
    broken = [event for event in history if event["event"].startswith("lock-break #")]
    assert len(broken) == 1 and "runner 7 was deleted" in broken[0]["detail"] and broken[0]["outcome"] == "broken"
    ok(copy, "apply", str(book), "--stage", "dev")
    assert_ledger_sound(ledger)
