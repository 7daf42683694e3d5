"""Differential: a loop that reads an undefined variable, as ansible-core runs it (the dev-sec os_hardening role's
`loop: "{{ regular_users }}"` with `when: regular_users is defined`).

ansible-core evaluates the task's `when` without the loop variable: false, the task is skipped; true, or failing
itself, the loop's error stands and the task fails. A defined loop runs with `when` evaluated for each item.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.strategies.test_apply_local import make_project, run
from tests.unit.strategies.test_keywords_vs_ansible import ansible_playbook, ansible_run, files

SKIPPED_OR_RUN = """\
- hosts: all
  gather_facts: false
  vars:
    admins: [alice, bob]
    derived_users: "{{ not_defined_either }}"
  tasks:
    - name: Set password ageing
      lineinfile: {path: "{{ root }}/ageing.txt", line: "{{ item }} 60", create: true}
      loop: "{{ regular_users }}"
      when: regular_users is defined
      register: ageing
    - name: what register kept of the skipped loop
      copy:
        content: "{{ ageing.skipped }} {{ ageing.changed }} {{ 'results' in ageing }}\\n"
        dest: "{{ root }}/registered.txt"
    - name: a variable whose value is undefined is undefined
      copy:
        content: "{{ derived_users is defined }} {{ derived_users | default('none') }}\\n"
        dest: "{{ root }}/derived.txt"
    - name: with_items, undefined through another variable, the second condition false
      lineinfile: {path: "{{ root }}/derived.txt", line: "{{ item }}"}
      with_items: "{{ derived_users }}"
      when: [true, derived_users is defined]
    - name: a defined list runs, `when` for each item
      lineinfile: {path: "{{ root }}/admins.txt", line: "{{ item }} {{ index }}", create: true}
      loop: "{{ admins }}"
      loop_control: {index_var: index}
      when: regular_users is not defined and item != 'bob'
    - name: an include whose loop is undefined, its condition false
      include_tasks: line.yml
      loop: "{{ regular_users }}"
      when: regular_users is defined
    - name: an include with a defined loop, `when` for each item
      include_tasks: line.yml
      loop: "{{ admins }}"
      when: item == 'bob'
"""
LINE = '- name: included line\n  lineinfile: {path: "{{ root }}/included.txt", line: "{{ item }}", create: true}\n'

LINE_ARGS = '{path: "{{ root }}/failing.txt", line: "{{ item }}", create: true}'
FAILING = {
    "a true condition": 'loop: "{{ regular_users }}"\n      when: 1 == 1',
    "no condition": 'loop: "{{ regular_users }}"',
    "a condition itself undefined": 'loop: "{{ regular_users }}"\n      when: other_flag',
    "a condition on the loop variable": 'loop: "{{ regular_users }}"\n      when: item != "root"',
    "an include, a true condition": 'loop: "{{ regular_users }}"\n      when: regular_users is not defined',
}
"""Tasks whose undefined loop fails the run in both tools (the last, an include_tasks of the same file)."""

FAILING_PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: failing
      {module}: {args}
      {keywords}
    - name: never reached
      file: {{path: "{{{{ root }}}}/after.txt", state: touch}}
"""


def test_a_false_condition_skips_an_undefined_loop_as_ansible(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path / "deployctl", playbook=SKIPPED_OR_RUN)
    (root / "playbooks" / "line.yml").write_text(LINE)
    result = run(root, inventory)
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results if r.status == "failed"]
    statuses = {r.task: r.status for r in result.results}
    assert statuses["Set password ageing"] == "skipped"
    assert statuses["with_items, undefined through another variable, the second condition false"] == "skipped"
    ours = tmp_path / "deployctl" / "target"
    theirs = tmp_path / "ansible"
    theirs.mkdir()
    ansible_run(root / "playbooks" / "site.yml", theirs, "local1,")
    assert files(ours) == files(theirs)
    assert files(ours) == {
        "admins.txt": "alice 0\n",
        "derived.txt": "False none\n",
        "included.txt": "bob\n",
        "registered.txt": "True False False\n",
    }


@pytest.mark.parametrize("case", FAILING)
def test_a_true_or_failing_condition_keeps_the_loop_error_as_ansible(tmp_path: Path, case: str) -> None:
    include = case.startswith("an include")
    module, args = ("include_tasks", "line.yml") if include else ("lineinfile", LINE_ARGS)
    playbook = FAILING_PLAYBOOK.format(module=module, args=args, keywords=FAILING[case])
    root, inventory = make_project(tmp_path / "deployctl", playbook=playbook)
    (root / "playbooks" / "line.yml").write_text(LINE)
    result = run(root, inventory)
    failed = [r for r in result.results if r.status == "failed"]
    assert result.exit_code != 0
    assert [r.task for r in failed] == ["failing"]
    assert "'regular_users' is undefined" in failed[0].message
    theirs = tmp_path / "ansible"
    theirs.mkdir()
    done = ansible_playbook(root / "playbooks" / "site.yml", theirs, "local1,")
    assert done.returncode != 0, done.stdout[-3000:]
    assert "'regular_users' is undefined" in done.stdout
    assert files(tmp_path / "deployctl" / "target") == files(theirs) == {}
