"""testinfra checks on every lab host through testinfra's SSH backend and the lab's ssh-config."""

from __future__ import annotations

import os

import pytest

from deployctl.lab.machines import lab_machines

pytestmark = [pytest.mark.integration, pytest.mark.infra_ssh]

testinfra_hosts = [f"ssh://{machine.name}" for machine in lab_machines(os.environ)]


@pytest.fixture(scope="module", autouse=True)
def _lab_up(request: pytest.FixtureRequest) -> None:
    """Without `--hosts` (the test suite), bring the lab up first; `deployctl verify` names running hosts."""
    if request.config.option.hosts is None:
        request.getfixturevalue("lab")


def test_sshd_is_active_and_enabled(host) -> None:  # type: ignore[no-untyped-def]
    ssh = host.service("ssh")
    assert ssh.is_running
    assert ssh.is_enabled
    assert host.socket("tcp://0.0.0.0:22").is_listening


def test_vagrant_can_sudo(host) -> None:  # type: ignore[no-untyped-def]
    assert host.user().name == "vagrant"
    assert host.sudo().__enter__ is not None
    with host.sudo():
        assert host.check_output("id -u") == "0"


def test_python3_is_present(host) -> None:  # type: ignore[no-untyped-def]
    assert host.exists("python3")
    assert host.run("python3 -c 'import sys; print(sys.version_info[0])'").stdout.strip() == "3"


def test_systemd_is_pid_1_and_running(host) -> None:  # type: ignore[no-untyped-def]
    assert host.process.get(pid=1).comm == "systemd"
    assert host.run("systemctl is-system-running").stdout.strip() == "running"
    assert host.system_info.distribution == "debian"
    assert host.system_info.release.startswith("12")
