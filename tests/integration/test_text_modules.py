"""replace, blockinfile, pam_limits, cron (cron_file) and find applied for real on a lab VM: the files they leave
(the same as ansible-core's modules leave, see the unit tests' differential runs), and a second run changes nothing."""

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

PLAYBOOK = """\
- name: edit text files as public roles do
  hosts: {host}
  become: true
  gather_facts: false
  vars:
    found_names: "{{{{ found.files | map(attribute='path') | map('basename') | sort | join(',') }}}}"
  tasks:
    - name: a configuration file, left alone once there
      copy:
        force: false
        dest: "{base}/sshd_config"
        content: "Port 22\\n#PermitRootLogin yes\\nX11Forwarding yes\\n"
    - name: no root logins
      replace:
        path: "{base}/sshd_config"
        regexp: "^#?PermitRootLogin .*$"
        replace: "PermitRootLogin no"
    - name: a managed block
      blockinfile:
        path: "{base}/sshd_config"
        insertafter: "^Port"
        block: |
          Match User sftp
            ChrootDirectory /srv
    - name: a limit in a new limits file
      pam_limits:
        dest: "{base}/limits.conf"
        domain: "*"
        limit_type: soft
        limit_item: nofile
        value: "65536"
    - name: a job in a cron file
      cron:
        name: renew
        cron_file: "{base}/renew"
        user: root
        minute: "17"
        job: /usr/local/bin/renew -q
    - name: the files written so far
      find:
        paths: "{base}"
        patterns: "*.conf,*_config"
      register: found
    - name: what find found  # its listing is read again after the writes above (they staled it)
      copy:
        dest: "{base}/found.txt"
        content: "{{{{ found.matched }}}} {{{{ found_names }}}}\\n"
"""

EXPECTED = {
    "sshd_config": (
        "Port 22\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch User sftp\n  ChrootDirectory /srv\n"
        "# END ANSIBLE MANAGED BLOCK\nPermitRootLogin no\nX11Forwarding yes\n"
    ),
    "limits.conf": "*\tsoft\tnofile\t65536\n",
    "renew": "#Ansible: renew\n17 * * * * root /usr/local/bin/renew -q\n",
    "found.txt": "2 limits.conf,sshd_config\n",
}


@pytest.fixture
def folder(lab: LabState) -> Iterator[tuple[SshTransport, str]]:
    base = f"/tmp/deployctl-text-{uuid.uuid4().hex[:12]}"
    with SshTransport(lab.endpoints[HOST]) as transport:
        assert transport.run(["mkdir", "-p", base], become=True).ok
        try:
            yield transport, base
        finally:
            transport.run(["rm", "-rf", "--", base], become=True)


def apply_json(playbook: Path) -> dict[str, Any]:
    done = deployctl("apply", str(playbook), "--stage", "dev", "--limit", HOST, "--format", "json", check=False)
    assert done.returncode == 0, f"apply exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_text_modules_converge_and_stay(folder: tuple[SshTransport, str], tmp_path: Path) -> None:
    transport, base = folder
    playbook = tmp_path / "text.yml"
    playbook.write_text(PLAYBOOK.format(host=HOST, base=base), encoding="utf-8")

    first = apply_json(playbook)
    second = apply_json(playbook)

    for name, content in EXPECTED.items():
        assert transport.get(f"{base}/{name}", become=True).decode() == content, name
    assert first["recap"][HOST]["failed"] == 0
    assert first["recap"][HOST]["changed"] == 6  # copy, replace, blockinfile, pam_limits, cron, copy
    changed = [r["task"] for r in second["results"] if r["status"] == "changed"]
    assert second["recap"][HOST]["changed"] == 0, changed
