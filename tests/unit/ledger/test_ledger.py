"""The ledger: schema migrations, WAL mode, releases, deployments and their per-host results."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from deployctl.ledger import schema
from deployctl.ledger.db import LedgerError, latest_version, open_ledger
from deployctl.ledger.records import (
    begin_deployment,
    deployment_hosts,
    deployments,
    finish_deployment,
    get_release,
    last_deployed,
    mark_interrupted,
    release_images,
    save_release,
    save_release_image,
)
from deployctl.model.records import HostOutcome, ReleaseImage, ReleaseRow


def _release(content_hash: str = "ab" * 32) -> ReleaseRow:
    return ReleaseRow(content_hash[:12], content_hash, "playbooks/webapp.yml", "/snap", "2026-01-01T00:00:00", "me")


def test_a_new_ledger_is_in_wal_mode_at_the_latest_schema(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "state" / "ledger.db")
    assert ledger.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    tables = {row[0] for row in ledger.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"releases", "deployments", "deployment_hosts", "verifications", "drift_scans", "stage_locks"} <= tables


def test_migrations_are_numbered_one_by_one_so_none_can_be_skipped() -> None:
    assert [version for version, _ in schema.MIGRATIONS] == list(range(1, len(schema.MIGRATIONS) + 1))


def test_migrations_apply_once_and_only_newer_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ledger.db"
    open_ledger(path).close()
    extra = (99, "CREATE TABLE extra (x INTEGER);")
    monkeypatch.setattr("deployctl.ledger.db.MIGRATIONS", (*schema.MIGRATIONS, extra))
    ledger = open_ledger(path)
    assert ledger.execute("PRAGMA user_version").fetchone()[0] == 99
    ledger.close()
    assert open_ledger(path).execute("SELECT count(*) FROM extra").fetchone()[0] == 0


def test_a_ledger_newer_than_this_deployctl_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 1000")
    raw.close()
    with pytest.raises(LedgerError, match="newer than this deployctl"):
        open_ledger(path)


def test_a_release_is_recorded_once_per_content_hash(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    first = save_release(ledger, _release())
    again = save_release(ledger, ReleaseRow(first.id, first.content_hash, "other.yml", "/x", "2027", "you"))
    assert again == first
    assert get_release(ledger, first.content_hash[:10]) == first
    assert get_release(ledger, "ffffffff") is None
    save_release_image(ledger, ReleaseImage(first.id, "web", "deployctl/webapp:abc", "sha256:1", "abc", "t"))
    assert [i.image_id for i in release_images(ledger, first.id)] == ["sha256:1"]


def test_deployments_record_hosts_and_the_newest_per_host(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    release = save_release(ledger, _release())
    first = begin_deployment(ledger, "qa", release.id, "apply", "mutable")
    finish_deployment(ledger, first, "ok", [HostOutcome("qa-vm1", "vm", "changed", {"changed": 3})])
    second = begin_deployment(ledger, "qa", release.id, "apply", "mutable")
    finish_deployment(
        ledger,
        second,
        "failed",
        [HostOutcome("qa-vm1", "vm", "failed"), HostOutcome("qa-vm2", "vm", "ok")],
        reason="qa-vm1 failed",
    )
    assert [d.outcome for d in deployments(ledger, "qa")] == ["ok", "failed"]
    assert deployment_hosts(ledger, first)[0].detail == {"changed": 3}
    newest = last_deployed(ledger, "qa")
    assert newest["qa-vm1"][0].id == first  # its failed run does not count as deployed
    assert newest["qa-vm2"][0].id == second
    assert last_deployed(ledger, "prod") == {}


def test_a_deployment_left_running_by_a_dead_process_is_marked_interrupted(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    mine = begin_deployment(ledger, "uat", None, "deploy", "immutable")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ledger.execute(
        "UPDATE deployments SET pid = ?, machine = ? WHERE id = ?", (int(gone.stdout), socket.gethostname(), mine)
    )
    alive = begin_deployment(ledger, "uat", None, "deploy", "immutable")
    assert [d.id for d in mark_interrupted(ledger)] == [mine]
    outcomes = {d.id: d.outcome for d in deployments(ledger, "uat")}
    assert outcomes == {mine: "interrupted", alive: "running"}
    assert deployments(ledger, "uat")[1].pid == os.getpid()
