"""Faults of a VM in the middle of an apply to qa (two VMs): its sshd stopped, its container killed or paused.

The other VM finishes, the run exits 2 with the faulty VM failed or unreachable, the deployment is recorded
`failed` with each host's status, no lock is left, and once the VM is back the same apply converges.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from deployctl.lab.state import LabState
from tests.reliability.conftest import (
    assert_ledger_sound,
    lab_container,
    ok,
    on_vm,
    outcomes,
    ssh_answers,
    start,
    wait_for,
    write_playbook,
)

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

HOSTS = ("qa-vm1", "qa-vm2")
FAULTY = "qa-vm2"
STARTED = "/tmp/deployctl-reliability.started"
DONE = "/tmp/deployctl-reliability.done"
PLAYBOOK = f"""\
- name: a run one host leaves in the middle
  hosts: qa-vm1:qa-vm2
  gather_facts: false
  tasks:
    - name: mark the start
      copy: content="started\\n" dest={STARTED}
    - name: take a few seconds
      command: sleep 4
    - name: mark the end
      copy: content="done\\n" dest={DONE}
"""
# A host that stops answering without closing the connection (paused) fails the slow task in 10 s with
# Ansible's `timeout:` keyword (the command and idle timeouts of the SSH transport).
BOUNDED = PLAYBOOK.replace("      command: sleep 4\n", "      command: sleep 4\n      timeout: 10\n")
RUN_DEADLINE = 120.0


@pytest.fixture
def vms(engine: docker.DockerClient, lab: LabState) -> Iterator[dict[str, Any]]:
    """qa's VM containers, without markers; afterwards the faulty one running again with its sshd up."""
    containers = {host: lab_container(engine, host) for host in HOSTS}
    for container in containers.values():
        on_vm(container, "rm", "-f", STARTED, DONE)
    yield containers
    faulty = lab_container(engine, FAULTY)
    if faulty.status == "paused":
        faulty.unpause()
    faulty.reload()
    if faulty.status != "running":
        faulty.start()
    port = lab.endpoints[FAULTY].port
    wait_for(f"{FAULTY}'s container to answer", lambda: on_vm(faulty, "true")[0] == 0, deadline=60)
    wait_for(f"{FAULTY}'s systemd", lambda: on_vm(faulty, "systemctl", "is-system-running", "--wait")[0] in (0, 1), 60)
    on_vm(faulty, "systemctl", "start", "ssh")
    wait_for(f"{FAULTY}'s sshd", lambda: ssh_answers(port), deadline=60)


def fault_in_the_middle(
    copy: Path, vms: dict[str, Any], fault: Callable[[Any], None], playbook: str = PLAYBOOK
) -> subprocess.Popen[str]:
    """Start the apply; once the faulty VM has started, inject `fault` into its container; return the run."""
    book = write_playbook(copy, "middle.yml", playbook)
    running = start(copy, "apply", str(book), "--stage", "qa", "--format", "json")
    faulty = vms[FAULTY]

    def started() -> bool:
        assert running.poll() is None, running.communicate()
        return on_vm(faulty, "test", "-f", STARTED)[0] == 0

    wait_for(f"the apply to start on {FAULTY}", started, deadline=RUN_DEADLINE)
    fault(faulty)
    return running


def assert_reported_and_converges(
    copy: Path, running: subprocess.Popen[str], vms: dict[str, Any], heal: Callable[[], None]
) -> None:
    """Exit 2, qa-vm1 finished, the faulty VM failed or unreachable, all recorded; after `heal`, a rerun is ok."""
    out, err = running.communicate(timeout=RUN_DEADLINE)
    assert running.returncode == 2, (running.returncode, out, err)
    assert "Traceback" not in err, err
    recap = json.loads(out)["recap"]
    assert recap["qa-vm1"]["failed"] == 0 and recap["qa-vm1"]["unreachable"] == 0, recap
    assert recap[FAULTY]["failed"] + recap[FAULTY]["unreachable"] >= 1, recap
    assert on_vm(vms["qa-vm1"], "test", "-f", DONE)[0] == 0
    ledger = copy / "ledger.db"
    assert outcomes(ledger, "qa") == [("apply", "failed")]
    assert_ledger_sound(ledger)
    heal()
    book = copy / "faults" / "middle.yml"
    ok(copy, "apply", str(book), "--stage", "qa", timeout=RUN_DEADLINE)
    assert on_vm(vms[FAULTY], "test", "-f", DONE)[0] == 0
    assert outcomes(ledger, "qa") == [("apply", "failed"), ("apply", "ok")]
    assert_ledger_sound(ledger)


def test_sshd_stopped_in_the_middle_of_an_apply(copy: Path, vms: dict[str, Any], lab: LabState) -> None:
    def stop_sshd(container: Any) -> None:
        assert on_vm(container, "systemctl", "stop", "ssh")[0] == 0
        on_vm(container, "pkill", "-x", "sshd")  # the sessions too (ssh.service leaves them running)

    running = fault_in_the_middle(copy, vms, stop_sshd)
    port = lab.endpoints[FAULTY].port

    def heal() -> None:
        assert on_vm(vms[FAULTY], "systemctl", "start", "ssh")[0] == 0
        wait_for(f"{FAULTY}'s sshd", lambda: ssh_answers(port), deadline=60)

    assert_reported_and_converges(copy, running, vms, heal)


def test_a_vm_container_killed_in_the_middle_of_an_apply(copy: Path, vms: dict[str, Any], lab: LabState) -> None:
    running = fault_in_the_middle(copy, vms, lambda container: container.kill(), PLAYBOOK)
    port = lab.endpoints[FAULTY].port

    def heal() -> None:
        vms[FAULTY].start()
        wait_for(f"{FAULTY}'s sshd", lambda: ssh_answers(port), deadline=90)

    assert_reported_and_converges(copy, running, vms, heal)


def test_a_paused_vm_is_a_timeout_not_a_hang(copy: Path, vms: dict[str, Any]) -> None:
    running = fault_in_the_middle(copy, vms, lambda container: container.pause(), BOUNDED)
    assert_reported_and_converges(copy, running, vms, lambda: vms[FAULTY].unpause())
