"""A drift scan of a hostile host: its facts and files are compared as data, never templated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import deployctl.facts.ansible as ansible_facts
from deployctl.drift.vms import VmRelease, parity_facts
from deployctl.facts.cache import FactCache
from deployctl.model.loading.plays import load_playbook
from deployctl.operations.vmscan import check_release
from deployctl.transport.local import LocalTransport
from tests.unit.strategies.test_apply_local import make_project

PLAYBOOK = """\
- hosts: all
  vars:
    banner: "host {{ ansible_hostname }}"
  tasks:
    - name: config
      template: src=app.conf.j2 dest={{ root }}/app.conf
"""


def payload(marker: Path) -> str:
    return "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"


def test_a_scan_reads_hostile_facts_files_and_cache_as_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hostname = payload(tmp_path / "PWNED-fact")
    real = ansible_facts.parse_ansible_facts

    def parse(output: str) -> dict[str, Any]:
        return {**real(output), "hostname": hostname}

    monkeypatch.setattr(ansible_facts, "parse_ansible_facts", parse)
    root, inventory = make_project(tmp_path, playbook=PLAYBOOK)
    (root / "playbooks" / "templates" / "app.conf.j2").write_text("banner={{ banner }}\n")
    drifted = payload(tmp_path / "PWNED-file")
    (tmp_path / "target" / "app.conf").write_text(f"banner={drifted}\n")  # what the host serves
    cache = FactCache(tmp_path / "facts")
    cache.folder.mkdir()
    (cache.folder / "local1.json").write_text(json.dumps({"ansible_hostname": payload(tmp_path / "PWNED-cache")}))
    playbook = load_playbook(root / "playbooks" / "site.yml", display="playbooks/site.yml")
    release = VmRelease("r1", playbook, inventory, playbook.templar())
    found = check_release(inventory.hosts["local1"], LocalTransport("local1"), release, [], cache)
    assert [r.status for r in found.results] == ["changed"], [r.message for r in found.results]
    assert parity_facts("r1", found)[f"config {tmp_path}/target/app.conf: banner"] == drifted
    assert drifted in str(found.results[0].diffs)  # the diff shows what the host holds, as it is
    assert not any(tmp_path.glob("PWNED-*"))
