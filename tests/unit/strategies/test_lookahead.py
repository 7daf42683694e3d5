"""The lookahead reads ahead what the run will do with a loop that reads an undefined variable: a task whose `when`
is false without the loop variable is skipped (ansible-core's rule), so it defines nothing and unknows nothing."""

from __future__ import annotations

from pathlib import Path

from deployctl.model.inventory import InventoryHost, Origin
from deployctl.model.loading.plays import load_playbook
from deployctl.strategies.hostfacts import HostFacts, TaskVariables
from deployctl.strategies.lookahead import Lookahead
from deployctl.strategies.taskrender import TaskRenderer

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - set_fact: {data_dir: /srv/data}
    - name: skipped, its loop undefined and its condition false
      set_fact: {data_dir: "{{ item }}"}
      loop: "{{ regular_users }}"
      when: regular_users is defined
    - name: reads the value the first set_fact gave
      file: {path: "{{ data_dir }}", state: directory}
"""


def test_a_skipped_undefined_loop_keeps_what_earlier_tasks_defined(tmp_path: Path) -> None:
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    playbook = load_playbook(tmp_path / "site.yml", display="site.yml")
    host = InventoryHost("local1", "test", ("all",), {}, {}, Origin("inventory.yml", 1))
    render = TaskRenderer(host, playbook, playbook.templar(), {}, HostFacts())
    facts = Lookahead(render, TaskVariables(), lambda task: True).play_facts(playbook.plays[0])
    assert any("/srv/data" in fact.key for fact in facts), [fact.key for fact in facts]
