"""A lab node's options: one definition in Python, the same words in the Vagrantfile; the run's key."""

from __future__ import annotations

import re
from pathlib import Path

from deployctl.lab.nodes import NODE_OPTIONS, generate_key, node_create_args

REPO = Path(__file__).resolve().parents[3]


def vagrantfile_systemd_args() -> list[str]:
    text = (REPO / "Vagrantfile").read_text()
    block = re.search(r"^SYSTEMD_ARGS = \[(.*?)\]\.freeze", text, re.S | re.M)
    assert block is not None
    return re.findall(r'"([^"]*)"', block.group(1))


def test_vagrantfile_creates_nodes_with_the_same_options() -> None:
    assert vagrantfile_systemd_args() == node_create_args()


def test_nodes_can_run_a_firewall_and_nothing_that_reaches_the_host_kernel() -> None:
    assert {"SYS_ADMIN", "NET_ADMIN"} <= set(NODE_OPTIONS.capabilities)
    assert not {"SYS_TIME", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT"} & set(NODE_OPTIONS.capabilities)
    assert node_create_args()[:4] == ["--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN"]


def test_generated_key_is_private_and_authorizable(tmp_path: Path) -> None:
    key = generate_key(tmp_path, "deployctl-compat")
    assert key.private_path.stat().st_mode & 0o777 == 0o600
    assert key.private_path.read_text().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert key.public_line.startswith("ssh-ed25519 ") and key.public_line.endswith(" deployctl-compat")
