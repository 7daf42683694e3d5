"""Install a package, then template into the folder it created: one apply converges, the next changes nothing.

`install_then_template/site.yml` installs chrony with apt and templates /etc/chrony/chrony.conf (its handler
restarts chrony) on dev-vm1. The folder's facts are read in the play's first round trip, before the install
creates it: deployctl must read them again before planning the template (deployctl.strategies.staleness).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from deployctl.lab.state import LabState
from deployctl.transport.ssh import SshTransport
from tests.conftest import deployctl

pytestmark = pytest.mark.integration

PLAYBOOK = "tests/integration/install_then_template/site.yml"
HOST = "dev-vm1"
EXPECTED_CONF = "server 127.0.0.1 iburst\ndriftfile /var/lib/chrony/chrony.drift\nmakestep 1.0 3\nrtcsync\n"


def apply_json() -> tuple[int, dict[str, Any]]:
    done = deployctl("apply", PLAYBOOK, "--stage", "dev", "--limit", HOST, "--format", "json", check=False)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def without_chrony(lab: LabState) -> LabState:
    """dev-vm1 as before the role: chrony purged and its folder gone."""
    with SshTransport(lab.endpoints[HOST]) as transport:
        purged = transport.run(["apt-get", "purge", "-y", "chrony"], become=True)
        assert purged.ok, purged.stderr
        assert transport.run(["rm", "-rf", "/etc/chrony"], become=True).ok
        assert not transport.run(["test", "-e", "/etc/chrony"]).ok
    return lab


def test_a_role_installs_chrony_then_templates_into_its_folder_in_one_apply(without_chrony: LabState) -> None:
    code, first = apply_json()
    failed = [r["message"] for r in first["results"] if r["status"] == "failed"]
    assert code == 0, failed
    assert [(r["task"], r["status"]) for r in first["results"]] == [
        ("Install chrony", "changed"),
        ("Configure chrony", "changed"),
        ("restart chrony", "changed"),
    ]
    with SshTransport(without_chrony.endpoints[HOST]) as transport:
        conf = transport.get("/etc/chrony/chrony.conf", become=True).decode()
        installed = transport.run(["dpkg-query", "-W", "-f", "${Status}", "chrony"])
    assert conf.splitlines()[1:] == EXPECTED_CONF.splitlines()
    assert installed.stdout == "install ok installed"
    # the play's facts; the install, then the facts it made stale read again for the template (one round trip);
    # the template; the handler (its service fact came with the template's read, after the install)
    assert first["round_trips"] == 4

    code, second = apply_json()
    assert code == 0
    assert second["recap"][HOST]["changed"] == 0
    assert second["round_trips"] == 1  # a no-op: every fact in one round trip
