"""A value that becomes an option or a second line only after rendering fails its task on that host,
with the load-time message, before anything runs (local transport)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.strategies.test_apply_local import make_project, run

PLAYBOOK = """\
- hosts: all
  tasks:
    - name: read a value from the host
      command: printf '10\\nkernel.modprobe=/tmp/evil'
      register: host_value
      changed_when: false
    - name: set it
      sysctl:
        name: vm.swappiness
        value: "{{ host_value.stdout }}"
        sysctl_file: "{{ root }}/99-app.conf"
        reload: false
      ignore_errors: true
    - name: install what the host named
      apt:
        name: "{{ host_value.stdout_lines[1] | replace('kernel.modprobe=', '-oDPkg::Pre-Invoke::=') }}"
"""


def test_a_rendered_newline_or_option_fails_the_task_before_it_runs(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=PLAYBOOK)
    result = run(root, inventory)
    sysctl = next(r for r in result.results if r.task == "set it")
    assert sysctl.status == "failed"
    assert "value: must be one line, but '10\\nkernel.modprobe=/tmp/evil' holds a newline" in sysctl.message
    assert not (tmp_path / "target" / "99-app.conf").exists()
    apt = next(r for r in result.results if r.task == "install what the host named")
    assert apt.status == "failed"
    assert "name: '-oDPkg::Pre-Invoke::=/tmp/evil' is not a Debian package name" in apt.message
