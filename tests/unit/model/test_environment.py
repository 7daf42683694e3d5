"""`environment:`: layers from play, role, block and task, merged inner over outer; names are checked data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from deployctl.errors import InputError
from deployctl.model.environment import BadEnvironmentError, environment_layers, merged_environment
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Task, leaf_tasks
from deployctl.templating import Templar
from deployctl.transport.base import render_command, with_environment

PLAYBOOK = """\
- hosts: all
  environment: {LEVEL: play, PLAY: "1"}
  roles:
    - role: web
      environment: {LEVEL: role}
  tasks:
    - block:
        - name: inner
          command: env
          environment: {LEVEL: task}
      environment: {LEVEL: block, BLOCK: "{{ b }}"}
    - name: templated
      command: env
      environment: "{{ proxy_env }}"
"""


def write(tmp_path: Path, playbook: str) -> Path:
    (tmp_path / "roles" / "web" / "tasks").mkdir(parents=True)
    (tmp_path / "roles" / "web" / "tasks" / "main.yml").write_text("- name: in role\n  command: env\n")
    path = tmp_path / "site.yml"
    path.write_text(playbook)
    return path


def tasks(tmp_path: Path, playbook: str = PLAYBOOK) -> dict[str, Task]:
    loaded = load_playbook(write(tmp_path, playbook), "site.yml")
    return {task.name: task for task in leaf_tasks(loaded.plays[0].tasks)}


def merged(task: Task, variables: dict[str, Any]) -> dict[str, str]:
    templar = Templar([])
    return merged_environment(task.environment, lambda layer: templar.render(layer, variables))


def test_levels_merge_inner_over_outer(tmp_path: Path) -> None:
    found = tasks(tmp_path)
    assert merged(found["in role"], {}) == {"LEVEL": "role", "PLAY": "1"}
    assert merged(found["inner"], {"b": 2}) == {"LEVEL": "task", "PLAY": "1", "BLOCK": "2"}
    assert merged(found["templated"], {"proxy_env": {"http_proxy": "http://p:3128", "PLAY": True}}) == {
        "LEVEL": "play",
        "PLAY": "True",  # ansible-core makes every value text with str()
        "http_proxy": "http://p:3128",
    }


@pytest.mark.parametrize("name", ["A B", "1A", "A=B", "A;rm -rf /", "$(x)", ""])
def test_a_name_that_is_not_a_variable_name_is_refused_at_load_time(tmp_path: Path, name: str) -> None:
    playbook = f"- hosts: all\n  tasks:\n    - command: env\n      environment: {{'{name}': x}}\n"
    with pytest.raises(InputError) as caught:
        tasks(tmp_path, playbook)
    assert caught.value.line == 4 and caught.value.field == "environment"
    assert "not a valid environment variable name" in caught.value.problem


def test_a_rendered_name_is_checked_too() -> None:
    with pytest.raises(BadEnvironmentError, match="not a valid environment variable name"):
        merged_environment(("{{ e }}",), lambda layer: {"BAD NAME": 1})
    with pytest.raises(BadEnvironmentError, match="must be a mapping"):
        merged_environment(("{{ e }}",), lambda layer: "A=1")
    with pytest.raises(BadEnvironmentError, match="must be a mapping"):
        environment_layers(["A=1"])


def test_values_are_words_quoted_at_the_edge() -> None:
    words = with_environment(["sh", "-c", "echo $V"], {"V": "a'b $(touch x); `y`", "W": "2"})
    assert words == ["env", "--", "V=a'b $(touch x); `y`", "W=2", "sh", "-c", "echo $V"]
    assert render_command(words) == "env -- 'V=a'\"'\"'b $(touch x); `y`' W=2 sh -c 'echo $V'"
    assert with_environment(["true"], {}) == ["true"]
