"""set_fact with templated names (`"{{ item.key }}": "{{ item.value }}"` in a loop, as the dev-sec hardening roles
write it): each name rendered per host and item, as ansible-core does; a rendered name that is no variable name
fails the task with Ansible's words; the pre-run check leaves names only such a task defines to the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Task, leaf_tasks
from deployctl.model.playbook_checks import check_playbook
from tests.unit.strategies.test_apply_local import make_project, run
from tests.unit.strategies.test_keywords_vs_ansible import ansible_run, files

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  vars:
    overrides: {sshd_port: 2222, banner_local1: hello}
    sshd_port: 22
  tasks:
    - name: override by name
      set_fact:
        "{{ item.key }}": "{{ item.value }}"
      loop: "{{ overrides | dict2items }}"
    - name: a name and a literal
      ansible.builtin.set_fact:
        "{{ 'prefix_' ~ inventory_hostname }}": "{{ sshd_port + 1 }}"
        plain: literal
    - name: write them
      copy:
        content: "{{ sshd_port }} {{ lookup('vars', 'banner_local1') }} {{ prefix_local1 }} {{ plain }}\\n"
        dest: "{{ root }}/{{ inventory_hostname }}.txt"
"""


def test_templated_set_fact_names_as_ansible(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path / "deployctl", playbook=PLAYBOOK)
    result = run(root, inventory)
    assert result.exit_code == 0, [(r.task, r.message) for r in result.results if r.status == "failed"]
    ours = tmp_path / "deployctl" / "target"
    theirs = tmp_path / "ansible"
    theirs.mkdir()
    ansible_run(root / "playbooks" / "site.yml", theirs, "local1,")
    assert files(ours) == files(theirs) == {"local1.txt": "2222 hello 2223 literal\n"}


@pytest.mark.parametrize("name", ["a-b", "1x", "not", "None"])
def test_a_rendered_name_that_is_no_variable_name_fails_the_task(tmp_path: Path, name: str) -> None:
    playbook = f"- hosts: all\n  tasks:\n    - name: bad\n      set_fact:\n        \"{{{{ '{name}' }}}}\": 1\n"
    root, inventory = make_project(tmp_path, playbook=playbook)
    (bad,) = run(root, inventory).results
    assert bad.status == "failed"
    assert f"Invalid variable name '{name}'. Variable names must be strings starting with a letter" in bad.message


def test_a_literal_name_is_still_checked_when_the_playbook_loads(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text("- hosts: all\n  tasks:\n    - set_fact:\n        a-b: 1\n")
    with pytest.raises(InputError, match="a variable name must be an identifier"):
        load_playbook(tmp_path / "site.yml", "site.yml")


CHECKED = """\
- hosts: all
  tasks:
    - set_fact:
        NAME: 1
    - copy:
        content: "{{ made }}"
        dest: /tmp/made
"""


def test_the_pre_run_check_leaves_names_a_templated_set_fact_defines_to_the_run(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(CHECKED.replace("NAME", "\"{{ 'ma' ~ 'de' }}\""))
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    (first, _) = leaf_tasks(playbook.plays[0].tasks)
    assert isinstance(first, Task) and list(first.args) == ["{{ 'ma' ~ 'de' }}"]
    check_playbook(playbook, playbook.templar(), {"local1": {}}, ())
    (tmp_path / "site.yml").write_text(CHECKED.replace("NAME", "other"))
    playbook = load_playbook(tmp_path / "site.yml", "site.yml")
    with pytest.raises(InputError, match="'made' is undefined"):
        check_playbook(playbook, playbook.templar(), {"local1": {}}, ())
