"""Differential: `ignore_errors`, `check_mode` and `become` given as templates hold per host (and per loop item)
as in ansible-core; a value that is no bool fails its task with Ansible's words."""

from __future__ import annotations

from pathlib import Path

from tests.unit.strategies.test_apply_local import make_project, run
from tests.unit.strategies.test_keywords_vs_ansible import ansible_run, files

HOSTS = "local1:\n    local2:"
PLAYBOOK = """\
- hosts: all
  gather_facts: false
  vars:
    first: "{{ inventory_hostname == 'local1' }}"
  tasks:
    - name: checked on local2 only
      copy: {content: "written\\n", dest: "{{ root }}/checked-{{ inventory_hostname }}"}
      check_mode: "{{ inventory_hostname == 'local2' }}"
    - name: checked per item
      copy: {content: "{{ item }}\\n", dest: "{{ root }}/item-{{ item }}-{{ inventory_hostname }}"}
      loop: [a, b]
      check_mode: "{{ item == 'b' }}"
    - name: become from a template
      shell: id -u > {{ root }}/become-{{ inventory_hostname }}
      become: "{{ 'no' }}"
    - block:
        - name: fails, ignored on local1 only
          command: /bin/false
          ignore_errors: "{{ first }}"
        - name: after
          file: {path: "{{ root }}/after-{{ inventory_hostname }}", state: touch}
      rescue:
        - name: rescued
          file: {path: "{{ root }}/rescued-{{ inventory_hostname }}", state: touch}
    - block:
        - name: fails, ignored by the block's template
          command: /bin/false
        - name: after in the block
          file: {path: "{{ root }}/block-{{ inventory_hostname }}", state: touch}
      ignore_errors: "{{ ansible_check_mode or first }}"
      rescue:
        - name: block rescued
          file: {path: "{{ root }}/block-rescued-{{ inventory_hostname }}", state: touch}
"""


def test_templated_bool_keywords_as_ansible(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path / "deployctl", hosts=HOSTS, playbook=PLAYBOOK)
    result = run(root, inventory)
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results if r.status == "failed"]
    ours = tmp_path / "deployctl" / "target"
    theirs = tmp_path / "ansible"
    theirs.mkdir()
    ansible_run(root / "playbooks" / "site.yml", theirs, "local1,local2,")
    assert files(ours) == files(theirs)
    assert sorted(files(ours)) == [
        "after-local1",
        "become-local1",
        "become-local2",
        "block-local1",
        "block-rescued-local2",
        "checked-local1",
        "item-a-local1",
        "item-a-local2",
        "rescued-local2",
    ]


def test_a_template_that_gives_no_bool_fails_the_task(tmp_path: Path) -> None:
    playbook = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: odd
      command: /bin/true
      become: "{{ 'maybe' }}"
    - name: skipped before its keywords are rendered
      command: /bin/true
      check_mode: "{{ undefined_here }}"
      when: false
"""
    root, inventory = make_project(tmp_path, playbook=playbook)
    result = run(root, inventory)
    odd = next(r for r in result.results if r.task == "odd")
    assert odd.status == "failed"
    assert "Error processing keyword 'become': The value 'maybe' could not be converted to 'bool'." in odd.message
    playbook = playbook.replace("      become: \"{{ 'maybe' }}\"\n", "")
    (root / "playbooks" / "site.yml").write_text(playbook)
    assert {r.task: r.status for r in run(root, inventory).results} == {
        "odd": "changed",
        "skipped before its keywords are rendered": "skipped",
    }
