"""The mutable strategy on the lab: apply the webapp, idempotence, check/diff of drift, rolling failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deployctl.lab.state import LabState
from deployctl.transport.ssh import SshTransport
from tests.conftest import WEBAPP_STAGES, deployctl

pytestmark = pytest.mark.integration

STAGE_HOSTS = {"dev": ["dev-vm1"], "qa": ["qa-vm1", "qa-vm2"]}


def apply_json(*args: str) -> tuple[int, dict[str, Any]]:
    done = deployctl("apply", *args, "--format", "json", check=False)
    return done.returncode, json.loads(done.stdout)


def test_webapp_converged_on_dev_and_qa(webapp: dict[str, dict[str, Any]], lab: LabState) -> None:
    for stage in WEBAPP_STAGES:
        assert sorted(webapp[stage]["recap"]) == STAGE_HOSTS[stage]
        assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in webapp[stage]["recap"].values())
    for host, stage in (("dev-vm1", "dev"), ("qa-vm2", "qa")):
        with SshTransport(lab.endpoints[host]) as transport:
            health = transport.run(["curl", "-fsS", "http://127.0.0.1:8080/health"])
            page = transport.run(["curl", "-fsS", "-H", "Accept: application/json", "http://127.0.0.1:8080/"])
        assert health.stdout == "ok\n"
        config = json.loads(page.stdout)["config"]
        assert (config["stage"], config["version"], config["port"]) == (stage, "1.0.0", "8080")


def test_second_apply_reports_zero_changed_on_every_host(webapp: dict[str, dict[str, Any]]) -> None:
    for stage in WEBAPP_STAGES:
        code, result = apply_json("playbooks/webapp.yml", "--stage", stage)
        assert code == 0
        assert {host: r["changed"] for host, r in result["recap"].items()} == dict.fromkeys(STAGE_HOSTS[stage], 0)
        assert {host: r["ok"] for host, r in result["recap"].items()} == dict.fromkeys(STAGE_HOSTS[stage], 10)
        assert result["connections"] == len(STAGE_HOSTS[stage])
        assert result["round_trips"] == len(STAGE_HOSTS[stage])  # one round trip per host for a no-op


def test_manual_change_is_exactly_what_check_diff_reports(webapp: dict[str, dict[str, Any]], lab: LabState) -> None:
    with SshTransport(lab.endpoints["qa-vm2"]) as transport:
        edited = transport.run(
            ["sed", "-i", "s/^greeting = .*/greeting = patched by hand/", "/etc/webapp/webapp.ini"], become=True
        )
        assert edited.ok, edited.stderr
    try:
        code, result = apply_json("playbooks/webapp.yml", "--stage", "qa", "--check", "--diff")
        assert code == 0
        changed = [(r["host"], r["task"], r["handler"]) for r in result["results"] if r["status"] != "ok"]
        # exactly the edited file, and the restart its change would notify
        assert changed == [("qa-vm2", "Render the configuration", False), ("qa-vm2", "restart webapp", True)]
        diff = next(r for r in result["results"] if r["status"] == "changed")["diffs"][0]
        assert "greeting = patched by hand" in diff["before"]
        assert "greeting = Hello from qa" in diff["after"]
        plain = deployctl("apply", "playbooks/webapp.yml", "-s", "qa", "--check", "--diff", "--limit", "qa-vm2")
        assert "-greeting = patched by hand" in plain.stdout
        assert "+greeting = Hello from qa" in plain.stdout
        with SshTransport(lab.endpoints["qa-vm2"]) as transport:  # check mode changed nothing
            assert "patched by hand" in transport.get("/etc/webapp/webapp.ini", become=True).decode()
    finally:
        code, restored = apply_json("playbooks/webapp.yml", "--stage", "qa", "--limit", "qa-vm2")
    assert code == 0
    assert [r["task"] for r in restored["results"] if r["status"] == "changed"] == [
        "Render the configuration",
        "restart webapp",
    ]


def _marker_hosts(lab: LabState, hosts: list[str], path: str) -> list[str]:
    found = []
    for host in hosts:
        with SshTransport(lab.endpoints[host]) as transport:
            if transport.run(["test", "-e", path]).ok:
                found.append(host)
                transport.run(["rm", "-f", path], become=True)
    return found


def test_a_failing_host_leaves_the_rest_of_its_batch_done(lab: LabState) -> None:
    code, result = apply_json("tests/integration/playbooks/fail_one.yml", "--stage", "qa")
    assert code == 2
    assert result["recap"]["qa-vm1"]["failed"] == 1
    assert result["recap"]["qa-vm2"]["failed"] == 0
    assert _marker_hosts(lab, ["qa-vm1", "qa-vm2"], "/tmp/deployctl-fail-one.marker") == ["qa-vm2"]


def test_max_fail_percentage_stops_the_run_before_the_next_batch(lab: LabState) -> None:
    done = deployctl("apply", "tests/integration/playbooks/max_fail.yml", "--stage", "prod", check=False)
    assert done.returncode == 3
    assert "max_fail_percentage" in done.stderr
    assert _marker_hosts(lab, ["prod-vm1", "prod-vm2", "prod-vm3"], "/tmp/deployctl-max-fail.marker") == []
