"""Hosts whose key is not checked outside the lab are named once per run, in one line on stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.model.connection import SshEndpoint, resolve_endpoint
from deployctl.model.inventory import load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.transport.local import LocalTransport

INVENTORY = """\
all:
  hosts:
    trust-lab1:
      deployctl_lab: true
    trust-web1:
      ansible_host: 10.0.0.5
      ansible_host_key_checking: false
    trust-web2:
      ansible_host: 10.0.0.6
      ansible_host_key_checking: "no"
    trust-db1:
      ansible_host: 10.0.0.7
"""
LAB = {"trust-lab1": SshEndpoint("trust-lab1", "127.0.0.1", 2222, "vagrant", "/lab/key", host_key_checking=False)}


def test_unchecked_host_keys_outside_the_lab_are_named_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "inventories").mkdir()
    (tmp_path / "deployctl.yml").write_text("stages: [test]\n")
    (tmp_path / "inventories" / "test.yml").write_text(INVENTORY)
    (tmp_path / "site.yml").write_text("- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n")
    inventory = load_inventory(load_project(tmp_path), "test")
    endpoints = {
        host.name: resolve_endpoint(host.name, host.vars, LAB, (host.origin.source, host.origin.line), tmp_path)
        for host in inventory.hosts.values()
    }
    assert endpoints["trust-lab1"].lab and not endpoints["trust-web1"].lab
    for _ in range(2):  # a run that applies twice (a deploy's stages) still warns once
        apply_playbook(
            load_playbook(tmp_path / "site.yml"),
            inventory,
            endpoints,
            RunOptions(),
            transport_factory=lambda endpoint: LocalTransport(endpoint.name),
        )
    warnings = [line for line in capsys.readouterr().err.splitlines() if "host keys" in line]
    assert warnings == [
        "deployctl: warning: host keys are not checked for trust-web1, trust-web2 (ansible_host_key_checking: "
        "false outside the lab): anyone between here and them can pose as them"
    ]


def test_a_lab_host_pointed_elsewhere_is_no_longer_the_lab() -> None:
    moved = resolve_endpoint(
        "trust-lab1", {"deployctl_lab": True, "ansible_host": "203.0.113.9"}, LAB, ("x", 1), Path()
    )
    assert not moved.lab and not moved.host_key_checking
