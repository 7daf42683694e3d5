"""Existing Ansible content on the lab: roles in the style of public ones, facts, includes, blocks, lint.

`roles_content/site.yml` applies three roles (motd, heartbeat and their dependency common) with OS-family
vars files chosen by gathered facts, key=value arguments, handlers, role defaults that the inventory
overrides, include_tasks/include_vars/import_role, include_vars of a first_found lookup and a file lookup, a
block with rescue, set_fact, delegate_to localhost and check_mode; a second run must report 0 changed. The
role-based demo webapp goes through both strategies.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from deployctl.lab.state import LabState
from deployctl.transport.ssh import SshTransport
from tests.conftest import REPO, deployctl

pytestmark = pytest.mark.integration

CONTENT = "tests/integration/roles_content"
HOSTS = {"dev": ["dev-vm1"], "qa": ["qa-vm1", "qa-vm2"]}
CONTROLLER_RECORDS = Path("/tmp/deployctl-roles-test")


def apply_json(*args: str) -> tuple[int, dict[str, Any]]:
    done = deployctl("apply", *args, "--format", "json", check=False)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def converged(lab: LabState) -> dict[str, dict[str, Any]]:
    """The roles applied to dev and qa (first run), by stage."""
    results = {}
    for stage in HOSTS:
        code, result = apply_json(f"{CONTENT}/site.yml", "--stage", stage)
        assert code == 0, json.dumps(result["recap"])
        results[stage] = result
    return results


def read(lab: LabState, host: str, path: str) -> str:
    with SshTransport(lab.endpoints[host]) as transport:
        return transport.get(path, become=True).decode()


def test_roles_converge_with_facts_and_ansible_precedence(converged: dict[str, Any], lab: LabState) -> None:
    for stage, hosts in HOSTS.items():
        assert sorted(converged[stage]["recap"]) == hosts
        assert all(r["failed"] == 0 for r in converged[stage]["recap"].values())
    motd = read(lab, "qa-vm2", "/etc/deployctl-roles-test/motd").splitlines()
    assert motd[0].startswith("Welcome to qa-vm2 (Debian 12.")  # gathered facts: hostname, distribution, version
    # role param > play vars > role default; role vars; inventory (group_vars/all.yml: 8080) > role default 9999
    assert motd[1] == "stage=qa color=green owner=play-vars by=motd-role port=8080"
    assert "mem_mb_positive=True init=systemd" in motd[2]
    assert not motd[2].startswith("ipv4=none")
    assert motd[3] == "family=debian family banner=Managed by deployctl"  # include_vars of lookup('first_found')
    facts = read(lab, "dev-vm1", "/etc/deployctl-roles-test/facts.txt")
    assert facts.startswith("Debian 12 (apt based), ") and facts.endswith("vCPU\nport=8080\n")  # include_vars, set_fact
    assert read(lab, "dev-vm1", "/etc/deployctl-roles-test/block.txt") == "rescued=yes\n"
    assert read(lab, "dev-vm1", "/etc/deployctl-roles-test/heartbeat.conf") == "family=Debian\n"  # include_tasks
    with SshTransport(lab.endpoints["dev-vm1"]) as transport:
        assert transport.run(["test", "-e", "/etc/deployctl-roles-test/handler-ran"]).ok  # a role's handler ran
        assert not transport.run(["test", "-e", "/etc/deployctl-roles-test/not-reached"]).ok
        assert not transport.run(["test", "-e", "/etc/deployctl-roles-test/never-created"]).ok  # check_mode: true
        assert transport.run(["systemctl", "is-enabled", "deployctl-heartbeat"]).stdout.strip() == "enabled"
    assert (CONTROLLER_RECORDS / "qa-vm1.done").read_text() == "qa-vm1 Debian\n"  # delegate_to: localhost
    rescued = [r for r in converged["dev"]["results"] if r["task"] == "Fail on purpose"]
    assert [(r["status"], r["ignored"]) for r in rescued] == [("failed", True)]  # rescued: not the host's failure


def test_second_run_reports_zero_changed(converged: dict[str, Any]) -> None:
    for stage, hosts in HOSTS.items():
        code, result = apply_json(f"{CONTENT}/site.yml", "--stage", stage)
        assert code == 0
        changed = {r["host"]: r["task"] for r in result["results"] if r["status"] == "changed"}
        assert changed == {}, changed
        assert {host: r["changed"] for host, r in result["recap"].items()} == dict.fromkeys(hosts, 0)
        assert result["connections"] == len(hosts)
        assert result["round_trips"] == len(hosts) * noop_round_trip_bound()


def noop_round_trip_bound() -> int:
    """Round trips per host for a no-op run of the content after a first run: one for the gathered facts and
    the facts of every task (set_fact, include_vars, includes and their `when` are evaluated ahead on the
    controller, with the facts the first run gathered standing in for the ones being gathered), and two for each
    command that runs (it runs, and what it may have changed is read again for the tasks after it)."""
    from deployctl.model.loading.plays import load_playbook

    play = load_playbook(REPO / CONTENT / "site.yml").plays[0]
    tasks = list(play.all_tasks())
    commands = sum(1 for task in tasks if task.module in ("command", "shell") and task not in play.handlers)
    return 1 + 2 * commands


def test_lint_lists_every_unsupported_keyword_and_module() -> None:
    good = deployctl("lint", CONTENT, check=False)
    assert good.returncode == 0, good.stdout
    assert "0 problem(s)" in good.stdout
    bad = deployctl("lint", f"{CONTENT}/unsupported", "--format", "json", check=False)
    assert bad.returncode == 4
    report = json.loads(bad.stdout)
    found = {
        (Path(p["file"]).name, p["line"], p["field"]) for problems in report["playbooks"].values() for p in problems
    }
    assert found == {
        ("site.yml", 4, "strategy"),
        ("site.yml", 9, "docker_container"),
        ("site.yml", 12, "until"),
        ("site.yml", 14, "debug.msg"),
        ("site.yml", 20, "debug.msg"),  # an unknown filter inside {% if %}
        ("main.yml", 4, "yum"),
    }
    conditional = {
        (use["task"].rsplit("/", 1)[-1], tuple(use["unless"]))
        for uses in report["not_reached_unless"].values()
        for use in uses
    }
    assert conditional == {  # not reached on these Debian hosts: listed, not counted
        ("site.yml:15", ("ansible_os_family == 'RedHat'",)),
        ("main.yml:7", ("ansible_os_family == 'RedHat'",)),  # the task under a block with `throttle`
    }
    assert report["problems"] == 6
    refused = deployctl("apply", f"{CONTENT}/unsupported/site.yml", "--stage", "dev", check=False)
    assert refused.returncode == 4
    assert "5 more problem(s)" in refused.stderr and "roles/legacy/tasks/main.yml:4: yum" in refused.stderr


def test_role_based_webapp_through_both_strategies(lab: LabState) -> None:
    code, result = apply_json("playbooks/webapp_roles.yml", "--stage", "qa")
    assert code == 0, json.dumps(result["recap"])
    code, again = apply_json("playbooks/webapp_roles.yml", "--stage", "qa")
    assert code == 0 and all(r["changed"] == 0 for r in again["recap"].values())
    with SshTransport(lab.endpoints["qa-vm1"]) as transport:
        assert transport.run(["curl", "-fsS", "http://127.0.0.1:8080/health"]).stdout == "ok\n"
    deployed = deployctl("deploy", "--stage", "dev", "--playbook", "playbooks/webapp_roles.yml", "--format", "json")
    assert json.loads(deployed.stdout)["outcome"] in ("deployed", "unchanged")
    request = urllib.request.Request("http://127.0.0.1:18081/", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        page = json.loads(response.read())
    assert (page["config"]["stage"], page["config"]["port"]) == ("dev", "8080")
