"""Differential: the loop keywords and `environment` give the same items and values as ansible-core.

The same playbook runs with ansible-playbook (local connection) and with deployctl (the mutable
strategy through the local transport), each writing into its own folder; every file must match.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.unit.strategies.magic_content import SEARCH_PATH
from tests.unit.strategies.test_apply_local import make_project, run

ANSIBLE_PLAYBOOK = shutil.which("ansible-playbook", path=SEARCH_PATH) or shutil.which("ansible-playbook")

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  environment: {OUTER: play, BOTH: play}
  vars:
    tricky: "a'b $(touch {{ root }}/injected) ;\\"c` `\\n"
    proxy_env: {FROM_TEMPLATE: "{{ ports.http + 1 }}", BOTH: templated}
    users:
      - {name: alice, keys: [a1, a2], shell: /bin/sh}
      - {name: bob, keys: [b1]}
      - {name: carol}
    ports: {http: 80, https: 443}
  tasks:
    - name: dict
      lineinfile: {path: "{{ root }}/dict.txt", line: "{{ item | to_json }}", create: true}
      with_dict: "{{ ports }}"
    - name: subelements
      lineinfile: {path: "{{ root }}/sub.txt", line: "{{ item | to_json }}", create: true}
      with_subelements: ["{{ users }}", keys, {skip_missing: true}]
    - name: nested
      lineinfile: {path: "{{ root }}/nested.txt", line: "{{ item | to_json }}", create: true}
      with_nested: [[a, b], [1, 2], ["{{ ports.http }}"]]
    - name: together
      lineinfile: {path: "{{ root }}/together.txt", line: "{{ item | to_json }}", create: true}
      with_together: [[a, b, c], [1, 2]]
    - name: indexed
      lineinfile: {path: "{{ root }}/indexed.txt", line: "{{ item | to_json }}", create: true}
      with_indexed_items: [x, [y, z]]
    - name: sequence
      lineinfile: {path: "{{ root }}/sequence.txt", line: "{{ item | to_json }}", create: true}
      with_sequence: start=2 end=8 stride=3 format=n%02d
    - name: list
      lineinfile: {path: "{{ root }}/list.txt", line: "{{ item | to_json }}", create: true}
      with_list: [[1, 2], [3]]
    - name: items
      lineinfile: {path: "{{ root }}/items.txt", line: "{{ item | to_json }}", create: true}
      with_items: [[1, [2]], 3]
    - name: a collection's flattened and a fully qualified builtin lookup
      lineinfile: {path: "{{ root }}/qualified.txt", line: "{{ item | to_json }}", create: true}
      with_community.general.flattened: [[1, [2, [3]]], 4]
    - name: fully qualified dict
      lineinfile: {path: "{{ root }}/qualified.txt", line: "{{ item | to_json }}", create: true}
      with_ansible.builtin.dict: "{{ ports }}"
    - name: vars and varnames
      lineinfile:
        path: "{{ root }}/vars.txt"
        line: "{{ vars[item] | to_json }} {{ lookup('varnames', '^' + item + '$') }} {{ not q('varnames', '^no$') }}"
        create: true
      loop: [ports, proxy_env]
    - name: backslashes in a value's string constants, read once (by YAML)
      lineinfile:
        path: "{{ root }}/backslashes.txt"
        line: "{{ 'OpenSSH_9.2p1 x' | regex_replace('.*_([0-9]*.[0-9]).*', '\\\\1') }} {{ 'a\\\\tb' | length }}"
        create: true
      when: "'a\\\\tb' | length == 3"
    - block:
        - name: environment
          shell: printf '%s|%s|%s|%s\\n' "$OUTER" "$BOTH" "$INNER" "$TRICKY" > {{ root }}/environment.txt
          environment:
            BOTH: task
            TRICKY: "{{ tricky }}"
        - name: environment from a template
          shell: printf '%s|%s|%s\\n' "$OUTER" "$BOTH" "$FROM_TEMPLATE" > {{ root }}/templated.txt
          environment: "{{ proxy_env }}"
      environment: {INNER: block, BOTH: block}
    - name: no environment
      shell: printf '%s|%s\\n' "${OUTER-}" "${INNER-unset}" > {{ root }}/outer.txt
    - include_tasks:
        file: applied.yml
        apply:
          environment: {APPLIED: applied, BOTH: apply}
          vars: {applied_var: from-apply}
    - include_tasks:
        file: skipped.yml
        apply:
          when: false
"""
INCLUDED = {
    "applied.yml": """\
- name: included
  shell: printf '%s|%s|%s|%s\\n' "$APPLIED" "$BOTH" "${NOT_APPLIED-unset}" "{{ applied_var }}" > {{ root }}/applied.txt
""",
    "skipped.yml": "- name: skipped by apply\n  file: path={{ root }}/skipped.txt state=touch\n",
}


RUN_ONCE_HOSTS = "local1:\n    local2:\n    local3:"
RUN_ONCE_PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: once
      shell: echo {{ inventory_hostname }} | tee -a {{ root }}/once.txt
      register: who
      run_once: true
    - name: fact once
      set_fact:
        leader: "{{ inventory_hostname }}"
      run_once: true
    - name: each host saw
      copy:
        content: "{{ who.stdout }} {{ leader }} {{ who.changed }}\\n"
        dest: "{{ root }}/seen-{{ inventory_hostname }}"
    - block:
        - name: block once with a loop
          shell: echo {{ item }} {{ inventory_hostname }} >> {{ root }}/block.txt
          loop: [a, b]
          register: looped
        - name: each host saw the loop
          copy:
            content: "{{ looped.results | map(attribute='item') | join(',') }}\\n"
            dest: "{{ root }}/loop-{{ inventory_hostname }}"
          run_once: false
      run_once: true
"""


def files(folder: Path) -> dict[str, str]:
    """Each file's text, the folder's own path written ROOT (it differs between the two runs)."""
    return {path.name: path.read_text().replace(str(folder), "ROOT") for path in sorted(folder.iterdir())}


def ansible_run(playbook: Path, root: Path, hosts: str = "localhost,") -> None:
    """Run ansible-playbook on this machine (local connection), `root` given as the variable of that name."""
    done = ansible_playbook(playbook, root, hosts)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def ansible_playbook(playbook: Path, root: Path, hosts: str = "localhost,") -> subprocess.CompletedProcess[str]:
    """ansible-playbook's run on this machine (local connection), `root` given as the variable of that name."""
    assert ANSIBLE_PLAYBOOK is not None, "ansible-core (a test dependency) is not installed"
    return subprocess.run(
        [
            ANSIBLE_PLAYBOOK,
            "-i",
            hosts,
            "-c",
            "local",
            "-e",
            f"root={root}",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            str(playbook),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_same_items_and_environment_as_ansible(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path / "deployctl", playbook=PLAYBOOK)
    for name, text in INCLUDED.items():
        (root / "playbooks" / name).write_text(text)
    result = run(root, inventory)
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results if r.status == "failed"]
    ours = tmp_path / "deployctl" / "target"
    theirs = tmp_path / "ansible"
    theirs.mkdir()
    ansible_run(root / "playbooks" / "site.yml", theirs)
    assert files(ours) == files(theirs)
    assert "injected" not in files(ours)  # values are data: the command substitution never ran
    assert files(ours)["environment.txt"].startswith("play|task|block|a'b $(touch ROOT/injected)")
    assert files(ours)["applied.txt"] == "applied|apply|unset|from-apply\n"
    assert "skipped.txt" not in files(ours)


def test_run_once_as_ansible(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path / "deployctl", hosts=RUN_ONCE_HOSTS, playbook=RUN_ONCE_PLAYBOOK)
    result = run(root, inventory)
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results]
    ours = tmp_path / "deployctl" / "target"
    theirs = tmp_path / "ansible"
    theirs.mkdir()
    ansible_run(root / "playbooks" / "site.yml", theirs, "local1,local2,local3,")
    assert files(ours) == files(theirs)
    assert files(ours)["once.txt"] == "local1\n"
