"""unarchive end to end on this machine (local transport): a controller tar.gz, a zip already on the host."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from tests.unit.strategies.test_apply_local import make_project, run, statuses

PLAYBOOK = """\
- name: archives
  hosts: all
  tasks:
    - name: folders
      file: path={{ root }}/{{ item }} state=directory
      loop: [app, site]
    - name: from the controller
      unarchive: src=app.tgz dest={{ root }}/app list_files=true
      register: app
    - name: from the host
      unarchive: src={{ root }}/site.zip dest={{ root }}/site remote_src=true
"""


def tgz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_extracts_then_changes_nothing_then_restores_a_changed_member(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=PLAYBOOK)
    (root / "playbooks" / "files" / "app.tgz").write_bytes(tgz({"bin/run": b"#!/bin/sh\n", "README": b"app\n"}))
    target = tmp_path / "target"
    with zipfile.ZipFile(target / "site.zip", "w") as archive:
        archive.writestr("index.html", "<h1>hi</h1>\n")
    first = run(root, inventory)
    assert first.exit_code == 0, [r.message for r in first.results if r.status == "failed"]
    assert statuses(first) == {"folders": "changed", "from the controller": "changed", "from the host": "changed"}
    assert (target / "app" / "bin" / "run").read_bytes() == b"#!/bin/sh\n"
    assert (target / "site" / "index.html").read_text() == "<h1>hi</h1>\n"
    assert not list(Path("/tmp").glob("deployctl-unarchive-*"))

    second = run(root, inventory)
    assert second.recap["local1"].changed == 0, [r.message for r in second.results if r.status != "ok"]

    (target / "app" / "README").write_text("edited\n")
    third = run(root, inventory)
    assert statuses(third)["from the controller"] == "changed"
    assert statuses(third)["from the host"] == "ok"
    assert (target / "app" / "README").read_bytes() == b"app\n"
