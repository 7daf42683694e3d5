"""Ansible's magic variables of one host: those known before the run, and those a run gives every task."""

from __future__ import annotations

from typing import Any

from deployctl.model.inventory import Inventory, InventoryHost
from deployctl.model.playbook import Playbook


def magic_variables(host: str, playbook: Playbook) -> dict[str, Any]:
    """The magic variables known before the run: the host's inventory name and the playbook's folder."""
    return {
        "inventory_hostname": host,
        "inventory_hostname_short": host.split(".")[0],
        "playbook_dir": str(playbook.base_dir),
    }


def run_variables(inventory: Inventory, playbook: Playbook, host: InventoryHost, check: bool) -> dict[str, Any]:
    """Ansible's magic variables for one host: its name, groups, the inventory's groups and hostvars."""
    return {
        **magic_variables(host.name, playbook),
        "group_names": [g for g in host.groups if g not in ("all", "ungrouped")],
        "groups": {name: list(group.all_hosts) for name, group in inventory.groups.items()},
        "hostvars": {name: dict(other.vars) for name, other in inventory.hosts.items()},
        "ansible_check_mode": check,
        "deployctl_stage": inventory.stage,
    }
