"""What deployctl writes in its state folder is private from the start: folders 0700, files owner-only."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployctl.facts.cache import FactCache
from deployctl.lab.state import save_lab_state, ssh_config_path
from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import begin_deployment
from deployctl.release.content import ReleaseContent, ReleaseFile
from deployctl.release.store import snapshot_dir, write_snapshot

SSH_CONFIG = "Host dev-vm1\n  HostName 127.0.0.1\n  Port 2201\n  User vagrant\n  IdentityFile /k\n"


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The usual umask (022), under which files are readable by everyone unless created private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_ledger_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.db"
    ledger = open_ledger(path)
    begin_deployment(ledger, "qa", None, "apply", "mutable")
    assert _mode(tmp_path / "state") == 0o700
    for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm"):
        assert _mode(path.with_name(name)) == 0o600, name
    ledger.close()


def test_lab_state_fact_cache_and_snapshots_are_private(tmp_path: Path) -> None:
    state = tmp_path / ".deployctl"
    save_lab_state(state, "docker", SSH_CONFIG)
    assert _mode(state) == _mode(state / "lab") == 0o700
    assert _mode(ssh_config_path(state)) == _mode(state / "lab" / "state.json") == 0o600
    FactCache.in_state_dir(state).remember("dev-vm1", {"ansible_hostname": "dev-vm1"})
    assert _mode(state / "facts") == 0o700
    assert _mode(state / "facts" / "dev-vm1.json") == 0o600
    source = tmp_path / "site.yml"
    source.write_text("- hosts: all\n")
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    folder = snapshot_dir(state, "abc")
    write_snapshot(
        ReleaseContent("playbook/site.yml", "site.yml", (ReleaseFile("playbook/site.yml", source, sha),), "h"),
        folder,
    )
    assert _mode(state / "releases") == _mode(folder) == 0o700


def test_private_folder_creates_every_missing_level_private(tmp_path: Path) -> None:
    from deployctl.statedir import private_folder

    assert private_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert _mode(tmp_path / "a") == _mode(tmp_path / "a" / "b") == 0o700
