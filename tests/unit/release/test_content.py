"""A release's content and hash: the playbook folder and the inventories, independent of time and place."""

from __future__ import annotations

import json
from pathlib import Path

from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import list_releases
from deployctl.model.project import load_project
from deployctl.operations.release import record_release
from deployctl.release.content import collect_release, content_hash
from deployctl.release.store import release_project


def _project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "deployctl.yml").write_text("stages: [dev, qa]\n")
    (root / "inventories" / "group_vars").mkdir(parents=True)
    (root / "inventories" / "dev.yml").write_text("all:\n  hosts:\n    dev-vm1:\n")
    (root / "inventories" / "group_vars" / "all.yml").write_text("app_port: 8080\n")
    (root / "playbooks" / "templates").mkdir(parents=True)
    (root / "playbooks" / "templates" / "app.ini.j2").write_text("port={{ app_port }}\n")
    (root / "playbooks" / "__pycache__").mkdir()
    (root / "playbooks" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    playbook = root / "playbooks" / "site.yml"
    playbook.write_text("- hosts: all\n  tasks: []\n")
    return playbook


def test_the_hash_covers_the_playbook_paths_and_bytes_not_order() -> None:
    pairs = [("a", "1"), ("b", "2")]
    assert content_hash(pairs, "site.yml") == content_hash(reversed(pairs), "site.yml")
    assert content_hash(pairs, "site.yml") != content_hash([("a", "1"), ("c", "2")], "site.yml")
    assert content_hash(pairs, "site.yml") != content_hash(pairs, "other.yml")


def test_the_same_content_in_two_places_is_the_same_release(tmp_path: Path) -> None:
    _project(tmp_path / "one")
    first = collect_release(load_project(tmp_path / "one"), tmp_path / "one" / "playbooks" / "site.yml")
    _project(tmp_path / "two")
    second = collect_release(load_project(tmp_path / "two"), tmp_path / "two" / "playbooks" / "site.yml")
    assert first.content_hash == second.content_hash
    assert {f.path for f in first.files} == {
        "project/deployctl.yml",
        "project/playbooks/site.yml",
        "project/playbooks/templates/app.ini.j2",
        "inventories/dev.yml",
        "inventories/group_vars/all.yml",
    }


def test_a_changed_variable_is_a_new_release(tmp_path: Path) -> None:
    playbook = _project(tmp_path)
    project = load_project(tmp_path)
    before = collect_release(project, playbook).content_hash
    (tmp_path / "inventories" / "group_vars" / "all.yml").write_text("app_port: 8081\n")
    assert collect_release(project, playbook).content_hash != before


def test_record_release_snapshots_once_and_the_snapshot_loads_as_the_project(tmp_path: Path) -> None:
    playbook = _project(tmp_path)
    project = load_project(tmp_path)
    ledger = open_ledger(project.ledger)
    release = record_release(ledger, project, playbook)
    assert record_release(ledger, project, playbook) == release
    assert len(list_releases(ledger)) == 1
    snapshot = Path(release.snapshot_dir)
    manifest = json.loads((snapshot / "release.json").read_text())
    assert manifest["content_hash"] == release.content_hash
    (tmp_path / "inventories" / "group_vars" / "all.yml").write_text("app_port: 9999\n")
    old_project, old_playbook = release_project(project, release)
    assert (old_project.inventory_dir / "group_vars" / "all.yml").read_text() == "app_port: 8080\n"
    assert old_playbook.read_text() == playbook.read_text()
    assert old_playbook == snapshot / "project" / "playbooks" / "site.yml"
    assert manifest["playbook"] == "project/playbooks/site.yml"
    assert len(manifest["files"]) == 5
