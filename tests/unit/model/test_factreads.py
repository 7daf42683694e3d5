"""Which plays can read gathered facts: found from their content, followed through variables and files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from deployctl.model.factreads import reads_facts
from deployctl.model.loading.plays import load_playbook

TEMPLATE = "listen={{ port }}\n"


def _reads(
    tmp_path: Path, tasks: str, variables: Mapping[str, Any] | None = None, files: Mapping[str, str] | None = None
) -> bool:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "app.conf.j2").write_text(TEMPLATE)
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "site.yml").write_text(f"- hosts: all\n  vars:\n    port: 80\n  tasks:\n{tasks}")
    playbook = load_playbook(tmp_path / "site.yml")
    (play,) = playbook.plays
    return reads_facts(play, playbook.templar(), playbook.base_dir, variables or {})


PLAIN = """\
    - name: config for {{ inventory_hostname }}
      template: src=app.conf.j2 dest=/etc/app.conf
    - command: echo {{ port }}
      when: port | int > 1
"""


def test_a_play_that_reads_no_fact(tmp_path: Path) -> None:
    assert not _reads(tmp_path, PLAIN, {"inventory_hostname": "web1"})


@pytest.mark.parametrize(
    "tasks",
    [
        "    - command: echo {{ ansible_hostname }}\n",
        "    - name: on {{ ansible_fqdn }}\n      command: echo hi\n",
        "    - command: echo hi\n      when: ansible_os_family == 'Debian'\n",
        "    - command: echo hi\n      register: out\n      changed_when: ansible_distribution in out.stdout\n",
        "    - assert:\n        that: [ansible_memtotal_mb > 512]\n",
        "    - debug: var=ansible_default_ipv4\n",
        "    - command: echo {{ item }}\n      loop: '{{ ansible_interfaces }}'\n",
        "    - command: echo {{ ansible_facts.hostname }}\n",
        "    - command: echo {{ ansible_facts['hostname'] }}\n",
        "    - command: echo {{ hostvars[inventory_hostname].x }}\n",
        "    - command: echo {{ vars['ansible_' + 'hostname'] }}\n",
        "    - command: echo {{ lookup('vars', 'ansible_' + 'hostname') }}\n",
        "    - command: echo {{ lookup('vars', 'ansible_hostname') }}\n",
        "    - command: echo {{ x }}\n      vars:\n        x: '{{ ansible_hostname }}'\n",
        "    - template: src={{ name }}.j2 dest=/etc/app.conf\n      vars:\n        name: app.conf\n",
    ],
)
def test_content_that_reads_facts(tmp_path: Path, tasks: str) -> None:
    assert _reads(tmp_path, tasks, {"inventory_hostname": "web1"})


def test_a_template_file_that_reads_a_fact_directly_or_through_an_include(tmp_path: Path) -> None:
    tasks = "    - template: src=main.conf.j2 dest=/etc/main.conf\n"
    main = {"templates/main.conf.j2": "{% include 'part.j2' %}\n"}
    assert _reads(tmp_path, tasks, files={**main, "templates/part.j2": "{{ ansible_hostname }}\n"})
    assert not _reads(tmp_path, tasks, files={**main, "templates/part.j2": "{{ port }}\n"})
    computed = {"templates/main.conf.j2": "{% include part ~ '.j2' %}\n", "templates/part.j2": "{{ port }}\n"}
    assert _reads(tmp_path, tasks, {"part": "part"}, files=computed)  # an include picked at run time


def test_a_host_variable_that_reads_a_fact_counts_only_when_the_play_reads_it(tmp_path: Path) -> None:
    variables = {"listen": "{{ ansible_default_ipv4.address }}", "unused": "{{ ansible_hostname }}"}
    assert _reads(tmp_path, "    - command: echo {{ listen }}\n", variables)
    assert not _reads(tmp_path, "    - command: echo {{ port }}\n", variables)


def test_names_that_variables_define_are_not_facts(tmp_path: Path) -> None:
    tasks = "    - command: echo {{ ansible_host }} {{ ansible_check_mode }}\n"
    assert not _reads(tmp_path, tasks, {"ansible_host": "127.0.0.1", "ansible_check_mode": False})
    assert _reads(tmp_path, tasks, {"ansible_check_mode": False})


def test_an_include_vars_file_and_an_included_task_file_are_read(tmp_path: Path) -> None:
    include_vars = "    - include_vars: more.yml\n    - command: echo {{ more }}\n"
    assert _reads(tmp_path, include_vars, files={"more.yml": "more: '{{ ansible_hostname }}'\n"})
    include_tasks = "    - include_tasks: extra.yml\n"
    assert _reads(tmp_path, include_tasks, files={"extra.yml": "- command: echo {{ ansible_hostname }}\n"})
    assert not _reads(tmp_path, include_tasks, files={"extra.yml": "- command: echo {{ port }}\n"})


@pytest.mark.parametrize(
    "tasks",
    [
        "    - name: play\n      command: echo {{ ansible_play_hosts | length }} {{ ansible_play_batch }}\n",
        "    - name: run\n      command: echo {{ ansible_version.full }} {{ ansible_diff_mode }}\n",
        "    - name: role\n      command: echo {{ ansible_role_name | default('none') }}\n",
    ],
)
def test_magic_variables_the_run_adds_are_not_facts(tmp_path: Path, tasks: str) -> None:
    assert not _reads(tmp_path, tasks)


def test_a_templates_ansible_managed_is_not_a_fact(tmp_path: Path) -> None:
    files = {"templates/managed.j2": "# {{ ansible_managed }}\n"}
    assert not _reads(tmp_path, "    - template: src=managed.j2 dest=/etc/x\n", files=files)
