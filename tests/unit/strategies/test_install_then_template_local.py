"""Install, then template into the folder the install created: one apply on this machine (local transport).

The package install is a stand-in module named `apt`: it creates the package's folder, as a package's
maintainer scripts do, and its plan lists only the package. The template's facts are read in the play's
first round trip, before the install: they must be read again before the template is planned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import PathExistsFact
from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.modules.base import Module, Param, Plan, RunCommand, no_change
from deployctl.modules.registry import MODULES
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.strategies.results import RunResult
from deployctl.transport.local import LocalTransport

ROLE_PLAY = """\
- hosts: all
  handlers:
    - name: restart chrony
      command: touch {{ root }}/restarted
  tasks:
    - name: install chrony
      apt: name=chrony root={{ root }}
    - name: configure chrony
      template: src=chrony.conf.j2 dest={{ root }}/etc/chrony/chrony.conf mode=0644
      notify: restart chrony
"""


def _marker(params: Mapping[str, Any]) -> str:
    return f"{params['root']}/var/lib/dpkg/info/{params['name']}.list"


def _facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    return [PathExistsFact(_marker(params))]


def _plan(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    marker = _marker(params)
    if facts[f"exists:{marker}"]:
        return no_change(f"{params['name']} is installed")
    folder = f"{params['root']}/etc/{params['name']}"
    script = 'mkdir -p "$1" "$(dirname "$2")" && touch "$2"' + (" && sleep 30" if params["hang"] else "")
    return Plan(
        changed=True,
        summary=f"install {params['name']}",
        actions=(RunCommand(("sh", "-c", script, "sh", folder, marker)),),
        invalidates=(f"package:{params['name']}",),  # what apt's plan lists: not the folder its scripts create
    )


PACKAGE_INSTALL = Module(
    name="apt",
    params={
        "name": Param("str", required=True),
        "root": Param("path", required=True),
        "hang": Param("bool", default=False),
    },
    facts=_facts,
    plan=_plan,
)


def apply(tmp_path: Path, install: Module, play: str = ROLE_PLAY) -> RunResult:
    """Apply `play` to this machine with `install` as its `apt`."""
    root = tmp_path / "project"
    if not root.exists():
        (root / "inventories").mkdir(parents=True)
        (root / "playbooks" / "templates").mkdir(parents=True)
        (root / "deployctl.yml").write_text("stages: [test]\n")
        (tmp_path / "target").mkdir()
        inventory_text = f"all:\n  vars:\n    root: {tmp_path / 'target'}\n  hosts:\n    local1:\n"
        (root / "inventories" / "test.yml").write_text(inventory_text)
        (root / "playbooks" / "site.yml").write_text(play)
        (root / "playbooks" / "templates" / "chrony.conf.j2").write_text("pool 127.0.0.1 iburst\n")
    modules = {**MODULES, "apt": install}
    inventory = load_inventory(load_project(root), "test")
    return apply_playbook(
        load_playbook(root / "playbooks" / "site.yml", display="playbooks/site.yml", modules=modules),
        inventory,
        {name: SshEndpoint(name, "127.0.0.1") for name in inventory.hosts},
        RunOptions(),
        transport_factory=lambda endpoint: LocalTransport(endpoint.name),
        modules=modules,
    )


def test_a_template_into_the_folder_an_install_created_is_planned_on_facts_read_after_the_install(
    tmp_path: Path,
) -> None:
    first = apply(tmp_path, PACKAGE_INSTALL)
    assert first.exit_code == 0, [r.message for r in first.results if r.status == "failed"]
    assert [(r.task, r.status) for r in first.results] == [
        ("install chrony", "changed"),
        ("configure chrony", "changed"),
        ("restart chrony", "changed"),
    ]
    assert (tmp_path / "target" / "etc" / "chrony" / "chrony.conf").read_text() == "pool 127.0.0.1 iburst\n"
    # the play's facts; the install, then the template's facts read again (one round trip); the template; the
    # handler
    assert first.round_trips == 4
    second = apply(tmp_path, PACKAGE_INSTALL)
    assert second.recap["local1"].changed == 0 and second.recap["local1"].failed == 0
    assert second.round_trips == 1


def test_the_same_install_trusted_to_list_its_effects_plans_the_template_on_facts_read_before_it(
    tmp_path: Path,
) -> None:
    result = apply(tmp_path, replace(PACKAGE_INSTALL, effects_listed=True))
    failed = [r for r in result.results if r.status == "failed"]
    assert [r.task for r in failed] == ["configure chrony"]
    assert f"Destination directory {tmp_path}/target/etc/chrony does not exist" in failed[0].message


def test_an_install_stopped_part_way_stales_the_facts_too(tmp_path: Path) -> None:
    play = ROLE_PLAY.replace(
        "root={{ root }}\n", "root={{ root }} hang=true\n      timeout: 1\n      ignore_errors: true\n"
    )
    result = apply(tmp_path, PACKAGE_INSTALL, play)
    assert [(r.task, r.status) for r in result.results] == [
        ("install chrony", "failed"),
        ("configure chrony", "changed"),
        ("restart chrony", "changed"),
    ]
    assert "timed out after 1 s" in result.results[0].message
