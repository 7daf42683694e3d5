"""Ansible's magic variables built from the inventory, a play and a template, as ansible-core 2.19 gives them."""

from __future__ import annotations

from pathlib import Path

from deployctl.model.inventory import Inventory, load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook
from deployctl.model.project import load_project
from deployctl.model.runvars import (
    ANSIBLE_MANAGED,
    magic_variables,
    play_variables,
    run_variables,
    template_variables,
)

INVENTORY = """\
all:
  hosts:
    10.0.0.5:
  children:
    web:
      hosts:
        web1.example.com: {port: 80}
    db:
      hosts:
        web1.example.com:
"""


def load(tmp_path: Path) -> tuple[Inventory, Playbook]:
    (tmp_path / "inventories").mkdir()
    (tmp_path / "deployctl.yml").write_text("stages: [test]\n")
    (tmp_path / "inventories" / "test.yml").write_text(INVENTORY)
    (tmp_path / "site.yml").write_text("- name: web\n  hosts: all\n  tasks: []\n")
    return load_inventory(load_project(tmp_path), "test"), load_playbook(tmp_path / "site.yml")


def test_host_run_variables(tmp_path: Path) -> None:
    inventory, playbook = load(tmp_path)
    host = inventory.hosts["web1.example.com"]
    values = run_variables(inventory, playbook, host, check=True, diff=False)
    assert (values["inventory_hostname_short"], values["group_names"]) == ("web1", ["db", "web"])
    assert values["hostvars"]["10.0.0.5"]["group_names"] == ["ungrouped"]
    assert values["hostvars"]["web1.example.com"]["port"] == 80
    assert values["hostvars"]["web1.example.com"]["inventory_hostname_short"] == "web1"
    assert (values["ansible_check_mode"], values["ansible_diff_mode"]) == (True, False)
    assert values["ansible_version"]["full"] == "2.19.14" and values["ansible_version"]["minor"] == 19


def test_an_ip_address_is_its_own_short_name(tmp_path: Path) -> None:
    _inventory, playbook = load(tmp_path)
    assert magic_variables("10.0.0.5", playbook)["inventory_hostname_short"] == "10.0.0.5"


def test_play_variables_leave_out_failed_hosts_but_not_from_hosts_all(tmp_path: Path) -> None:
    _inventory, playbook = load(tmp_path)
    play = playbook.plays[0]
    values = play_variables(play, ["a", "b", "c"], ["b", "c"], {"a", "c"})
    assert values == {
        "ansible_play_name": "web",
        "ansible_play_hosts_all": ["a", "b", "c"],
        "ansible_play_hosts": ["b"],
        "ansible_play_batch": ["b"],
        "play_hosts": ["b"],
    }


def test_template_variables_keep_a_set_ansible_managed(tmp_path: Path) -> None:
    source = tmp_path / "app.conf.j2"
    source.write_text("x")
    values = template_variables("app.conf.j2", source, "/etc/app.conf", {"port": 80})
    assert (values["ansible_managed"], values["port"]) == (ANSIBLE_MANAGED, 80) == ("Ansible managed", 80)
    assert (values["template_path"], values["template_destpath"]) == ("app.conf.j2", "/etc/app.conf")
    assert values["template_fullpath"] == str(source)
    own = template_variables("app.conf.j2", source, None, {"ansible_managed": "Managed by us"})
    assert own["ansible_managed"] == "Managed by us"
