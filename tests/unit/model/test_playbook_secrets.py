"""The loader takes `no_log` and `diff` at play, block, import and task level, inherited as Ansible does."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook, leaf_tasks

PLAYBOOK = """\
- hosts: all
  no_log: true
  diff: false
  handlers:
    - name: quiet handler
      command: "true"
  tasks:
    - name: from the play
      command: "true"
    - name: own keywords win
      command: "true"
      no_log: false
      diff: yes
    - block:
        - name: from the block
          command: "true"
        - name: templated
          command: "true"
          no_log: "{{ hide_it }}"
      no_log: false
      diff: true
- hosts: all
  tasks:
    - name: defaults
      command: "true"
    - import_tasks: more.yml
      no_log: true
"""


def load(tmp_path: Path, text: str) -> Playbook:
    (tmp_path / "site.yml").write_text(text)
    (tmp_path / "more.yml").write_text('- name: imported\n  command: "true"\n')
    return load_playbook(tmp_path / "site.yml", display="site.yml")


def test_no_log_and_diff_are_inherited_and_overridden(tmp_path: Path) -> None:
    first, second = load(tmp_path, PLAYBOOK).plays
    tasks = {task.name: (task.no_log, task.diff) for task in (*leaf_tasks(first.tasks), *first.handlers)}
    assert tasks == {
        "quiet handler": (True, False),
        "from the play": (True, False),
        "own keywords win": (False, True),
        "from the block": (False, True),
        "templated": ("{{ hide_it }}", True),
    }
    assert {task.name: (task.no_log, task.diff) for task in second.tasks} == {
        "defaults": (False, True),
        "imported": (True, True),
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- hosts: all\n  no_log: maybe\n  tasks: []\n", "site.yml:2: no_log: must be true or false, got 'maybe'"),
        ("- hosts: all\n  tasks:\n    - command: 'true'\n      diff: 3\n", "site.yml:4: diff: must be true or false"),
        (
            "- hosts: all\n  tasks:\n    - command: 'true'\n      no_log: '{{ x'\n",
            "site.yml:4: no_log: template syntax error",
        ),
    ],
)
def test_bad_values_name_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        load(tmp_path, text)
    assert str(raised.value).startswith(message)
