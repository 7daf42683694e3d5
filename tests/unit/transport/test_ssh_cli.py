"""The real CLI against misbehaving fake SSH hosts: Ctrl-C ends the run at once, and no library traceback shows.

The CLI runs in a subprocess; the fake server runs in this test process (conftest.py). Deadlines only
bound a hang: the code before these defenses ignored the first Ctrl-C for 30 s and more.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
HANG_BOUND = 20.0
"""Seconds after which the CLI is taken to hang."""

PLAYBOOK = """\
- name: touch the host
  hosts: all
  gather_facts: false
  tasks:
    - name: run a command
      command: "true"
"""


def _project(root: Path, server: Any, ssh: str) -> Path:
    """A project of one stage, `dev`, whose one host is the fake server; `ssh` is deployctl.yml's `ssh:` body."""
    (root / "inventories").mkdir(parents=True)
    (root / "deployctl.yml").write_text(f"stages: [dev]\nssh:\n{ssh}")
    (root / "inventories" / "dev.yml").write_text(
        "all:\n  hosts:\n    web1:\n"
        f"      ansible_host: 127.0.0.1\n      ansible_port: {server.port}\n      ansible_user: deploy\n"
        f"      ansible_ssh_private_key_file: {server.key_file}\n      ansible_host_key_checking: false\n"
    )
    (root / "site.yml").write_text(PLAYBOOK)
    return root


def _start_cli(root: Path, *extra: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONFAULTHANDLER": "1"}
    environment.pop("DEPLOYCTL_DEBUG", None)
    command = [sys.executable, "-m", "deployctl", *extra, "--project", str(root), "apply", "site.yml", "-s", "dev"]
    return subprocess.Popen(
        command, cwd=root, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of the CLI; one still running after HANG_BOUND is killed: the test fails."""
    try:
        out, err = process.communicate(timeout=HANG_BOUND)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # faulthandler prints where every thread is
        _, err = process.communicate()
        pytest.fail(f"the CLI was still running {HANG_BOUND:g} s later:\n{err}")
    return process.returncode, out, err


@pytest.mark.parametrize("behaviour", ["silent", "hang"])
def test_the_first_ctrl_c_ends_a_run_blocked_on_a_host(fake_ssh: Any, tmp_path: Path, behaviour: str) -> None:
    server = fake_ssh(behaviour)
    root = _project(tmp_path / "project", server, "  connect_timeout: 120\n  idle_timeout: 600\n")
    process = _start_cli(root)
    assert server.connected.wait(HANG_BOUND), "the CLI never connected"
    if behaviour == "hang":
        deadline = time.monotonic() + HANG_BOUND
        while not server.commands and time.monotonic() < deadline:  # logged in, its command sent
            time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    code, _, err = _finish(process)
    assert code == 130, err
    assert "Traceback" not in err
    assert "deployctl: interrupted" in err


def test_a_silent_host_is_one_line_and_no_library_traceback(fake_ssh: Any, tmp_path: Path) -> None:
    server = fake_ssh("silent")
    root = _project(tmp_path / "project", server, "  connect_timeout: 0.5\n")
    code, out, err = _finish(_start_cli(root))
    assert code == 2, err
    assert "Traceback" not in err
    assert "Error reading SSH protocol banner" not in err  # paramiko's own log line
    assert "accepted the connection, then sent nothing for 0.5 s" in out + err


def test_debug_shows_the_library_log(fake_ssh: Any, tmp_path: Path) -> None:
    server = fake_ssh("silent")
    root = _project(tmp_path / "project", server, "  connect_timeout: 0.5\n")
    code, _, err = _finish(_start_cli(root, "--debug"))
    assert code == 2
    assert "Error reading SSH protocol banner" in err


def test_sigterm_ends_a_blocked_run_as_ctrl_c_does_and_the_ledger_says_interrupted(
    fake_ssh: Any, tmp_path: Path
) -> None:
    """A service manager's or CI's polite stop: connections closed, the run recorded interrupted, exit 143."""
    from deployctl.ledger.db import open_ledger
    from deployctl.ledger.records import deployments
    from deployctl.model.project import load_project

    server = fake_ssh("hang")
    root = _project(tmp_path / "project", server, "  connect_timeout: 120\n  idle_timeout: 600\n")
    process = _start_cli(root)
    deadline = time.monotonic() + HANG_BOUND
    while not server.commands and time.monotonic() < deadline:  # logged in, its command sent
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    code, _, err = _finish(process)
    assert code == 143, err
    assert "Traceback" not in err
    assert "deployctl: terminated" in err
    rows = deployments(open_ledger(load_project(root).ledger), "dev")
    assert [row.outcome for row in rows] == ["interrupted"]
