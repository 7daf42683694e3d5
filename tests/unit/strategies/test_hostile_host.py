"""A hostile host: what it answers (facts, file content, command output) is data, never a template.

The host is this machine (local transport); its hostname fact is replaced by a template that would run
a command on the controller, and a file it serves holds another. Neither command ever runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import deployctl.facts.ansible as ansible_facts
from deployctl.facts.cache import FactCache
from deployctl.templating import Templar, is_templated
from tests.unit.strategies.test_apply_local import make_project, run


def payload(marker: Path) -> str:
    """A template that would create `marker` if it were ever rendered outside the sandbox."""
    return "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"


PLAYBOOK = """\
- hosts: all
  vars:
    banner: "host {{ ansible_hostname }}"
  tasks:
    - name: say the banner
      debug: msg="{{ banner }}"
    - name: show the fact
      debug: var=ansible_hostname
    - name: keep it
      set_fact:
        seen: "{{ ansible_facts.hostname }} seen"
    - name: write it
      template: src=banner.j2 dest={{ root }}/banner.txt
      when: ansible_hostname != ''
    - name: read a file the host serves
      command: cat {{ root }}/motd
      register: motd
      changed_when: false
    - name: loop over what it said
      debug: msg="{{ item }}"
      loop: ["{{ motd.stdout }} (motd)", "{{ seen }}"]
    - name: keep what it said
      set_fact:
        said: "{{ motd.stdout_lines }}"
    - name: say it again
      debug: var=said
"""


@pytest.fixture
def hostile_hostname(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The host answers the fact script with a template as its hostname."""
    hostname = payload(tmp_path / "PWNED-fact")
    real = ansible_facts.parse_ansible_facts

    def parse(output: str) -> dict[str, Any]:
        return {**real(output), "hostname": hostname}

    monkeypatch.setattr(ansible_facts, "parse_ansible_facts", parse)
    return hostname


def test_host_facts_and_output_are_never_templated(tmp_path: Path, hostile_hostname: str) -> None:
    root, inventory = make_project(tmp_path, playbook=PLAYBOOK)
    (root / "playbooks" / "templates" / "banner.j2").write_text("{{ banner }}\n{{ seen }}\n")
    motd = payload(tmp_path / "PWNED-motd")
    (tmp_path / "target" / "motd").write_text(motd + "\n")
    result = run(root, inventory)
    assert result.exit_code == 0, [r.message for r in result.results if r.status == "failed"]
    assert not (tmp_path / "PWNED-fact").exists()
    assert not (tmp_path / "PWNED-motd").exists()
    messages = [r.message for r in result.results]
    assert f"host {hostile_hostname}" in messages
    assert f"ansible_hostname: {hostile_hostname!r}" in messages
    assert f"{motd} (motd); {hostile_hostname} seen" in messages  # the loop's items, as they were said
    assert f"said: {[motd]!r}" in messages
    written = (tmp_path / "target" / "banner.txt").read_text()
    assert written == f"host {hostile_hostname}\n{hostile_hostname} seen\n"


def test_a_cached_fact_is_data_when_it_is_read_back(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED-cache"
    cache = FactCache(tmp_path / "facts")
    cache.folder.mkdir()
    (cache.folder / "local1.json").write_text(json.dumps({"ansible_os_family": payload(marker)}))
    hint = cache.hint("local1") or {}
    assert not is_templated(hint)
    variables = {**hint, "family_file": "{{ ansible_os_family }}.yml"}
    assert Templar().render("{{ family_file }}", variables) == payload(marker) + ".yml"
    # a run that looks ahead with last run's facts (include_vars chosen by a fact) renders them as data
    root, inventory = make_project(
        tmp_path, playbook='- hosts: all\n  tasks:\n    - include_vars: "{{ ansible_os_family }}.yml"\n'
    )
    (root / "playbooks" / "Debian.yml").write_text("x: 1\n")
    run(root, inventory, cache)
    assert not marker.exists()
