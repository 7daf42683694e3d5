"""The mutable strategy as root over the local transport, into a folder an unprivileged user owns and has
filled with links: nothing outside that folder changes (the lab's test_remote_writes, on this machine)."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest

from tests.unit.strategies.test_apply_local import make_project, run
from tests.unit.transport.test_put import plant, snapshot

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (chown to nobody)")

PLAYBOOK = """\
- hosts: all
  tasks:
    - name: secret
      copy: content="root secret\\n" dest={{ root }}/home/app.conf mode=0600
    - name: given
      copy: content="for nobody\\n" dest={{ root }}/home/given.conf mode=0640 owner=nobody
    - name: settings
      lineinfile: path={{ root }}/home/settings.env line="TOKEN=abc" create=true mode=0600
    - name: into a linked directory
      copy: content="x=1\\n" dest={{ root }}/home/conf.d
      ignore_errors: true
    - name: through a linked file
      lineinfile: path={{ root }}/home/profile line="umask 027"
      ignore_errors: true
"""


def test_a_run_as_root_changes_nothing_outside_a_folder_full_of_planted_links(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=PLAYBOOK)
    target = tmp_path / "target"
    outside, home = target / "outside", target / "home"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret").write_bytes(b"root:secret\n")
    (outside / "secret").chmod(0o600)
    home.mkdir()
    nobody = pwd.getpwnam("nobody")
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    first = os.getpid()
    for pid in range(first, first + 2000):
        plant(home, f".deployctl.{pid}.tmp", outside / "secret")
    for name, points_to in (("app.conf", "secret"), ("given.conf", "secret"), ("conf.d", "dir"), ("profile", "secret")):
        plant(home, name, outside / points_to)
    before = {p.name: snapshot(p) for p in outside.rglob("*")}

    result = run(root, inventory)

    assert {p.name: snapshot(p) for p in outside.rglob("*")} == before
    outcome = {r.task: (r.status, r.ignored) for r in result.results}
    assert outcome == {
        "secret": ("changed", False),
        "given": ("changed", False),
        "settings": ("changed", False),
        "into a linked directory": ("failed", True),
        "through a linked file": ("failed", True),
    }
    assert all("refusing to follow" in r.message for r in result.results if r.ignored)
    for name, mode, uid in (("app.conf", 0o600, 0), ("given.conf", 0o640, nobody.pw_uid), ("settings.env", 0o600, 0)):
        info = (home / name).lstat()
        assert (stat.S_ISREG(info.st_mode), stat.S_IMODE(info.st_mode), info.st_uid) == (True, mode, uid), name
