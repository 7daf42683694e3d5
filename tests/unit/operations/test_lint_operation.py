"""`lint` is at least as strict as apply's pre-run check, without a host."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook_checks import check_playbook
from deployctl.model.unsupported import playbook_unsupported
from deployctl.operations.lint import lint


def write_role(root: Path, task: str, templates: dict[str, str]) -> Path:
    role = root / "roles" / "web"
    (role / "tasks").mkdir(parents=True)
    (role / "templates").mkdir()
    (role / "tasks" / "main.yml").write_text(task)
    for name, text in templates.items():
        (role / "templates" / name).write_text(text)
    return role


def test_each_template_a_templated_src_may_pick_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_role(
        tmp_path,
        "- template:\n    src: 'site-{{ ansible_os_family }}.conf.j2'\n    dest: /etc/site.conf\n",
        {
            "site-Debian.conf.j2": "ok {{ port }}\n",
            "site-RedHat.conf.j2": "a\n{% if port %}\n{{ port | shout }}\n{% endif %}\n",
            "other.j2": "{{ nope | nope }}\n",
        },
    )
    (report,) = lint(Path("roles/web"))
    assert [str(problem) for problem in report.problems] == [
        "roles/web/templates/site-RedHat.conf.j2:3: template syntax error: No filter named 'shout'."
        " (template of the task at roles/web/tasks/main.yml:1)"
    ]


def test_apply_checks_the_template_a_host_picks(tmp_path: Path) -> None:
    write_role(
        tmp_path,
        "- template:\n    src: 'site-{{ flavour }}.conf.j2'\n    dest: /etc/site.conf\n",
        {"site-a.conf.j2": "a\n", "site-b.conf.j2": "{% if x is nopetest %}{% endif %}\n"},
    )
    (tmp_path / "site.yml").write_text("- hosts: all\n  roles: [web]\n")
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    check_playbook(playbook, playbook.templar(), {"web01": {"flavour": "a"}}, set())
    with pytest.raises(InputError, match=r"site-b\.conf\.j2:1: template syntax error: No test named 'nopetest'"):
        check_playbook(playbook, playbook.templar(), {"web01": {"flavour": "b"}}, set())


def test_an_unknown_filter_inside_a_statement_of_a_task_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  tasks:\n    - debug:\n        msg: '{% if x %}{{ x | shout }}{% endif %}'\n"
    )
    (report,) = lint(Path("site.yml"))
    assert [str(problem) for problem in report.problems] == [
        "site.yml:4: debug.msg: template syntax error: No filter named 'shout'."
    ]


def test_an_unsupported_lookup_in_a_template_file_stays_with_its_task(tmp_path: Path) -> None:
    role = write_role(
        tmp_path,
        "- template: src=motd.j2 dest=/etc/motd\n  when: ansible_os_family == 'RedHat'\n",
        {"motd.j2": "hello\n{{ lookup('pipe', 'date') }}\n"},
    )
    (tmp_path / "site.yml").write_text("- hosts: all\n  roles: [web]\n")
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    (found,) = playbook_unsupported(playbook)
    assert found.unless == ("ansible_os_family == 'RedHat'",)
    assert found.task.unsupported_message.startswith("roles/web/templates/motd.j2:2: unsupported lookup plugin 'pipe'")
    (report,) = lint(role)
    assert report.problems == () and len(report.conditional) == 1


def test_a_refused_load_still_lists_the_unsupported_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  strategy: free\n  tasks:\n    - pacman: name=x\n"
        "    - yum: name=x\n      when: ansible_os_family == 'RedHat'\n"
    )
    (report,) = lint(Path("site.yml"))
    assert [str(problem) for problem in report.problems] == [
        "site.yml:2: strategy: unsupported keyword 'strategy'",
        "site.yml:4: pacman: unknown module 'pacman'",
    ]
    assert [use.task.module for use in report.conditional] == ["yum"]


def test_apt_key_is_accepted_and_a_bad_key_id_is_refused_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  tasks:\n"
        "    - ansible.builtin.apt_key:\n        url: https://debian.example/key.asc\n        keyring: /k.gpg\n"
        "    - apt_key: {id: '0x0123456789AB', data: x}\n"
    )
    (report,) = lint(Path("site.yml"))
    assert [str(problem) for problem in report.problems] == [
        "site.yml:6: apt_key.id: key_id must be 8, 16, or 16+ hexadecimal characters in length"
    ]
