"""Symbolic modes and ssh key generation end to end on this machine (the local transport): the modes
Ansible's resolution gives, a real key pair, and a second run that changes nothing."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.unit.strategies.test_apply_local import make_project, run, statuses

PLAYBOOK = """\
- name: modes and keys
  hosts: all
  tasks:
    - name: private directory
      file: path={{ root }}/private state=directory mode=u=rwX,g=rX,o=
    - name: no group write
      file: path={{ root }}/tool mode=go-w
    - name: no setuid
      file: path={{ root }}/tool mode=a-s
    - name: key
      user:
        name: root
        generate_ssh_key: true
        ssh_key_type: ed25519
        ssh_key_file: "{{ root }}/keys/id_ed25519"
        ssh_key_comment: deployctl test
      register: key
    - name: protected key
      user:
        name: root
        generate_ssh_key: true
        ssh_key_type: ed25519
        ssh_key_file: "{{ root }}/keys/protected"
        ssh_key_passphrase: correct horse battery
    - name: key report
      copy: content="{{ key.ssh_key_file }}\\n" dest={{ root }}/key-file.txt
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="generating a key for a user and chowning it needs root")
def test_symbolic_modes_and_a_key_converge_then_change_nothing(tmp_path: Path) -> None:
    root, inventory = make_project(tmp_path, playbook=PLAYBOOK)
    target = tmp_path / "target"
    tool = target / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o6775)
    umask = os.umask(0o022)
    try:
        first = run(root, inventory)
        assert first.exit_code == 0, [r.message for r in first.results if r.status == "failed"]
        assert set(statuses(first).values()) == {"changed"}
        assert stat.S_IMODE((target / "private").stat().st_mode) == 0o750
        assert stat.S_IMODE((target / "tool").stat().st_mode) == 0o755
        key = target / "keys" / "id_ed25519"
        assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
        listed = subprocess.run(["ssh-keygen", "-l", "-f", str(key)], capture_output=True, text=True, check=True)
        assert "deployctl test (ED25519)" in listed.stdout
        assert (target / "key-file.txt").read_text() == f"{key}\n"
        protected = str(target / "keys" / "protected")
        unlocked = ["ssh-keygen", "-y", "-P", "correct horse battery", "-f", protected]
        assert subprocess.run(unlocked, capture_output=True, check=False).returncode == 0
        assert subprocess.run(["ssh-keygen", "-y", "-P", "", "-f", protected], capture_output=True).returncode != 0
        assert "ansible-generated on" in (target / "keys" / "protected.pub").read_text()
        second = run(root, inventory)
        assert second.exit_code == 0, [r.message for r in second.results if r.status == "failed"]
        assert set(statuses(second).values()) == {"ok"}, statuses(second)
    finally:
        os.umask(umask)
