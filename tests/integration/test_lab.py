"""The lab on the real Docker engine and Vagrant: every host reached over SSH through the transport."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from deployctl.errors import ConnectionFailedError
from deployctl.lab.machines import lab_machines
from deployctl.lab.state import LabState
from deployctl.model.connection import SshEndpoint, resolve_endpoint
from deployctl.model.inventory import load_inventories
from deployctl.model.project import Project
from deployctl.transport.base import shell
from deployctl.transport.pool import run_each
from deployctl.transport.ssh import SshTransport
from tests.conftest import REPO, deployctl

pytestmark = pytest.mark.integration


def endpoints_from_inventories(project: Project, lab: LabState) -> list[SshEndpoint]:
    inventories = load_inventories(project)
    return [
        resolve_endpoint(h.name, h.vars, lab.endpoints, (h.origin.source, h.origin.line), inv.path.parent)
        for inv in inventories.values()
        for h in inv.hosts.values()
        if h.strategy == "mutable"
    ]


def test_lab_has_every_machine_of_the_vagrantfile(lab: LabState) -> None:
    assert sorted(lab.endpoints) == sorted(m.name for m in lab_machines(os.environ))
    for endpoint in lab.endpoints.values():
        assert endpoint.address == "127.0.0.1"


def test_vagrantfile_validates_and_defines_the_same_machines_as_deployctl() -> None:
    env = {**os.environ, "VAGRANT_CHECKPOINT_DISABLE": "1", "DEPLOYCTL_LAB_PROD": "1", "DEPLOYCTL_LAB_QA": "3"}
    validated = subprocess.run(["vagrant", "validate"], cwd=REPO, env=env, capture_output=True, text=True)
    assert validated.returncode == 0, validated.stderr
    status = subprocess.run(
        ["vagrant", "status", "--machine-readable"], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    names = {line.split(",")[1] for line in status.stdout.splitlines() if ",state," in line}
    assert names == {m.name for m in lab_machines(env)}


def test_every_inventory_host_runs_systemd_and_becomes_root(project: Project, lab: LabState) -> None:
    def check(endpoint: SshEndpoint) -> tuple[str, str, str]:
        with SshTransport(endpoint) as transport:
            state = transport.run(["systemctl", "is-system-running"])
            root = transport.run(["id", "-un"], become=True)
            hostname = transport.run(["hostname"])
        return state.stdout.strip(), root.stdout.strip(), hostname.stdout.strip()

    endpoints = endpoints_from_inventories(project, lab)
    assert len(endpoints) == 8
    outcomes = run_each(endpoints, check, forks=4)
    assert [o.error for o in outcomes if o.error] == []
    assert {o.item.name: o.value for o in outcomes} == {e.name: ("running", "root", e.name) for e in endpoints}


def test_one_connection_serves_many_commands(lab: LabState) -> None:
    endpoint = lab.endpoints["dev-vm1"]
    with SshTransport(endpoint) as transport:
        ports = {transport.run(shell("echo $SSH_CLIENT")).stdout.split()[1] for _ in range(5)}
    assert len(ports) == 1  # the same client TCP port: one connection, five commands


def test_put_get_and_quoting_as_root(lab: LabState) -> None:
    hostile = 'it\'s $HOME; `id` "quoted" \\ end'
    path = "/root/deployctl test 'file'.txt"
    with SshTransport(lab.endpoints["qa-vm1"]) as transport:
        written = transport.put(hostile.encode() + b"\n", path, mode="0600", become=True)
        assert written.ok, written.stderr
        assert transport.get(path, become=True) == hostile.encode() + b"\n"
        mode = transport.run(["stat", "-c", "%a %U", path], become=True)
        assert mode.stdout.strip() == "600 root"
        echoed = transport.run(["printf", "%s", hostile])
        assert echoed.stdout == hostile
        assert not transport.run(["cat", path]).ok  # not readable without become
        transport.run(["rm", "-f", path], become=True)


def test_stdin_and_large_output(lab: LabState) -> None:
    payload = os.urandom(3 * 1024 * 1024).hex().encode()  # 6 MiB: beyond the SSH window, both directions
    with SshTransport(lab.endpoints["uat-vm1"]) as transport:
        result = transport.run(
            shell("cat; cat >&2 </dev/null; head -c 2000000 /dev/zero | tr '\\0' e >&2"), stdin=payload
        )
    assert result.ok
    assert result.stdout.encode() == payload
    assert len(result.stderr) == 2_000_000


def test_host_keys_are_verified_unless_the_inventory_trusts_them(
    lab: LabState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    trusted = lab.endpoints["prod-vm1"]
    assert trusted.host_key_checking is False
    verified = SshEndpoint(**{**trusted.__dict__, "host_key_checking": True})
    with pytest.raises(ConnectionFailedError, match="not found in known_hosts"):
        SshTransport(verified).connect()


def test_unreachable_host_names_host_and_address() -> None:
    nowhere = SshEndpoint("ghost", "127.0.0.1", 1, "vagrant", None, host_key_checking=False)
    with pytest.raises(ConnectionFailedError, match=r"ghost \(127.0.0.1:1\)"):
        SshTransport(nowhere, connect_timeout=2).connect()


def test_lab_status_reports_all_hosts_running(lab: LabState) -> None:
    done = deployctl("lab", "status", "--format", "json")
    hosts = json.loads(done.stdout)["hosts"]
    assert len(hosts) == len(lab.endpoints)
    assert all(h["reachable"] and h["systemd"] == "running" for h in hosts), hosts
    assert {h["os"] for h in hosts} == {"Debian GNU/Linux 12 (bookworm)"}
    table = deployctl("lab", "status")
    for name in lab.endpoints:
        assert name in table.stdout


def test_ping_reaches_every_stage_through_the_inventories(lab: LabState) -> None:
    done = deployctl("ping", "--format", "json")
    result = json.loads(done.stdout)
    assert result["failed"] == []
    assert sorted(r["host"] for r in result["reached"]) == sorted(lab.endpoints)
    assert all(r["become"] and r["user"] == "vagrant" and r["python"].startswith("3.") for r in result["reached"])
    limited = json.loads(deployctl("ping", "--stage", "prod", "--limit", "prod-vm[12]", "-f", "json").stdout)
    assert [r["host"] for r in limited["reached"]] == ["prod-vm1", "prod-vm2"]
