"""`validate` end to end on this machine (local transport): content that fails it fails the task and leaves the
destination as it was; content that passes is written; an unchanged file runs nothing."""

from __future__ import annotations

from pathlib import Path

from tests.unit.strategies.test_apply_local import make_project, run

PLAYBOOK = """\
- name: validated writes
  hosts: all
  gather_facts: false
  tasks:
    - name: config
      template: src=app.conf.j2 dest={{ root }}/app.conf validate="grep -q ^greeting=hello %s"
    - name: line
      lineinfile: path={{ root }}/extra.conf line="extra=1" create=true validate="grep -q ^extra= %s"
"""


def test_failed_validation_leaves_the_destination_and_stops_the_host(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=PLAYBOOK)
    conf = tmp_path / "target" / "app.conf"
    conf.write_text("kept\n")
    (root / "playbooks" / "templates" / "app.conf.j2").write_text("greeting=bye\n")
    refused = run(root, inventory)
    failed = [r for r in refused.results if r.status == "failed"]
    assert [r.task for r in failed] == ["config"] and "failed to validate (exit 1)" in failed[0].message
    assert conf.read_text() == "kept\n" and sorted(p.name for p in conf.parent.iterdir()) == ["app.conf"]

    (root / "playbooks" / "templates" / "app.conf.j2").write_text("greeting=hello\n")
    accepted = run(root, inventory)
    assert accepted.exit_code == 0 and conf.read_text() == "greeting=hello\n"
    assert (tmp_path / "target" / "extra.conf").read_text() == "extra=1\n"
    assert run(root, inventory).recap["local1"].changed == 0
