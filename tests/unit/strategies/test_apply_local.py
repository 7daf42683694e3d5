"""The mutable strategy end to end on this machine (local transport): converge, no-op, check, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.facts.cache import FactCache
from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import Inventory, load_inventory
from deployctl.model.loading.plays import load_playbook
from deployctl.model.project import load_project
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.mutable import apply_playbook
from deployctl.strategies.results import RunResult
from deployctl.transport.local import LocalTransport

PLAYBOOK = """\
- name: converge a folder
  hosts: all
  vars:
    greeting: hello
  handlers:
    - name: note restart
      command: touch {{ root }}/restarted
  tasks:
    - name: base directory
      file: path={{ root }}/app state=directory mode=0755
    - name: config
      template: src=app.conf.j2 dest={{ root }}/app/app.conf mode=0640
      notify: note restart
    - name: script
      copy: src=run.sh dest={{ root }}/app/run.sh mode=0755
    - name: settings
      lineinfile:
        path: "{{ root }}/app/settings.env"
        line: "{{ item }}"
        create: true
      loop: ["A=1", "B=2"]
    - name: one-time init
      command: touch {{ root }}/app/.init
      args:
        creates: "{{ root }}/app/.init"
    - name: read the config
      command: cat {{ root }}/app/app.conf
      register: conf
      changed_when: false
    - name: only when the config says hello
      copy: content="{{ conf.stdout_lines | length }} lines\\n" dest={{ root }}/app/count.txt
      when: "'hello' in conf.stdout"
    - name: tagged away
      file: path={{ root }}/app/extra state=directory
      tags: [extra]
"""


def make_project(tmp_path: Path, hosts: str = "local1:", playbook: str = PLAYBOOK) -> tuple[Path, Inventory]:
    root = tmp_path / "project"
    (root / "inventories").mkdir(parents=True)
    (root / "playbooks" / "templates").mkdir(parents=True)
    (root / "playbooks" / "files").mkdir()
    (root / "deployctl.yml").write_text("stages: [test]\n")
    target = tmp_path / "target"
    target.mkdir()
    (root / "inventories" / "test.yml").write_text(f"all:\n  vars:\n    root: {target}\n  hosts:\n    {hosts}\n")
    (root / "playbooks" / "site.yml").write_text(playbook)
    (root / "playbooks" / "templates" / "app.conf.j2").write_text(
        "greeting={{ greeting }}\nhost={{ inventory_hostname }}\n"
    )
    (root / "playbooks" / "files" / "run.sh").write_text("#!/bin/sh\necho run\n")
    return root, load_inventory(load_project(root), "test")


def run(root: Path, inventory: Inventory, fact_cache: FactCache | None = None, **options: object) -> RunResult:
    playbook = load_playbook(root / "playbooks" / "site.yml", display="playbooks/site.yml")
    endpoints = {name: SshEndpoint(name, "127.0.0.1") for name in inventory.hosts}
    return apply_playbook(
        playbook,
        inventory,
        endpoints,
        RunOptions(**options),  # type: ignore[arg-type]
        transport_factory=lambda endpoint: LocalTransport(endpoint.name),
        fact_cache=fact_cache,
    )


def statuses(result: RunResult) -> dict[str, str]:
    return {r.task: r.status for r in result.results}


def test_converges_then_second_run_changes_nothing_in_one_round_trip(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path)
    target = tmp_path / "target"
    first = run(root, inventory)
    assert first.exit_code == 0, [r.message for r in first.results if r.status == "failed"]
    assert statuses(first) == {
        "base directory": "changed",
        "config": "changed",
        "script": "changed",
        "settings": "changed",
        "one-time init": "changed",
        "read the config": "ok",
        "only when the config says hello": "changed",
        "tagged away": "changed",
        "note restart": "changed",
    }
    assert (target / "app" / "app.conf").read_text() == "greeting=hello\nhost=local1\n"
    assert (target / "app" / "settings.env").read_text() == "A=1\nB=2\n"
    assert (target / "app" / "count.txt").read_text() == "2 lines\n"
    assert oct((target / "app" / "app.conf").stat().st_mode & 0o777) == "0o640"
    assert (target / "restarted").exists()

    second = run(root, inventory)
    assert second.recap["local1"].changed == 0
    assert second.recap["local1"].failed == 0
    # the facts of every task in one round trip; the unguarded `cat` is the second; what a command
    # ran may have changed anything, so the facts still needed after it are read again: the third
    assert second.round_trips == 3
    assert second.connections == 1


def test_check_after_drift_reports_exactly_the_drift_with_a_diff(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path)
    run(root, inventory)
    conf = tmp_path / "target" / "app" / "app.conf"
    conf.write_text("greeting=hacked\nhost=local1\n")
    check = run(root, inventory, check=True, diff=True)
    changed = [r for r in check.results if r.status == "changed"]
    assert [r.task for r in changed] == ["config"]
    assert changed[0].diffs[0].before == "greeting=hacked\nhost=local1\n"
    assert changed[0].diffs[0].after == "greeting=hello\nhost=local1\n"
    assert conf.read_text() == "greeting=hacked\nhost=local1\n"  # check mode changed nothing
    assert statuses(check)["read the config"] == "skipped"  # commands do not run in check mode


def test_tags_select_tasks(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path)
    result = run(root, inventory, tags=frozenset({"extra"}))
    assert list(statuses(result)) == ["tagged away"]
    skipped = run(root, inventory, skip_tags=frozenset({"extra"}))
    assert "tagged away" not in statuses(skipped)


FAILING = """\
- name: one host fails
  hosts: all
  serial: 2
  tasks:
    - name: fail on b
      command: /bin/false
      when: inventory_hostname == 'b'
    - name: marker
      copy: content="done\\n" dest={{ root }}/{{ inventory_hostname }}.done
"""


def test_a_failed_host_never_stops_the_others_of_its_batch(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, hosts="a:\n    b:\n    c:", playbook=FAILING)
    result = run(root, inventory)
    assert result.exit_code == 2
    assert result.recap["b"].failed == 1
    done = sorted(p.name for p in (tmp_path / "target").iterdir())
    assert done == ["a.done", "c.done"]
    failed = [r for r in result.results if r.status == "failed"]
    assert failed[0].message.startswith("non-zero return code 1")


def test_max_fail_percentage_stops_before_the_next_batch(tmp_path: Path) -> None:
    playbook = FAILING.replace("serial: 2", "serial: 1\n  max_fail_percentage: 0").replace("'b'", "'a'")
    root, inventory = make_project(tmp_path, hosts="a:\n    b:\n    c:", playbook=playbook)
    result = run(root, inventory)
    assert result.exit_code == 3
    assert result.stopped is not None and "max_fail_percentage" in result.stopped
    assert list((tmp_path / "target").iterdir()) == []
    assert set(result.recap) == {"a", "b", "c"}
    assert result.recap["b"].ok == 0


@pytest.mark.parametrize(
    ("task", "status", "message"),
    [
        ("command: /bin/false\n      failed_when: false", "changed", ""),
        ("command: /bin/true\n      failed_when: true", "failed", "failed_when matched"),
        ("command: /bin/false\n      ignore_errors: true", "failed", "non-zero return code"),
        ("copy: content=x dest=/nonexistent-dir/x", "failed", "/nonexistent-dir"),
        ("file: path={{ root }}/x state=directory mode={{ missing_var }}", "failed", "'missing_var' is undefined"),
    ],
)
def test_task_outcomes(tmp_path: Path, task: str, status: str, message: str) -> None:
    playbook = f"- hosts: all\n  tasks:\n    - name: t\n      {task}\n    - name: after\n      command: /bin/true\n"
    root, inventory = make_project(tmp_path, playbook=playbook)
    result = run(root, inventory)
    first = result.results[0]
    assert first.status == status
    assert message in first.message
    ran_after = [r.task for r in result.results] == ["t", "after"]
    assert ran_after is (status != "failed" or first.ignored)


DEFINING = """\
- hosts: all
  tasks:
    - name: OS variables, chosen by a gathered fact
      include_vars: "{{ lookup('first_found', params) }}"
      vars:
        params:
          files: ["{{ ansible_os_family }}-none.yml", default.yml]
          paths: [vars]
    - set_fact:
        conf_dir: "{{ root }}/{{ family_dir }}"
    - file: path={{ conf_dir }} state=directory
    - set_fact: note="{{ ansible_system }}"
      when: family_dir == 'generic'
    - set_fact: never="{{ ansible_system }}"
      when: family_dir == 'other'
    - copy: content="{{ note }} {{ never | default('-') }}\\n" dest={{ conf_dir }}/note
    - include_tasks: "more-{{ family_dir }}.yml"
"""


def defining_project(tmp_path: Path) -> tuple[Path, Inventory]:
    """A project running DEFINING, with its vars file and included tasks."""
    root, inventory = make_project(tmp_path, playbook=DEFINING)
    (root / "playbooks" / "vars").mkdir()
    (root / "playbooks" / "vars" / "default.yml").write_text("family_dir: generic\n")
    (root / "playbooks" / "tasks").mkdir()
    (root / "playbooks" / "tasks" / "more-generic.yml").write_text("- copy: content=more dest={{ conf_dir }}/more\n")
    return root, inventory


def test_set_fact_and_include_vars_are_looked_ahead_on_the_controller(tmp_path: Path) -> None:
    root, inventory = defining_project(tmp_path)
    first = run(root, inventory)
    assert first.exit_code == 0, [r.message for r in first.results if r.status == "failed"]
    assert (tmp_path / "target" / "generic" / "note").read_text() == "Linux -\n"
    second = run(root, inventory)
    assert second.recap["local1"].changed == 0
    # the gathered facts and what needs none; then, the facts known, every later task's facts at once
    # (the include_vars, set_fact, `when` and include before them evaluated ahead on the controller)
    assert second.round_trips == 2


def test_facts_gathered_last_time_guide_the_first_round_trip(tmp_path: Path) -> None:
    root, inventory = defining_project(tmp_path)
    cache = FactCache(tmp_path / "facts")
    first = run(root, inventory, cache)
    assert first.exit_code == 0
    assert (cache.hint("local1") or {}).get("ansible_system") == "Linux"
    second = run(root, inventory, cache)
    assert second.recap["local1"].changed == 0
    assert second.round_trips == 1  # the fact-chosen files' facts came with the gathering
    (cache.folder / "local1.json").write_text('{"ansible_os_family": "Elsewhere"}')  # a wrong guess
    third = run(root, inventory, cache)
    assert third.recap["local1"].changed == 0 and third.round_trips == 2  # costs a round trip, not a wrong plan
    (cache.folder / "local1.json").write_text("not json")
    assert cache.hint("local1") is None


def test_a_play_that_reads_no_fact_gathers_none(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path)  # PLAYBOOK gathers facts (the default) but reads none
    cache = FactCache(tmp_path / "facts")
    result = run(root, inventory, cache)
    assert result.exit_code == 0
    assert cache.hint("local1") is None  # nothing was gathered, so nothing was kept
    (root / "playbooks" / "templates" / "app.conf.j2").write_text("os={{ ansible_system }}\n")
    result = run(root, inventory, cache)
    assert result.exit_code == 0
    assert (tmp_path / "target" / "app" / "app.conf").read_text() == "os=Linux\n"
    assert (cache.hint("local1") or {}).get("ansible_system") == "Linux"


def test_a_registered_command_output_is_read_after_the_command_runs(tmp_path: Path) -> None:
    playbook = DEFINING.replace(
        "    - file: path={{ conf_dir }} state=directory\n",
        "    - command: echo {{ root }}/{{ family_dir }}\n"
        "      register: out\n"
        "      changed_when: false\n"
        "    - file: path={{ out.stdout }} state=directory\n",
    )
    root, inventory = make_project(tmp_path, playbook=playbook)
    (root / "playbooks" / "vars").mkdir()
    (root / "playbooks" / "vars" / "default.yml").write_text("family_dir: generic\n")
    (root / "playbooks" / "tasks").mkdir()
    (root / "playbooks" / "tasks" / "more-generic.yml").write_text("- copy: content=more dest={{ conf_dir }}/more\n")
    assert run(root, inventory).exit_code == 0
    second = run(root, inventory)
    assert second.recap["local1"].changed == 0
    # the gathered facts; the command (it needs no facts); then every later task's facts, read once the
    # command has run (what it ran may have changed anything, and the file task needs its output)
    assert second.round_trips == 3


def test_a_host_reaching_an_unsupported_task_fails_with_its_message_and_skips_the_others(tmp_path: Path) -> None:
    playbook = (
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - name: redhat only\n      yum: name=chrony\n      when: family == 'RedHat'\n"
        "    - name: reached\n      yum: name=chrony\n      when: family == 'Debian'\n"
        "    - name: after\n      command: /bin/true\n"
    )
    root, inventory = make_project(tmp_path, hosts="local1:\n      family: Debian", playbook=playbook)
    result = run(root, inventory)
    assert [(r.task, r.status) for r in result.results] == [("redhat only", "skipped"), ("reached", "failed")]
    assert result.results[1].message == "playbooks/site.yml:8: yum: unknown module 'yum'"
