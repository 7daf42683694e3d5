"""The key pair fact: ssh-keygen's listing and derived public key, and the `.pub` file, parsed (captured output)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from deployctl.facts.base import RawFact
from deployctl.facts.sshkeys import PublicKeyLine, SshKeypairFact, parse_keypair_output

CAPTURED = (
    "file\n"
    "listed 3072 SHA256:f5Yh2pZ0Hc7nLw7kq2mY9Yv3n8Zl1g9mF1mYQ0xYb3E root@node (RSA)\n"
    "derived ssh-rsa AAAAB3NzaC1yc2E root@node\n"
    "public_mode 644\n"
    "public ssh-rsa AAAAB3NzaC1yc2E root@node\n"
)


def test_a_key_pair_as_ssh_keygen_lists_it() -> None:
    info = parse_keypair_output("/etc/ssh/ssh_host_rsa_key", CAPTURED)
    assert (info.path_type, info.size, info.key_type, info.public_mode) == ("file", 3072, "rsa", "0644")
    assert info.derived == PublicKeyLine("ssh-rsa", "AAAAB3NzaC1yc2E", "root@node")
    assert info.public is not None and info.derived.same_key(info.public)


def test_no_key_a_folder_and_no_ssh_keygen() -> None:
    assert parse_keypair_output("/k", "").path_type == "absent"
    assert parse_keypair_output("/k", "directory\n").path_type == "directory"
    assert not parse_keypair_output("/k", "nokeygen\n").keygen
    unreadable = parse_keypair_output("/k", "file\n")
    assert (unreadable.size, unreadable.derived, unreadable.public_exists) == (None, None, False)


def test_public_keys_compare_comments_only_when_both_have_one() -> None:
    key = PublicKeyLine("ssh-ed25519", "AAAAC3")
    assert key.same_key(PublicKeyLine("ssh-ed25519", "AAAAC3", "someone"))
    assert not PublicKeyLine("ssh-ed25519", "AAAAC3", "a").same_key(PublicKeyLine("ssh-ed25519", "AAAAC3", "b"))
    assert not key.same_key(PublicKeyLine("ssh-rsa", "AAAAC3"))


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is not installed")
def test_the_snippet_reads_a_real_key(tmp_path: Path) -> None:
    path = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", str(path), "-C", "me@here"], check=True)
    fact = SshKeypairFact(str(path))
    done = subprocess.run(["sh", "-c", fact.script()], capture_output=True, text=True, check=False)
    info = fact.parse(RawFact(done.stdout, done.returncode))
    assert (info.path_type, info.size, info.key_type, info.public_mode) == ("file", 256, "ed25519", "0644")
    assert info.derived is not None and info.public is not None and info.derived.same_key(info.public)
