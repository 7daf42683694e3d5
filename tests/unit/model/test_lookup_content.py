"""Lookups in Ansible content: refused by name when unknown, checked before any host, resolved per host."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import UnsupportedContentError
from deployctl.model.playbook_checks import check_playbook
from tests.unit.strategies.test_apply_local import make_project, run

ROLE_TASKS = """\
- name: OS-specific variables, as public roles choose them
  include_vars: "{{ lookup('first_found', params) }}"
  vars:
    params:
      files: ['{{ ansible_distribution }}-nope.yml', '{{ ansible_os_family }}-nope.yml', default.yml]
      paths: [vars]
- name: Write what the lookups found
  copy:
    content: "{{ chosen }} {{ lookup('file', 'banner.txt') }} {{ lookup('env', 'DEPLOYCTL_LOOKUP_CONTENT') }}\\n"
    dest: "{{ root }}/lookups.txt"
"""


def write_role(playbooks: Path, tasks: str = ROLE_TASKS) -> None:
    role = playbooks / "roles" / "looker"
    for part, name, text in (
        ("tasks", "main.yml", tasks),
        ("vars", "default.yml", "chosen: default-vars\n"),
        ("files", "banner.txt", "banner\n"),
    ):
        (role / part).mkdir(parents=True, exist_ok=True)
        (role / part / name).write_text(text)


def test_unknown_lookup_plugins_are_all_listed_with_file_line_and_field(tmp_path: Path) -> None:
    write_role(tmp_path, "- debug: msg=\"{{ lookup('dig', 'example.org') }}\"\n")
    (tmp_path / "roles" / "looker" / "templates").mkdir()
    (tmp_path / "roles" / "looker" / "templates" / "t.j2").write_text("ok\n{{ query('pipe', 'date') }}\n")
    (tmp_path / "roles" / "looker" / "tasks" / "main.yml").write_text(
        "- debug: msg=\"{{ lookup('dig', 'example.org') }}\"\n- template: src=t.j2 dest=/tmp/t\n"
    )
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n"
        "  vars:\n"
        "    token: \"{{ lookup('hashi_vault', 'secret') }}\"\n"
        "  roles: [looker]\n"
        "  tasks:\n"
        "    - command: echo {{ item }}\n"
        "      loop: \"{{ query('inventory_hostnames', 'all') }}\"\n"
    )
    with pytest.raises(UnsupportedContentError) as caught:
        load_playbook(tmp_path / "site.yml", "site.yml")
    found = [(Path(p.source).name, p.line, p.field, p.problem.split(" in ")[0]) for p in caught.value.problems]
    assert found == [  # what refuses the load, then the unsupported tasks every host reaches
        ("site.yml", 3, "vars.token", "unsupported lookup plugin 'hashi_vault'"),
        ("main.yml", 1, "debug.msg", "unsupported lookup plugin 'dig'"),
        ("t.j2", 2, None, "unsupported lookup plugin 'pipe'"),
        ("site.yml", 7, "loop", "unsupported lookup plugin 'inventory_hostnames'"),
    ]
    (tmp_path / "site.yml").write_text(
        "\n".join(
            line
            for line in (tmp_path / "site.yml").read_text().splitlines()
            if "token" not in line and line != "  vars:"
        )
        + "\n"
    )
    tasks = load_playbook(tmp_path / "site.yml", "site.yml").plays[0].tasks
    kept = [(Path(p.source).name, p.line, p.field, p.problem.split(" in ")[0]) for t in tasks for p in t.unsupported]
    assert kept == [
        ("main.yml", 1, "debug.msg", "unsupported lookup plugin 'dig'"),
        ("t.j2", 2, None, "unsupported lookup plugin 'pipe'"),  # kept by the template task that renders it
        ("site.yml", 5, "loop", "unsupported lookup plugin 'inventory_hostnames'"),
    ]


def test_lookups_are_checked_before_any_host_unless_they_read_what_only_the_run_knows(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n"
        "  tasks:\n"
        "    - command: cat /etc/hostname\n"
        "      register: out\n"
        "    - copy: content=\"{{ lookup('file', out.stdout) }}\" dest=/tmp/a\n"
        "    - copy: content=\"{{ lookup('file', 'missing.txt') }}\" dest=/tmp/b\n"
    )
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    with pytest.raises(InputError) as caught:
        check_playbook(playbook, playbook.templar(), {"web1": {}}, ())
    assert (caught.value.line, caught.value.field) == (6, "copy.content")
    assert "could not locate file in lookup: missing.txt" in caught.value.problem
    assert caught.value.problem.endswith("(host web1)")


def test_a_role_includes_the_vars_first_found_picks_on_the_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOYCTL_LOOKUP_CONTENT", "from-env")
    playbook = "- hosts: all\n  roles: [looker]\n"
    root, inventory = make_project(tmp_path, playbook=playbook)
    write_role(root / "playbooks")
    (root / "playbooks" / "roles" / "looker" / "vars" / "Debian.yml").write_text("chosen: debian-vars\n")
    first = run(root, inventory)
    assert first.exit_code == 0, [r.message for r in first.results if r.status == "failed"]
    written = (tmp_path / "target" / "lookups.txt").read_text()
    assert written == "default-vars banner from-env\n"
    second = run(root, inventory)
    assert second.recap["local1"].changed == 0
