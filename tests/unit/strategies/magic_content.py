"""A project whose playbook writes Ansible's magic variables and common facts to JSON files, one per host and
subject, so that deployctl's values can be checked (test_magic_variables.py) and compared with ansible-core's
(tests/integration/test_magic_parity.py). Two local hosts (one grouped, one not), `serial: 1`, a role."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SEARCH_PATH = f"{Path(sys.executable).parent}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
"""PATH for both tools: the interpreter running the tests first, so that the interpreter both discover (the
first of python3.13, python3.12... found) is a working one, not a version manager's shim of another version."""

INVENTORY = """\
all:
  vars:
    out: {out}
  hosts:
    lone.example.com:
      colour: blue
  children:
    web:
      hosts:
        local1:
          colour: red
"""

PLAY_NAMES = (
    "inventory_hostname",
    "inventory_hostname_short",
    "group_names",
    "groups",
    "ansible_play_name",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_batch",
    "play_hosts",
    "ansible_check_mode",
    "ansible_diff_mode",
    "ansible_version",
    "playbook_dir",
)
FACT_NAMES = (
    "ansible_distribution",
    "ansible_distribution_release",
    "ansible_distribution_major_version",
    "ansible_distribution_version",
    "ansible_os_family",
    "ansible_pkg_mgr",
    "ansible_service_mgr",
    "ansible_architecture",
    "ansible_machine",
    "ansible_userspace_bits",
    "ansible_userspace_architecture",
    "ansible_processor_vcpus",
    "ansible_memtotal_mb",
    "ansible_swaptotal_mb",
    "ansible_lsb",
    "ansible_selinux",
    "ansible_selinux_python_present",
    "ansible_python_version",
    "ansible_machine_id",
    "ansible_fqdn",
    "ansible_hostname",
    "ansible_nodename",
    "ansible_system",
    "ansible_kernel",
    "ansible_virtualization_type",
    "ansible_virtualization_role",
    "ansible_user_id",
    "ansible_user_uid",
)
"""Facts that cannot change between two runs a few seconds apart (moving ones are written separately)."""

PLAYBOOK = f"""\
- name: magic probe
  hosts: all
  serial: 1
  gather_facts: false
  roles:
    - probe
  tasks:
    - name: play variables
      copy:
        dest: "{{{{ out }}}}/{{{{ inventory_hostname }}}}-play.json"
        content: "{{{{ {{{", ".join(f"'{name}': {name}" for name in PLAY_NAMES)}}} | to_json }}}}"
    - name: another host's variables
      copy:
        dest: "{{{{ out }}}}/{{{{ inventory_hostname }}}}-hostvars.json"
        content: "{{{{ {{'colour': hostvars['local1'].colour, 'name': hostvars['local1'].inventory_hostname,
          'groups': hostvars['local1'].group_names}} | to_json }}}}"
    - name: modes
      debug:
        msg: "check={{{{ ansible_check_mode }}}} diff={{{{ ansible_diff_mode }}}}"
    - name: a parameter given omit is left out
      copy:
        dest: "{{{{ out }}}}/{{{{ inventory_hostname }}}}-omitted.txt"
        content: "mode omitted\\n"
        mode: "{{{{ no_such_mode | default(omit) }}}}"

- name: facts probe
  hosts: all
  gather_facts: true
  tasks:
    - name: facts
      copy:
        dest: "{{{{ out }}}}/{{{{ inventory_hostname }}}}-facts.json"
        content: "{{{{ {{{", ".join(f"'{name}': {name}" for name in FACT_NAMES)}}} | to_json }}}}"
    - name: moving facts
      copy:
        dest: "{{{{ out }}}}/{{{{ inventory_hostname }}}}-moving.json"
        content: "{{{{ {{'memory_mb': ansible_facts.memory_mb, 'mounts': ansible_mounts, 'date_time': ansible_date_time,
          'python': ansible_python, 'default_ipv4': ansible_default_ipv4, 'memory': ansible_memory_mb}} | to_json }}}}"
"""

ROLE_TASKS = """\
- name: role variables
  copy:
    dest: "{{ out }}/{{ inventory_hostname }}-role.json"
    content: "{{ {'role_name': role_name, 'ansible_role_name': ansible_role_name, 'role_path': role_path} | to_json }}"
- name: managed template
  template:
    src: managed.j2
    dest: "{{ out }}/{{ inventory_hostname }}-template.txt"
"""
TEMPLATE = """\
{{ ansible_managed }}
role_path={{ role_path }}
template_path={{ template_path }}
template_destpath={{ template_destpath }}
template_fullpath={{ template_fullpath }}
template_host={{ template_host }}
template_uid={{ template_uid }}
"""


def make_magic_project(root: Path, out: Path) -> Path:
    """The project under `root` (deployctl.yml, inventories/test.yml, site.yml, roles/probe); returns site.yml."""
    (root / "inventories").mkdir(parents=True)
    (root / "roles" / "probe" / "tasks").mkdir(parents=True)
    (root / "roles" / "probe" / "templates").mkdir()
    (root / "deployctl.yml").write_text("stages: [test]\n")
    (root / "inventories" / "test.yml").write_text(INVENTORY.format(out=out))
    (root / "roles" / "probe" / "tasks" / "main.yml").write_text(ROLE_TASKS)
    (root / "roles" / "probe" / "templates" / "managed.j2").write_text(TEMPLATE)
    site = root / "site.yml"
    site.write_text(PLAYBOOK)
    out.mkdir(parents=True, exist_ok=True)
    return site


def written(out: Path, host: str, subject: str) -> Any:
    """What the playbook wrote for a host and subject (play, hostvars, role, facts, moving: JSON; template: text)."""
    if subject == "template":
        return (out / f"{host}-template.txt").read_text()
    return json.loads((out / f"{host}-{subject}.json").read_text())
