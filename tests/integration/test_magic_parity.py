"""Differential: Ansible's magic variables and common facts as ansible-core 2.19 and deployctl give them.

One playbook (tests/unit/strategies/magic_content.py) writes each host's values to files; ansible-playbook
runs it on this machine (local connection), then deployctl does (local transport), into the same folder from
the same project, so that paths compare as they are. Both discover the same interpreter (SEARCH_PATH).
Where the two legitimately differ, DIFFERENCES names the fact and why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.transport.local import LocalTransport
from tests.unit.strategies.magic_content import SEARCH_PATH, make_magic_project, written

pytestmark = pytest.mark.integration

HOSTS = ("lone.example.com", "local1")
SUBJECTS = ("play", "hostvars", "role", "template", "facts", "moving")
DIFFERENCES = {
    "ansible_fqdn": (
        "Ansible asks the resolver (Python's socket.getfqdn: the first dotted name of the host's address, else its "
        "canonical name); deployctl reads `hostname -f`. On the lab VMs both give the host name; on a machine "
        "whose /etc/hosts lists `localhost` first for its address, Ansible says localhost."
    ),
}


def collect(out: Path) -> dict[tuple[str, str], Any]:
    found = {(host, subject): written(out, host, subject) for host in HOSTS for subject in SUBJECTS}
    shutil.rmtree(out)
    out.mkdir()
    return found


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[tuple[str, str], Any], dict[tuple[str, str], Any]]:
    """What each tool wrote: (ansible-core's, deployctl's)."""
    base = tmp_path_factory.mktemp("parity")
    root, out = base / "project", base / "out"
    site = make_magic_project(root, out)
    ansible_playbook = shutil.which("ansible-playbook", path=SEARCH_PATH) or shutil.which("ansible-playbook")
    assert ansible_playbook is not None, "ansible-core (a test dependency) is not installed"
    environment = {**os.environ, "PATH": SEARCH_PATH, "ANSIBLE_NOCOLOR": "1"}
    command = [ansible_playbook, "-i", "inventories/test.yml", "-c", "local", "--diff", site.name]
    done = subprocess.run(command, cwd=root, env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    theirs = collect(out)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", SEARCH_PATH)
        inventory = load_inventory(load_project(root), "test")
        result = apply_playbook(
            load_playbook(site, display=site.name),
            inventory,
            {name: SshEndpoint(name, "127.0.0.1") for name in inventory.hosts},
            RunOptions(diff=True),
            transport_factory=lambda endpoint: LocalTransport(endpoint.name),
        )
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results if r.status == "failed"]
    return theirs, collect(out)


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("subject", ["play", "hostvars", "role", "template"])
def test_magic_variables_are_ansibles(both: tuple[dict[Any, Any], dict[Any, Any]], host: str, subject: str) -> None:
    theirs, ours = both
    assert ours[host, subject] == theirs[host, subject]


@pytest.mark.parametrize("host", HOSTS)
def test_facts_are_ansibles(both: tuple[dict[Any, Any], dict[Any, Any]], host: str) -> None:
    theirs, ours = (found[host, "facts"] for found in both)
    differing = {name: (value, ours.get(name)) for name, value in theirs.items() if ours.get(name) != value}
    assert set(differing) <= set(DIFFERENCES), differing
    assert sorted(ours) == sorted(theirs)


@pytest.mark.parametrize("host", HOSTS)
def test_moving_facts_have_ansibles_shape_and_fixed_values(
    both: tuple[dict[Any, Any], dict[Any, Any]], host: str
) -> None:
    theirs, ours = (found[host, "moving"] for found in both)
    assert ours["python"] == theirs["python"] and ours["default_ipv4"] == theirs["default_ipv4"]
    assert ours["memory_mb"] == ours["memory"]
    for name in ("memory_mb", "memory"):
        assert {key: sorted(value) for key, value in ours[name].items()} == {
            key: sorted(value) for key, value in theirs[name].items()
        }
        assert ours[name]["real"]["total"] == theirs[name]["real"]["total"]
    fixed = ("mount", "device", "fstype", "options", "dump", "passno", "uuid", "block_size", "block_total")
    assert [{key: mount[key] for key in fixed} for mount in ours["mounts"]] == [
        {key: mount[key] for key in fixed} for mount in theirs["mounts"]
    ]
    assert [sorted(mount) for mount in ours["mounts"]] == [sorted(mount) for mount in theirs["mounts"]]
    assert sorted(ours["date_time"]) == sorted(theirs["date_time"])
    zone = ("tz", "tz_dst", "tz_offset")
    assert {key: ours["date_time"][key] for key in zone} == {key: theirs["date_time"][key] for key in zone}
