"""Safe remote writes on the lab: an unprivileged user plants links in a folder it owns, deployctl (become)
writes files there, and nothing outside that folder changes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deployctl.lab.state import LabState
from deployctl.transport.ssh import SshTransport
from tests.conftest import deployctl

pytestmark = pytest.mark.integration

HOST = "dev-vm1"
ATTACKER = "nobody"
PLANTED_PIDS = 5000
"""How many of the next process ids get a link at the old predictable temporary name (.deployctl.<pid>.tmp)."""

PLAYBOOK = """\
- name: write into a folder an unprivileged user controls
  hosts: {host}
  become: true
  tasks:
    - name: a secret over a link planted at its destination
      copy: content="root secret\\n" dest={home}/app.conf mode=0600 owner=root group=root
    - name: a file given to the user, over a link planted at its destination
      copy: content="for nobody\\n" dest={home}/given.conf mode=0640 owner={attacker}
    - name: a rendered file
      template: src=note.j2 dest={home}/note.conf mode=0644
    - name: a line in a new private file
      lineinfile: path={home}/settings.env line="TOKEN=abc" create=true mode=0600
"""

SNAPSHOT = r"""set -e
cd "$1"
find . -printf '%p %y %m %U %G %s %l\n' | LC_ALL=C sort
find . -type f -exec sha256sum {} + | LC_ALL=C sort"""
"""Every entry below a folder: name, type, mode, owner, group, size, link target; and each file's checksum."""

FOLLOWING = """\
- name: write through links an unprivileged user planted
  hosts: {host}
  become: true
  tasks:
    - name: into a directory a planted link points to
      copy: content="x=1\\n" dest={home}/conf.d
      ignore_errors: true
    - name: a line in a file a planted link points to
      lineinfile: path={home}/profile line="umask 027"
      ignore_errors: true
"""

PLANT = r"""set -e
cd "$1"
ln -s ../outside/secret app.conf
ln -s ../outside/owned given.conf
ln -s ../outside/owned note.conf
ln -s ../outside/dir conf.d
ln -s ../outside/secret profile
next=$(cat /proc/sys/kernel/ns_last_pid)
i=0
while [ "$i" -lt "$2" ]; do ln -s ../outside/secret ".deployctl.$((next + i)).tmp"; i=$((i + 1)); done
"""
"""Run as the unprivileged user: links at each destination and at the old predictable temporary names."""


def run(transport: SshTransport, command: list[str], user: str | None = None) -> str:
    done = transport.run(command, become=True, become_user=user)
    assert done.ok, f"{done.command}: {done.stderr}"
    return done.stdout


@pytest.fixture
def hostile_folder(lab: LabState) -> Iterator[tuple[SshTransport, str]]:
    """/tmp/deployctl-writes-<id>/home owned by nobody, beside a root-only `outside` with files worth taking."""
    base = f"/tmp/deployctl-writes-{uuid.uuid4().hex[:12]}"
    with SshTransport(lab.endpoints[HOST]) as transport:
        setup = (
            f"set -e; umask 022; mkdir -p {base}/home {base}/outside/dir; chown {ATTACKER} {base}/home; "
            f"printf 'root:secret\\n' > {base}/outside/secret; chmod 0600 {base}/outside/secret; "
            f"printf 'root owned\\n' > {base}/outside/owned; chmod 0644 {base}/outside/owned"
        )
        run(transport, ["sh", "-c", setup])
        try:
            yield transport, base
        finally:
            run(transport, ["rm", "-rf", "--", base])


def snapshot(transport: SshTransport, folder: str) -> str:
    return run(transport, ["sh", "-c", SNAPSHOT, "snapshot", folder])


def test_planted_links_never_redirect_a_write(hostile_folder: tuple[SshTransport, str], tmp_path: Path) -> None:
    transport, base = hostile_folder
    home = f"{base}/home"
    run(transport, ["sh", "-c", PLANT, "plant", home, str(PLANTED_PIDS)], user=ATTACKER)
    outside_before = snapshot(transport, f"{base}/outside")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "note.j2").write_text("rendered on {{ inventory_hostname }}\n")
    playbook = tmp_path / "writes.yml"
    playbook.write_text(PLAYBOOK.format(host=HOST, home=home, attacker=ATTACKER))

    first = apply_json(playbook)
    second = apply_json(playbook)

    assert snapshot(transport, f"{base}/outside") == outside_before, "something outside the folder changed"
    expected = {
        "app.conf": ("f", "600", "root", "root secret\n"),
        "given.conf": ("f", "640", ATTACKER, "for nobody\n"),
        "note.conf": ("f", "644", "root", f"rendered on {HOST}\n"),
        "settings.env": ("f", "600", "root", "TOKEN=abc\n"),
    }
    for name, (kind, mode, owner, content) in expected.items():
        described = run(transport, ["stat", "-c", "%F %a %U", "--", f"{home}/{name}"]).split()
        assert (described[0], described[-2], described[-1]) == ("regular", mode, owner), name
        assert kind == "f"
        assert transport.get(f"{home}/{name}", become=True).decode() == content, name
    leftovers = run(transport, ["find", home, "-name", ".deployctl.*", "!", "-type", "l"])
    assert leftovers == "", "a temporary file was left behind"
    assert first["recap"][HOST]["failed"] == 0
    assert first["recap"][HOST]["changed"] == len(expected)
    assert second["recap"][HOST]["changed"] == 0, "the second run changes nothing"


def apply_json(playbook: Path) -> dict[str, Any]:
    done = deployctl("apply", str(playbook), "--stage", "dev", "--limit", HOST, "--format", "json", check=False)
    assert done.returncode == 0, f"apply exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_links_planted_by_a_user_are_not_followed(hostile_folder: tuple[SshTransport, str], tmp_path: Path) -> None:
    """Links Ansible would follow (a directory at dest, lineinfile's path) fail their task when a user planted them."""
    transport, base = hostile_folder
    home = f"{base}/home"
    run(transport, ["sh", "-c", PLANT, "plant", home, "0"], user=ATTACKER)
    outside_before = snapshot(transport, f"{base}/outside")
    playbook = tmp_path / "following.yml"
    playbook.write_text(FOLLOWING.format(host=HOST, home=home))

    result = apply_json(playbook)

    assert snapshot(transport, f"{base}/outside") == outside_before, "something outside the folder changed"
    refused = [r for r in result["results"] if r["host"] == HOST and r["ignored"]]
    assert [r["task"] for r in refused] == [
        "into a directory a planted link points to",
        "a line in a file a planted link points to",
    ]
    assert all("refusing to follow the symlink" in r["message"] for r in refused), refused
