"""include_tasks / include_role `apply`: keywords given to the included tasks, not only to the include."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Task, leaf_tasks

INCLUDED = "- name: included\n  command: env\n  tags: [own]\n"


def included(tmp_path: Path, playbook: str) -> Task:
    (tmp_path / "inc.yml").write_text(INCLUDED)
    (tmp_path / "roles" / "web" / "tasks").mkdir(parents=True)
    (tmp_path / "roles" / "web" / "tasks" / "main.yml").write_text(INCLUDED)
    (tmp_path / "site.yml").write_text(playbook)
    play = load_playbook(tmp_path / "site.yml", "site.yml").plays[0]
    (include,) = leaf_tasks(play.tasks)
    (content,) = include.includes.values()
    (task,) = leaf_tasks(content.steps)
    assert isinstance(task, Task)
    return task


@pytest.mark.parametrize(
    "include",
    [
        "include_tasks:\n        file: inc.yml\n        apply:",
        "include_role:\n        name: web\n        apply:",
        "include_tasks: inc.yml\n      args:\n        apply:",
    ],
)
def test_apply_gives_its_keywords_to_the_included_tasks(tmp_path: Path, include: str) -> None:
    playbook = f"""\
- hosts: all
  environment: {{OUTER: play}}
  tasks:
    - {include}
          tags: [applied]
          become: true
          when: flag | bool
          vars: {{v: 1}}
          environment: {{APPLIED: "yes"}}
          ignore_errors: true
      tags: [always]
      when: other
"""
    task = included(tmp_path, playbook)
    assert task.tags == ("own", "applied")  # the include's own `tags` and `when` stay on the include
    assert task.become is True
    assert task.when == ("flag | bool",)
    assert task.vars["v"] == 1
    assert task.environment == ({"OUTER": "play"}, {"APPLIED": "yes"})
    assert task.ignore_errors is True


def test_without_apply_the_includes_keywords_stay_on_it(tmp_path: Path) -> None:
    playbook = "- hosts: all\n  tasks:\n    - include_tasks: inc.yml\n      tags: [x]\n      when: y\n"
    task = included(tmp_path, playbook)
    assert task.tags == ("own",)
    assert task.when == ()


def test_an_apply_keyword_that_is_not_a_block_keyword_goes_with_the_included_tasks(tmp_path: Path) -> None:
    playbook = (
        "- hosts: all\n  tasks:\n    - include_tasks:\n        file: inc.yml\n        apply:\n          loop: [1]\n"
    )
    (problem,) = included(tmp_path, playbook).unsupported  # as a block's: the tasks under it fail where they run
    assert problem.line == 6 and problem.field == "loop"
    assert "unknown apply keyword 'loop'" in problem.problem


def test_run_once_on_an_include_makes_it_an_unsupported_task(tmp_path: Path) -> None:
    (tmp_path / "inc.yml").write_text(INCLUDED)
    (tmp_path / "site.yml").write_text("- hosts: all\n  tasks:\n    - include_tasks: inc.yml\n      run_once: true\n")
    (include,) = leaf_tasks(load_playbook(tmp_path / "site.yml", "site.yml").plays[0].tasks)
    assert include.unsupported_message == (
        "site.yml:4: run_once: run_once on include_tasks is not supported (use apply: run_once)"
    )


@pytest.mark.parametrize(("keyword", "value"), [("environment", "{A: b}"), ("become", "true"), ("notify", "x")])
def test_an_include_refuses_the_keywords_ansible_refuses_there(tmp_path: Path, keyword: str, value: str) -> None:
    playbook = f"- hosts: all\n  tasks:\n    - include_tasks: inc.yml\n      {keyword}: {value}\n"
    with pytest.raises(InputError) as caught:
        included(tmp_path, playbook)
    assert caught.value.line == 4 and caught.value.field == keyword
    assert f"{keyword!r} is not a valid keyword for include_tasks (`apply` gives it to its tasks)" in str(caught.value)
