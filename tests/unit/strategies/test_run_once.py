"""`run_once`: the batch's first host runs the task; every host takes its result and variables."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import Inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.strategies.results import RunResult
from deployctl.strategies.runonce import RunOnceBatch, SharedRun
from deployctl.transport.local import LocalTransport
from tests.unit.strategies.test_apply_local import make_project

HOSTS = "local1:\n    local2:\n    local3:"
PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: once
      shell: echo {{ inventory_hostname }} | tee -a {{ root }}/once.txt
      register: who
      run_once: true
    - name: fact once
      set_fact:
        leader: "{{ inventory_hostname }}"
      run_once: true
    - name: each host saw
      copy:
        content: "{{ who.stdout }} {{ leader }}\\n"
        dest: "{{ root }}/seen-{{ inventory_hostname }}"
    - block:
        - name: block once
          shell: echo {{ inventory_hostname }} >> {{ root }}/block.txt
        - name: block once with a loop
          shell: echo {{ item }} {{ inventory_hostname }} >> {{ root }}/block.txt
          loop: [a, b]
      run_once: true
"""


def run(root: Path, inventory: Inventory, forks: int) -> RunResult:
    playbook = load_playbook(root / "playbooks" / "site.yml", display="playbooks/site.yml")
    endpoints = {name: SshEndpoint(name, "127.0.0.1") for name in inventory.hosts}
    return apply_playbook(
        playbook,
        inventory,
        endpoints,
        RunOptions(),
        forks=forks,
        transport_factory=lambda endpoint: LocalTransport(endpoint.name),
    )


@pytest.mark.parametrize("forks", [1, 2, 5])
def test_the_first_host_runs_it_and_every_host_takes_its_result(tmp_path: Path, forks: int) -> None:
    root, inventory = make_project(tmp_path, hosts=HOSTS, playbook=PLAYBOOK)
    result = run(root, inventory, forks)
    target = tmp_path / "target"
    assert result.exit_code == 0, [r.message for r in result.results if r.status == "failed"]
    assert (target / "once.txt").read_text() == "local1\n"
    for host in ("local1", "local2", "local3"):
        assert (target / f"seen-{host}").read_text() == "local1 local1\n"
    assert (target / "block.txt").read_text() == "local1\na local1\nb local1\n"
    shown = [(r.host, r.task) for r in result.results if r.task.startswith(("once", "fact once", "block once"))]
    assert {host for host, _ in shown} == {"local1"}  # as Ansible: one result, the first host's


def test_a_failure_fails_every_host_of_the_batch(tmp_path: Path) -> None:
    playbook = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: breaks
      command: "false"
      run_once: true
    - name: after
      file: path={{ root }}/after-{{ inventory_hostname }} state=touch
"""
    root, inventory = make_project(tmp_path, hosts=HOSTS, playbook=playbook)
    result = run(root, inventory, 5)
    assert not list((tmp_path / "target").glob("after-*"))
    failed = {r.host: r.message for r in result.results if r.status == "failed"}
    assert set(failed) == {"local1", "local2", "local3"}
    assert "run once, on local1, and failed there" in failed["local2"]


def test_hosts_on_different_paths_do_not_wait_for_each_other() -> None:
    batch = RunOnceBatch(["a", "b"])
    batch.start("a")
    batch.start("b")
    at_one = batch.meeting("a", 1)
    at_two = batch.meeting("b", 2)
    leads: dict[str, bool] = {}

    def reach(host: str, meeting: tuple[int, int]) -> None:
        leads[host] = batch.leads(host, meeting)
        batch.leave(host)  # runs its task, then ends the play without reaching the other's

    threads = [threading.Thread(target=reach, args=args) for args in (("a", at_one), ("b", at_two))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert leads == {"a": True, "b": True}


def test_a_later_host_follows_and_a_host_not_started_is_not_waited_for() -> None:
    batch = RunOnceBatch(["a", "b", "c"])
    batch.start("b")  # a and c have not started (fewer forks than hosts)
    meeting = batch.meeting("b", 7)
    assert batch.leads("b", meeting)
    batch.share(meeting, SharedRun("b", None, {"x": 1}))
    batch.start("a")
    assert batch.meeting("a", 7) == meeting
    assert not batch.leads("a", meeting)
    assert batch.result("a", meeting).registered == {"x": 1}
    assert batch.meeting("a", 7) == (7, 1)  # reached again: a new meeting
