"""The authorized_keys fact's snippet, run on this machine: the default path comes from the user's home."""

from __future__ import annotations

import pwd
import subprocess
from pathlib import Path

from deployctl.facts.authorizedkeys import AuthorizedKeysFact, AuthorizedKeysInfo
from deployctl.facts.base import RawFact


def read(fact: AuthorizedKeysFact) -> AuthorizedKeysInfo:
    done = subprocess.run(["sh", "-c", fact.script()], capture_output=True, text=True, check=False)
    return fact.parse(RawFact(done.stdout, done.returncode))


def test_the_default_path_is_in_the_users_home() -> None:
    me = pwd.getpwuid(0).pw_name
    info = read(AuthorizedKeysFact(me))
    assert info.user is not None and info.user.uid == 0
    assert info.path == f"{info.user.home}/.ssh/authorized_keys" and info.folder.path == f"{info.user.home}/.ssh"


def test_a_given_path_is_described_with_its_folder(tmp_path: Path) -> None:
    keys = tmp_path / "keys dir" / "authorized_keys"
    keys.parent.mkdir()
    keys.write_text("ssh-ed25519 AAAA one\n")
    info = read(AuthorizedKeysFact(pwd.getpwuid(0).pw_name, str(keys)))
    assert info.file.content == b"ssh-ed25519 AAAA one\n" and info.folder.type == "directory"


def test_a_missing_user_has_no_file() -> None:
    info = read(AuthorizedKeysFact("no-such-user-deployctl"))
    assert info.user is None and not info.file.exists
