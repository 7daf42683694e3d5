"""Ansible's magic variables: those of one host known before the run, those of a play, and a template's.

deployctl defines them as ansible-core 2.19 does (ANSIBLE_VERSION says which release its behaviour follows):
names, values and types, so that public roles read the same values under both tools.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import pwd
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from deployctl.model.inventory import Inventory, InventoryHost
from deployctl.model.playbook import Play, Playbook

ANSIBLE_VERSION: Mapping[str, Any] = {
    "string": "2.19.14",
    "full": "2.19.14",
    "major": 2,
    "minor": 19,
    "revision": 14,
}
"""`ansible_version`: the ansible-core release whose behaviour deployctl follows (and is tested against)."""
ANSIBLE_MANAGED = "Ansible managed"
"""ansible-core's default `ansible_managed` (DEFAULT_MANAGED_STR), which templates render unless it is set."""

PLAY_MAGIC_NAMES = frozenset(
    {"ansible_play_name", "ansible_play_hosts_all", "ansible_play_hosts", "ansible_play_batch", "play_hosts"}
)
"""The magic variables of a play (see `play_variables`)."""
TEMPLATE_MAGIC_NAMES = frozenset(
    {
        "ansible_managed",
        "template_host",
        "template_path",
        "template_fullpath",
        "template_destpath",
        "template_uid",
        "template_mtime",
        "template_run_date",
    }
)
"""The variables the template module adds while it renders its file (see `template_variables`)."""
RUN_MAGIC_NAMES = frozenset({"ansible_check_mode", "ansible_diff_mode", "ansible_version"})
"""The magic variables of the whole run, the same for every host."""
ROLE_MAGIC_NAMES = frozenset({"role_name", "ansible_role_name", "role_path"})
"""The magic variables of a task's role (see deployctl.model.playbook.RoleScope.magic_variables)."""
DEFINED_ANSIBLE_NAMES = PLAY_MAGIC_NAMES | TEMPLATE_MAGIC_NAMES | RUN_MAGIC_NAMES | ROLE_MAGIC_NAMES
"""Every magic variable deployctl defines beside the host's own: `ansible_*` names among them are not facts."""


def _short_name(host: str) -> str:
    """`inventory_hostname_short`: the name up to its first dot, unless the name is an IP address (kept whole)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host.split(".")[0]
    return host


def magic_variables(host: str, playbook: Playbook) -> dict[str, Any]:
    """The magic variables known before the run: the host's inventory name and the playbook's folder."""
    return {
        "inventory_hostname": host,
        "inventory_hostname_short": _short_name(host),
        "playbook_dir": str(playbook.base_dir),
    }


def group_names(host: InventoryHost) -> list[str]:
    """`group_names`: the host's groups, `ungrouped` included, `all` left out, sorted (as Ansible's Host)."""
    return sorted(group for group in host.groups if group != "all")


def run_variables(
    inventory: Inventory, playbook: Playbook, host: InventoryHost, *, check: bool, diff: bool
) -> dict[str, Any]:
    """Ansible's magic variables for one host: its name and groups, the inventory's groups and every host's
    variables (`hostvars`, each with its own magic names), check and diff mode, `ansible_version`."""
    return {
        **magic_variables(host.name, playbook),
        "group_names": group_names(host),
        "groups": {name: list(group.all_hosts) for name, group in inventory.groups.items()},
        "hostvars": {
            name: {**other.vars, **magic_variables(name, playbook), "group_names": group_names(other)}
            for name, other in inventory.hosts.items()
        },
        "ansible_check_mode": check,
        "ansible_diff_mode": diff,
        "ansible_version": dict(ANSIBLE_VERSION),
        "deployctl_stage": inventory.stage,
    }


def play_variables(
    play: Play, hosts: Sequence[str], batch: Sequence[str], removed: Collection[str] = ()
) -> dict[str, Any]:
    """A play's magic variables: its name, every host it targets (after --limit), those not failed or
    unreachable (`removed`), and the serial batch running now (`play_hosts` is Ansible's old name for it)."""
    current = [name for name in batch if name not in removed]
    return {
        "ansible_play_name": play.name,
        "ansible_play_hosts_all": list(hosts),
        "ansible_play_hosts": [name for name in hosts if name not in removed],
        "ansible_play_batch": current,
        "play_hosts": list(current),
    }


def template_variables(src: str, source: Path, dest: str | None, variables: Mapping[str, Any]) -> dict[str, Any]:
    """The variables a template file renders with, as Ansible's template module gives them: the task's,
    then facts about the template on the controller, and `ansible_managed` unless the variables set it."""
    stat = source.stat()
    try:
        owner: str | int = pwd.getpwuid(stat.st_uid).pw_name
    except KeyError:
        owner = stat.st_uid
    added: dict[str, Any] = {
        "template_host": os.uname().nodename,
        "template_path": src,
        "template_mtime": datetime.datetime.fromtimestamp(stat.st_mtime),
        "template_uid": owner,
        "template_run_date": datetime.datetime.now(),
        "template_destpath": dest,
        "template_fullpath": str(source.absolute()),
    }
    if "ansible_managed" not in variables:
        added["ansible_managed"] = ANSIBLE_MANAGED
    return {**variables, **added}
