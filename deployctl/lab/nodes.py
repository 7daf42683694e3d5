"""A lab node's container options, the one definition the Vagrantfile mirrors, and starting a node from them.

A node is a Debian "VM": systemd as PID 1 in its own namespaces. It gets what a VM's root needs there:
SYS_ADMIN (systemd's mounts, `mount` of tmpfs and bind mounts) and NET_ADMIN (iptables, nftables, ufw,
routes and interfaces of the node's own network namespace). Nothing that reaches the host's kernel state
(the clock, swap, kernel modules, non-network sysctls) is given: README "What a lab node cannot do".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deployctl.dockerapi.types import Container, EngineApi, NodeOptions
from deployctl.errors import LabError

NODE_OPTIONS = NodeOptions(
    capabilities=("SYS_ADMIN", "NET_ADMIN"),
    security_options=("seccomp=unconfined",),
    tmpfs=("/run", "/run/lock"),
    read_only_binds=("/sys/fs/cgroup",),
)
"""What every lab node runs with; the Vagrantfile's SYSTEMD_ARGS are these words (a unit test compares them)."""
SSH_USER = "vagrant"
LOOPBACK = "127.0.0.1"


def node_create_args(options: NodeOptions = NODE_OPTIONS) -> list[str]:
    """The `docker create` words of these options, in the Vagrantfile's order."""
    words: list[str] = []
    for capability in options.capabilities:
        words += ["--cap-add", capability]
    for option in options.security_options:
        words += ["--security-opt", option]
    for target in options.tmpfs:
        words += ["--tmpfs", target]
    for path in options.read_only_binds:
        words += ["-v", f"{path}:{path}:ro"]
    return words


@dataclass(frozen=True)
class KeyPair:
    """An SSH key made for a run: the private key file (OpenSSH format) and the authorized_keys line."""

    private_path: Path
    public_line: str


def generate_key(folder: Path, comment: str) -> KeyPair:
    """Write a fresh ed25519 key pair into `folder` (the private key mode 0600) and return it."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    path = folder / "id_ed25519"
    path.touch(mode=0o600)
    path.write_bytes(private)
    line = f"{public.decode()} {comment}"
    (folder / "id_ed25519.pub").write_text(line + "\n")
    return KeyPair(private_path=path, public_line=line)


AUTHORIZE_SCRIPT = (
    f'umask 077 && mkdir -p /home/{SSH_USER}/.ssh && printf "%s\\n" "$1" > /home/{SSH_USER}/.ssh/authorized_keys'
    f" && chown -R {SSH_USER}:{SSH_USER} /home/{SSH_USER}/.ssh"
)
"""Authorize the key given as $1 for the node's user (run as root in the node)."""


def authorize_key(container: Container, key: KeyPair) -> None:
    """Make `key` the only key that logs in as the node's user."""
    done = container.exec(["sh", "-c", AUTHORIZE_SCRIPT, "sh", key.public_line], user="root")
    if done.exit_code != 0:
        raise LabError(f"{container.name}: authorizing the key failed (exit {done.exit_code}): {done.output}")


def start_node(
    client: EngineApi, image: str, *, name: str, hostname: str, labels: Mapping[str, str], ssh_port: int
) -> Container:
    """Start a node with the lab's options, its SSH port published on 127.0.0.1 only."""
    return client.run_node(
        image, name=name, hostname=hostname, labels=labels, options=NODE_OPTIONS, ports={"22/tcp": (LOOPBACK, ssh_port)}
    )


def node_container_name(machine: str) -> str:
    """The docker provider's container of a lab machine (the Vagrantfile's `d.name`)."""
    return f"deployctl-lab-{machine}"
