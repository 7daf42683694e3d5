"""Refuse only what will run: unsupported tasks are kept with their problem, and block only where they run."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import UnsupportedContentError
from deployctl.model.playbook_checks import check_playbook
from deployctl.model.unsupported import playbook_unsupported
from deployctl.operations.lint import lint


def write_role(root: Path) -> Path:
    """A role in the shape of public ones: a RedHat branch with yum, an os_family include, a Debian file."""
    role = root / "roles" / "chrony"
    (role / "tasks").mkdir(parents=True)
    (role / "tasks" / "main.yml").write_text(
        "- include_tasks: setup-{{ ansible_os_family }}.yml\n"
        "- name: Install on RedHat\n"
        "  yum: name=chrony state=present\n"
        "  when: ansible_os_family == 'RedHat'\n"
        "- name: Config\n"
        "  copy: content=x dest=/etc/chrony.conf\n"
    )
    (role / "tasks" / "setup-Debian.yml").write_text("- apt: name=chrony\n")
    (role / "tasks" / "setup-RedHat.yml").write_text("- dnf: name=chrony\n")
    return role


def test_content_with_other_systems_branches_loads_and_keeps_the_problems(tmp_path: Path) -> None:
    write_role(tmp_path)
    (tmp_path / "site.yml").write_text("- hosts: all\n  roles: [chrony]\n")
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    found = {use.task.module: use for use in playbook_unsupported(playbook)}
    assert set(found) == {"yum", "dnf"}
    assert found["yum"].unless == ("ansible_os_family == 'RedHat'",)
    assert found["yum"].task.unsupported_message == "roles/chrony/tasks/main.yml:3: yum: unknown module 'yum'"
    assert found["dnf"].unless[0].endswith("setup-RedHat.yml")
    check_playbook(playbook, playbook.templar(), {"web01": {}}, set())  # nothing certain: the run may go on


def test_an_unsupported_task_every_host_reaches_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  tasks:\n    - pacman: name=x\n    - command: echo\n      retries: 3\n      when: never_set\n"
    )
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    with pytest.raises(UnsupportedContentError) as caught:
        check_playbook(playbook, playbook.templar(), {"web01": {}}, set())
    assert caught.value.exit_code == 4
    assert [str(p) for p in caught.value.problems] == ["site.yml:3: pacman: unknown module 'pacman'"]


def test_real_input_errors_still_refuse_the_load(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  tasks:\n    - yum: name=x\n      when: false\n    - copy: content={{ x\n"
    )
    with pytest.raises(UnsupportedContentError, match=r"site\.yml:5"):
        load_playbook(tmp_path / "site.yml", "site.yml")


def test_lint_of_a_role_folder_lists_everything_in_one_pass(tmp_path: Path) -> None:
    role = write_role(tmp_path)
    (role / "tasks" / "main.yml").write_text(
        (role / "tasks" / "main.yml").read_text() + "- name: Everywhere\n  package: name=chrony enablerepo=epel\n"
        "- name: Also\n  command: echo\n  until: done\n"
    )
    (report,) = lint(role)
    assert [(p.line, p.field) for p in report.problems] == [(8, "apt.enablerepo"), (11, "until")]
    assert sorted(use.task.module for use in report.conditional) == ["dnf", "yum"]
    (clean,) = lint(write_role(tmp_path / "other"))
    assert clean.problems == () and len(clean.conditional) == 2


def test_a_when_known_before_the_run_refuses_only_the_hosts_it_holds_for(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n"
        "  vars:\n"
        "    wanted: [dev]\n"
        "  tasks:\n"
        "    - block:\n"
        "        - pacman: name=x\n"
        "      when: deployctl_stage in wanted\n"
        "    - yum: name=x\n"
        "      when: deployctl_stage == 'dev' and ansible_os_family == 'RedHat'\n"
        "    - command: echo\n"
        "      register: out\n"
        "    - dnf: name=x\n"
        "      when: out.rc == 0\n"
        "    - apk: name=x\n"
        "      when: deployctl_stage == 'dev'\n"
        "      loop: [1]\n"
    )
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    check_playbook(playbook, playbook.templar(), {"web01": {"deployctl_stage": "prod"}}, set())
    with pytest.raises(UnsupportedContentError) as caught:
        check_playbook(
            playbook,
            playbook.templar(),
            {"web01": {"deployctl_stage": "prod"}, "dev01": {"deployctl_stage": "dev"}},
            set(),
        )
    assert [str(p) for p in caught.value.problems] == [
        "site.yml:6: pacman: unknown module 'pacman' (host dev01: deployctl_stage in wanted)"
    ]


def test_a_when_that_cannot_be_evaluated_yet_does_not_refuse(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n  tasks:\n    - pacman: name=x\n      when: undefined_here == 1\n"
        "    - block:\n        - command: echo\n      rescue:\n        - pacman: name=y\n"
    )
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    check_playbook(playbook, playbook.templar(), {"web01": {}}, set())


def test_unsupported_keywords_of_blocks_imports_and_role_entries_go_with_the_tasks_under_them(tmp_path: Path) -> None:
    write_role(tmp_path)
    (tmp_path / "extra.yml").write_text("- command: echo extra\n")
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n"
        "  roles:\n"
        "    - role: chrony\n"
        "      throttle: 2\n"
        "      when: ansible_os_family == 'Debian'\n"
        "  tasks:\n"
        "    - block:\n"
        "        - command: echo one\n"
        "        - command: echo two\n"
        "      any_errors_fatal: true\n"
        "      when: ansible_os_family == 'RedHat'\n"
        "    - import_tasks: extra.yml\n"
        "      remote_user: admin\n"
    )
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    found = [(use.task.origin.line, use.task.unsupported_message, use.unless) for use in playbook_unsupported(playbook)]
    from_role = [(line, unless[0]) for line, message, unless in found if message.startswith("site.yml:4: throttle")]
    assert from_role == [(1, "ansible_os_family == 'Debian'")] * 3 + [(2, "ansible_os_family == 'Debian'")] + [
        (5, "ansible_os_family == 'Debian'")
    ]  # every task of the role, the included ones too, and the include itself
    assert (
        8,
        "site.yml:10: any_errors_fatal: unsupported keyword 'any_errors_fatal'",
        ("ansible_os_family == 'RedHat'",),
    ) in found
    assert (
        9,
        "site.yml:10: any_errors_fatal: unsupported keyword 'any_errors_fatal'",
        ("ansible_os_family == 'RedHat'",),
    ) in found
    assert (1, "site.yml:13: remote_user: unsupported keyword 'remote_user'", ()) in found
    with pytest.raises(UnsupportedContentError, match=r"site\.yml:13: remote_user"):
        check_playbook(playbook, playbook.templar(), {"web01": {}}, set())


def test_keywords_that_change_nothing_deployctl_does_are_accepted(tmp_path: Path) -> None:
    write_role(tmp_path)
    (tmp_path / "site.yml").write_text(
        "- hosts: all\n"
        "  collections: [ansible.posix]\n"
        "  roles:\n"
        "    - role: chrony\n"
        "      debugger: never\n"
        "  tasks:\n"
        "    - block:\n"
        "        - command: echo one\n"
        "          collections: [community.general]\n"
        "      debugger: on_failed\n"
    )
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    assert sorted(use.task.module for use in playbook_unsupported(playbook)) == ["dnf", "yum"]
