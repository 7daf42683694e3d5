"""`become`, `ignore_errors` and `check_mode` may be templates (rendered per host at run time); a literal is
checked when the playbook loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Task, leaf_tasks


def tasks(tmp_path: Path, playbook: str) -> list[Task]:
    (tmp_path / "site.yml").write_text(playbook)
    play = load_playbook(tmp_path / "site.yml", "site.yml").plays[0]
    return [task for task in leaf_tasks(play.tasks) if isinstance(task, Task)]


def test_templates_are_kept_for_the_run_and_blocks_pass_them_down(tmp_path: Path) -> None:
    playbook = """\
- hosts: all
  tasks:
    - name: own
      command: /bin/true
      ignore_errors: "{{ ansible_check_mode }}"
      become: "{{ use_root }}"
      check_mode: "{{ dry }}"
    - block:
        - name: inherited
          command: /bin/true
      ignore_errors: "{{ lenient }}"
      check_mode: "{{ dry }}"
      become: "{{ use_root }}"
    - name: literal
      command: /bin/true
      ignore_errors: yes
"""
    own, inherited, literal = tasks(tmp_path, playbook)
    own_keywords = (own.ignore_errors, own.become, own.check_mode)
    assert own_keywords == ("{{ ansible_check_mode }}", "{{ use_root }}", "{{ dry }}")
    assert (inherited.ignore_errors, inherited.become, inherited.check_mode) == (
        "{{ lenient }}",
        "{{ use_root }}",
        "{{ dry }}",
    )
    assert (literal.ignore_errors, literal.become, literal.check_mode) == (True, None, None)


@pytest.mark.parametrize("keyword", ["ignore_errors", "become", "check_mode"])
def test_a_literal_that_is_no_bool_is_refused_at_load(tmp_path: Path, keyword: str) -> None:
    playbook = f"- hosts: all\n  tasks:\n    - command: /bin/true\n      {keyword}: maybe\n"
    with pytest.raises(InputError, match=f"{keyword}: must be true or false, got 'maybe'"):
        tasks(tmp_path, playbook)


def test_a_template_with_bad_syntax_is_refused_at_load(tmp_path: Path) -> None:
    playbook = '- hosts: all\n  tasks:\n    - command: /bin/true\n      ignore_errors: "{{ x ) }}"\n'
    with pytest.raises(InputError, match="ignore_errors"):
        tasks(tmp_path, playbook)
