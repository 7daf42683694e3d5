"""Ansible's magic variables as tasks, templates and roles read them, on this machine (local transport).

The playbook (magic_content.py) writes each host's values to files; the values are Ansible's (the same
playbook run by ansible-core gives the same: tests/integration/test_magic_parity.py).
"""

from __future__ import annotations

import os
import pwd
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.model.runvars import ANSIBLE_VERSION
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.strategies.results import RunResult
from deployctl.transport.local import LocalTransport
from tests.unit.strategies.magic_content import SEARCH_PATH, make_magic_project, written

HOSTS = ("lone.example.com", "local1")


def apply_magic(root: Path, out: Path, **options: bool) -> RunResult:
    site = make_magic_project(root, out)
    inventory = load_inventory(load_project(root), "test")
    playbook = load_playbook(site, display="site.yml")
    return apply_playbook(
        playbook,
        inventory,
        {name: SshEndpoint(name, "127.0.0.1") for name in inventory.hosts},
        RunOptions(**options),
        transport_factory=lambda endpoint: LocalTransport(endpoint.name),
    )


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("magic")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", SEARCH_PATH)
        result = apply_magic(base / "project", base / "out", diff=True)
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results if r.status == "failed"]
    yield base / "project", base / "out"


def test_host_and_inventory_variables(applied: tuple[Path, Path]) -> None:
    _root, out = applied
    lone, local1 = (written(out, host, "play") for host in HOSTS)
    assert (lone["inventory_hostname"], lone["inventory_hostname_short"]) == ("lone.example.com", "lone")
    assert (lone["group_names"], local1["group_names"]) == (["ungrouped"], ["web"])
    assert lone["groups"] == {"all": list(HOSTS), "ungrouped": ["lone.example.com"], "web": ["local1"]}
    assert written(out, "lone.example.com", "hostvars") == {"colour": "red", "name": "local1", "groups": ["web"]}


def test_play_variables_follow_the_serial_batch(applied: tuple[Path, Path]) -> None:
    _root, out = applied
    for host in HOSTS:
        values = written(out, host, "play")
        assert values["ansible_play_name"] == "magic probe"
        assert values["ansible_play_hosts_all"] == values["ansible_play_hosts"] == list(HOSTS)
        assert values["ansible_play_batch"] == values["play_hosts"] == [host]  # serial: 1


def test_run_variables(applied: tuple[Path, Path]) -> None:
    root, out = applied
    values = written(out, "local1", "play")
    assert (values["ansible_check_mode"], values["ansible_diff_mode"]) == (False, True)
    assert values["ansible_version"] == dict(ANSIBLE_VERSION)
    assert values["ansible_version"]["full"].startswith("2.19.") and values["playbook_dir"] == str(root)


def test_role_variables_and_the_templates_ansible_managed(applied: tuple[Path, Path]) -> None:
    root, out = applied
    role = root / "roles" / "probe"
    assert written(out, "local1", "role") == {
        "role_name": "probe",
        "ansible_role_name": "probe",
        "role_path": str(role),
    }
    assert written(out, "local1", "template").splitlines() == [
        "Ansible managed",
        f"role_path={role}",
        "template_path=managed.j2",
        f"template_destpath={out}/local1-template.txt",
        f"template_fullpath={role}/templates/managed.j2",
        f"template_host={socket.gethostname()}",
        f"template_uid={pwd.getpwuid(os.getuid()).pw_name}",
    ]


def test_a_parameter_given_omit_is_left_out(applied: tuple[Path, Path]) -> None:
    _root, out = applied
    written_file = out / "local1-omitted.txt"
    umask = os.umask(0)
    os.umask(umask)
    assert written_file.read_text() == "mode omitted\n"
    assert stat.S_IMODE(written_file.stat().st_mode) == 0o666 & ~umask  # no mode given: the umask's


def test_check_and_diff_modes_are_the_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", SEARCH_PATH)
    result = apply_magic(tmp_path / "project", tmp_path / "out", check=True)
    assert result.exit_code == 0 and not list((tmp_path / "out").iterdir())
    assert {r.message for r in result.results if r.task == "modes"} == {"check=True diff=False"}
