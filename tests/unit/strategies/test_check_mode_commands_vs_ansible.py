"""Differential: what a command registers in check mode, as ansible-core registers it.

A command that would run does not run: unguarded it is skipped, let through by its `creates`/`removes` guard it
is changed; either way it registers rc 0 and empty output (`stdout_lines` too), so that later tasks reading it,
e.g. `with_subelements` over the lines of a loop's results (the dev-sec os_hardening role), find no items.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.unit.strategies.test_apply_local import make_project, run
from tests.unit.strategies.test_keywords_vs_ansible import ANSIBLE_PLAYBOOK, files

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: find lines
      shell: echo one; echo two
      loop: [a, b]
      register: found
      changed_when: false
    - name: guarded
      shell: touch {{ root }}/made
      args: {creates: "{{ root }}/made"}
      register: guarded
    - name: plain
      command: echo hi
      register: plain
    - name: per found line
      lineinfile: {path: "{{ root }}/lines.txt", line: "{{ item.1 }}", create: true}
      with_subelements:
        - "{{ found.results }}"
        - stdout_lines
      check_mode: false
    - name: what register kept
      copy:
        content: |
          plain {{ plain.skipped | default('undef') }} {{ plain.changed }} {{ plain.rc }} {{ plain.stdout_lines }}
          {{ plain.msg }}
          guarded {{ guarded.changed }} {{ guarded.skipped | default('undef') }} [{{ guarded.stdout }}]
          {{ guarded.stderr_lines }}
          found {{ found.skipped | default('undef') }} {{ found.changed }} {{ found.msg }}
          {{ found.results | map(attribute='skipped') | list }}
        dest: "{{ root }}/registered.txt"
      check_mode: false
"""


def test_a_command_registers_in_check_mode_what_ansible_registers(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path / "deployctl", playbook=PLAYBOOK)
    result = run(root, inventory, check=True)
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results if r.status == "failed"]
    statuses = {r.task: r.status for r in result.results}
    assert (statuses["plain"], statuses["guarded"]) == ("skipped", "changed")
    theirs = tmp_path / "ansible"
    theirs.mkdir()
    assert ANSIBLE_PLAYBOOK is not None, "ansible-core (a test dependency) is not installed"
    python, playbook = f"ansible_python_interpreter={sys.executable}", str(root / "playbooks" / "site.yml")
    done = subprocess.run(
        [ANSIBLE_PLAYBOOK, "--check", "-i", "local1,", "-c", "local", "-e", f"root={theirs}", "-e", python, playbook],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "changed=2 " in done.stdout and "skipped=3 " in done.stdout  # guarded and the copy; as ours below
    ours = files(tmp_path / "deployctl" / "target")
    assert ours == files(theirs)
    assert "lines.txt" not in ours  # no line found: nothing ran
    assert ours["registered.txt"].startswith("plain True False 0 []\nCommand would have run if not in check mode\n")
