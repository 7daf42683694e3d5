"""Ansible's task keyword `timeout:` through the mutable strategy: the task fails, the run goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.transport.local import LocalTransport

PLAYBOOK = """\
- name: slow things
  hosts: all
  gather_facts: false
  tasks:
    - name: a command past its timeout
      command: sleep 30
      timeout: 1
      ignore_errors: true
    - name: the next task still runs
      command: "true"
"""


def _load(tmp_path: Path, playbook: str) -> Path:
    (tmp_path / "inventories").mkdir()
    (tmp_path / "deployctl.yml").write_text("stages: [test]\n")
    (tmp_path / "inventories" / "test.yml").write_text("all:\n  hosts:\n    local1:\n")
    (tmp_path / "site.yml").write_text(playbook)
    return tmp_path / "site.yml"


def test_a_task_past_its_timeout_fails_with_ansibles_words(tmp_path: Path) -> None:
    path = _load(tmp_path, PLAYBOOK)
    inventory = load_inventory(load_project(tmp_path), "test")
    result = apply_playbook(
        load_playbook(path, display="site.yml"),
        inventory,
        {"local1": SshEndpoint("local1", "127.0.0.1", lab=True)},
        RunOptions(),
        transport_factory=lambda endpoint: LocalTransport(endpoint.name),
    )
    slow, after = result.results
    assert (slow.status, slow.ignored) == ("failed", True)
    assert slow.message == "site.yml:5: timed out after 1 s (the task's timeout): `sleep 30` was stopped"
    assert after.status == "changed"


@pytest.mark.parametrize("value", ["0", "-3", "soon", "true"])
def test_a_timeout_that_is_no_positive_number_is_refused(tmp_path: Path, value: str) -> None:
    path = _load(tmp_path, f"- hosts: all\n  tasks:\n    - command: 'true'\n      timeout: {value}\n")
    with pytest.raises(InputError) as refused:
        load_playbook(path, display="site.yml")
    assert "site.yml:4: timeout: must be a number of seconds above 0" in str(refused.value)
