"""apt_repository (a local file repository, no network), apt, systemd masked and user password on the lab."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from deployctl.lab.state import LabState
from deployctl.transport.ssh import SshTransport
from tests.conftest import deployctl

pytestmark = pytest.mark.integration

PLAYBOOK = "tests/integration/playbooks/batch_c_modules.yml"
CLEANUP = "tests/integration/playbooks/batch_c_cleanup.yml"


def apply_json(playbook: str) -> tuple[int, dict[str, Any]]:
    done = deployctl("apply", playbook, "--stage", "dev", "--format", "json", check=False)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def applied(lab: LabState) -> Iterator[dict[str, Any]]:
    """The playbook applied once to dev-vm1 (and undone afterwards)."""
    code, result = apply_json(PLAYBOOK)
    try:
        assert code == 0, json.dumps([r for r in result["results"] if r["status"] == "failed"])
        yield result
    finally:
        apply_json(CLEANUP)


def run(lab: LabState, *command: str, check: bool = True) -> str:
    with SshTransport(lab.endpoints["dev-vm1"]) as transport:
        done = transport.run(list(command), become=True)
        assert done.ok or not check, done.stderr
        return done.stdout


def test_the_modules_converge(applied: dict[str, Any], lab: LabState) -> None:
    changed = {r["task"] for r in applied["results"] if r["status"] == "changed"}
    assert {
        "add the repository",
        "install from it",
        "mask a unit",
        "a user with a locked password that expires",
    } <= changed
    listed = run(lab, "cat", "/etc/apt/sources.list.d/deployctl-test.list")
    assert listed == "deb [trusted=yes] file:/srv/deployctl-test-repo ./\n"
    assert run(lab, "dpkg-query", "-W", "-f=${Version}", "deployctl-test-hello") == "1.0"
    assert run(lab, "systemctl", "is-enabled", "deployctl-test-masked.service", check=False).strip() == "masked"
    shadow = run(lab, "getent", "shadow", "deployctl-test-pw").split(":")
    assert shadow[1].startswith("!$6$deployctltest$") and shadow[7] == "21915"
    assert "799Lgi43" not in json.dumps(applied)  # the hash is never in the results


def test_a_second_run_changes_nothing(applied: dict[str, Any]) -> None:
    code, result = apply_json(PLAYBOOK)
    assert code == 0
    assert result["recap"]["dev-vm1"]["changed"] == 0, [
        r["task"] for r in result["results"] if r["status"] == "changed"
    ]
