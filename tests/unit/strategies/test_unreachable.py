"""A host that cannot be connected to is unreachable, even when its play needs nothing from it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from deployctl.cli.main import main
from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import deployment_hosts, deployments


def closed_port() -> int:
    """A port of 127.0.0.1 that nothing listens on: bound, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_play_of_debug_tasks_on_a_closed_port_is_unreachable_in_the_recap_and_the_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inventories").mkdir()
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "deployctl.yml").write_text("stages: [dev]\n")
    (tmp_path / "inventories" / "dev.yml").write_text(
        "all:\n  hosts:\n    dead1:\n"
        f"      ansible_host: 127.0.0.1\n      ansible_port: {closed_port()}\n      ansible_user: nobody\n"
        "      ansible_host_key_checking: false\n"
    )
    (tmp_path / "playbooks" / "site.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: hello\n"
    )
    with pytest.raises(SystemExit) as done:
        main(["--project", str(tmp_path), "apply", str(tmp_path / "playbooks" / "site.yml"), "--stage", "dev"])
    out, err = capsys.readouterr()
    assert done.value.code == 2, out + err
    assert "hello" not in out  # no task ran on a host that could not be reached
    ledger = open_ledger(tmp_path / ".deployctl" / "ledger.db")
    [deployment] = deployments(ledger, "dev")
    assert [(h.host, h.status) for h in deployment_hosts(ledger, deployment.id)] == [("dead1", "unreachable")]
