"""`inventory` and `ping` as operations: hosts with their endpoints or why not, and pings over the local transport."""

from __future__ import annotations

import getpass
import os
import subprocess
from pathlib import Path

import pytest

from deployctl.errors import ConnectionFailedError, DeployctlError
from deployctl.model.connection import SshEndpoint
from deployctl.model.project import Project, load_project
from deployctl.operations.inventory import CONTAINER_TARGET, list_hosts, ping_hosts
from deployctl.transport.base import Transport
from deployctl.transport.local import LocalTransport

FAKE_SUDO = '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n'


def write_project(root: Path) -> Project:
    """Stages dev and qa: dev has two VMs and a container target, qa one lab VM (no lab is up)."""
    (root / "inventories").mkdir(parents=True)
    (root / "deployctl.yml").write_text("stages: [dev, qa]\n")
    (root / "inventories" / "dev.yml").write_text(
        "all:\n  hosts:\n    dev-vm1:\n      ansible_host: 10.0.0.1\n    dev-vm2:\n      ansible_host: 10.0.0.2\n"
        "    dev-web:\n      deployctl_strategy: immutable\n"
    )
    (root / "inventories" / "qa.yml").write_text("all:\n  hosts:\n    qa-vm1:\n      deployctl_lab: true\n")
    return load_project(root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return write_project(tmp_path / "project")


@pytest.fixture
def fake_sudo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sudo -n -H -- CMD` runs CMD as this user (root in a container, else not: `become` then fails)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sudo").write_text(FAKE_SUDO)
    (bin_dir / "sudo").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def local(endpoint: SshEndpoint) -> Transport:
    return LocalTransport(endpoint.name)


def test_every_stage_s_hosts_with_their_endpoint_or_why_not(project: Project) -> None:
    entries = {e.host.name: e for e in list_hosts(project, None, None)}
    assert list(entries) == ["dev-vm1", "dev-vm2", "dev-web", "qa-vm1"]
    assert entries["dev-vm1"].endpoint is not None and entries["dev-vm1"].endpoint.label == "10.0.0.1:22"
    assert entries["dev-vm1"].problem is None
    assert (entries["dev-web"].endpoint, entries["dev-web"].problem) == (None, CONTAINER_TARGET)
    assert entries["qa-vm1"].endpoint is None
    assert entries["qa-vm1"].problem == "host qa-vm1 is a lab host but the lab is not up: run `deployctl lab up`"


def test_one_stage_and_a_limit(project: Project) -> None:
    assert [e.host.name for e in list_hosts(project, "dev", "dev-vm2")] == ["dev-vm2"]
    with pytest.raises(DeployctlError, match="no host matches --limit 'nothing'"):
        list_hosts(project, "dev", "nothing")
    with pytest.raises(DeployctlError, match="unknown stage 'prod'"):
        list_hosts(project, "prod", None)


def test_every_inventory_is_read_even_for_one_stage(project: Project) -> None:
    (project.root / "inventories" / "qa.yml").write_text("all:\n  hosts:\n    dev-vm1:\n")
    with pytest.raises(DeployctlError, match="duplicate host: already in the dev inventory"):
        list_hosts(project, "dev", None)


def test_ping_reaches_the_vms_only(project: Project, fake_sudo: None) -> None:
    python = subprocess.run(
        ["python3", "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True
    ).stdout.strip()
    report = ping_hosts(project, "dev", None, forks=2, transport_factory=local)
    assert [(r.host, r.stage, r.address, r.user, r.python) for r in report.reached] == [
        ("dev-vm1", "dev", "10.0.0.1:22", getpass.getuser(), python),
        ("dev-vm2", "dev", "10.0.0.2:22", getpass.getuser(), python),
    ]
    assert all(r.become == (os.geteuid() == 0) for r in report.reached)
    assert report.failed == ()
    assert report.targets == 2
    assert report.ok == (os.geteuid() == 0)


def test_an_unreachable_host_is_reported_and_the_others_still_pinged(project: Project, fake_sudo: None) -> None:
    def flaky(endpoint: SshEndpoint) -> Transport:
        if endpoint.name == "dev-vm1":
            raise ConnectionFailedError(f"{endpoint.name}: connection refused")
        return LocalTransport(endpoint.name)

    report = ping_hosts(project, "dev", None, transport_factory=flaky)
    assert [r.host for r in report.reached] == ["dev-vm2"]
    assert [f.host for f in report.failed] == ["dev-vm1"]
    assert "connection refused" in report.failed[0].error
    assert report.targets == 2
    assert not report.ok


def test_without_sudo_a_reached_host_is_not_ready(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "nosudo"
    bin_dir.mkdir()
    (bin_dir / "sudo").write_text("#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n")
    (bin_dir / "sudo").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    report = ping_hosts(project, "dev", "dev-vm1", transport_factory=local)
    assert [(r.host, r.become) for r in report.reached] == [("dev-vm1", False)]
    assert not report.ok


def test_ping_needs_every_vm_s_endpoint(project: Project) -> None:
    with pytest.raises(DeployctlError, match="lab host but the lab is not up"):
        ping_hosts(project, "qa", None, transport_factory=local)
