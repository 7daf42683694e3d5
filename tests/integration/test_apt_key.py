"""apt_key on the lab: keys made here with gpg (never a real third party's key) added from inline data and from a
file copied to dev-vm1, then removed, each run again with nothing changed; ansible-core's apt_key run on the
same node agrees at every step (it finds nothing to do where deployctl converged, and deployctl finds nothing
to do after ansible-core's run)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployctl.lab.state import LabState
from deployctl.transport.ssh import SshTransport
from tests.conftest import deployctl

pytestmark = pytest.mark.integration

KEYRING = "/etc/apt/trusted.gpg.d/deployctl-test-apt-key.gpg"
COPIED = "/root/deployctl-test-apt-key.gpg"
HOST = "dev-vm1"


@dataclass(frozen=True)
class Keys:
    """Two keys made for the test: one armored (given as data), one binary (copied as a file), with their ids."""

    armored: str
    armored_id: str
    binary: bytes
    binary_id: str


def _gpg(home: Path, *args: str) -> bytes:
    command = ["gpg", "--homedir", str(home), "--batch", "--passphrase", "", *args]
    return subprocess.run(command, capture_output=True, check=True).stdout


def _long_id(home: Path, email: str) -> str:
    listed = _gpg(home, "--with-colons", "--list-keys", email).decode()
    return next(line.split(":")[4] for line in listed.splitlines() if line.startswith("pub"))


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    if shutil.which("gpg") is None:
        pytest.fail("gpg is missing on this machine: `scripts/install --test` installs gnupg")
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    _gpg(home, "--quick-gen-key", "deployctl test data <data@debian.example>", "ed25519", "sign", "never")
    _gpg(home, "--quick-gen-key", "deployctl test file <file@debian.example>", "rsa2048", "sign", "never")
    return Keys(
        armored=_gpg(home, "--armor", "--export", "data@debian.example").decode(),
        armored_id=_long_id(home, "data@debian.example"),
        binary=_gpg(home, "--export", "file@debian.example"),
        binary_id=_long_id(home, "file@debian.example"),
    )


def _play(name: str, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": name, "hosts": "dev", "become": True, "gather_facts": False, "tasks": tasks}]


@pytest.fixture(scope="module")
def playbooks(keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`add` (install gnupg, add a key from data and one from a copied file) and `remove` (both, one by id, one
    by its file), in a folder of their own with the key file beside them."""
    folder = tmp_path_factory.mktemp("apt_key")
    (folder / "files").mkdir()
    (folder / "files" / "key.gpg").write_bytes(keys.binary)
    add = _play(
        "apt_key add",
        [
            {
                "name": "gnupg, which apt-key needs",
                "apt": {"name": "gnupg", "update_cache": True, "cache_valid_time": 86400},
            },
            {"name": "a key from data", "ansible.builtin.apt_key": {"data": keys.armored, "keyring": KEYRING}},
            {"name": "copy a key file", "copy": {"src": "key.gpg", "dest": COPIED, "mode": "0644"}},
            {"name": "a key from a file", "apt_key": {"file": COPIED, "keyring": KEYRING}},
        ],
    )
    remove = _play(
        "apt_key remove",
        [
            {"name": "the data key by id", "apt_key": {"id": keys.armored_id, "state": "absent", "keyring": KEYRING}},
            {"name": "the file key by its file", "apt_key": {"file": COPIED, "state": "absent", "keyring": KEYRING}},
        ],
    )
    paths = {"add": folder / "add.yml", "remove": folder / "remove.yml"}
    paths["add"].write_text(yaml.safe_dump(add, sort_keys=False))
    paths["remove"].write_text(yaml.safe_dump(remove, sort_keys=False))
    return paths


def apply_json(playbook: Path, *options: str) -> dict[str, Any]:
    command = ("apply", str(playbook), "--stage", "dev", "--limit", HOST, "--format", "json", *options)
    done = deployctl(*command, check=False)
    assert done.stdout, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    failed = [(r["task"], r.get("message")) for r in result["results"] if r["status"] == "failed"]
    assert done.returncode == 0 and not failed, failed
    return result


def changed(result: dict[str, Any]) -> list[str]:
    return [r["task"] for r in result["results"] if r["status"] == "changed"]


def listed(lab: LabState) -> str:
    """The test keyring as apt-key lists it on the node ('' when it is not there)."""
    with SshTransport(lab.endpoints[HOST]) as transport:
        done = transport.run(
            ["sh", "-c", f"[ -e {KEYRING} ] && apt-key --keyring {KEYRING} list --keyid-format=long"], become=True
        )
        return done.stdout


def ansible_changed(lab: LabState, playbook: Path, folder: Path) -> list[str]:
    """ansible-core's run of the same playbook on the node: the tasks it reports changed."""
    found = shutil.which("ansible-playbook")
    assert found is not None, "ansible-core (a test dependency) is not installed"
    endpoint = lab.endpoints[HOST]
    host = {
        "ansible_host": endpoint.address,
        "ansible_port": endpoint.port,
        "ansible_user": endpoint.user,
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        **({"ansible_ssh_private_key_file": endpoint.key_file} if endpoint.key_file else {}),
    }
    inventory = folder / "ansible-inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"dev": {"hosts": {HOST: host}}}}}))
    environment = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    environment["ANSIBLE_DEPRECATION_WARNINGS"] = "0"
    done = subprocess.run(
        [found, "-i", str(inventory), str(playbook)], env=environment, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    return [
        task["task"]["name"]
        for play in report["plays"]
        for task in play["tasks"]
        if task["hosts"].get(HOST, {}).get("changed")
    ]


@pytest.fixture(scope="module")
def added(lab: LabState, playbooks: dict[str, Path]) -> Iterator[dict[str, Any]]:
    """The add playbook applied once (and the test keyring and copied file removed afterwards)."""
    try:
        yield apply_json(playbooks["add"])
    finally:
        with SshTransport(lab.endpoints[HOST]) as transport:
            transport.run(["rm", "-f", "--", KEYRING, f"{KEYRING}~", COPIED], become=True)


def test_keys_from_data_and_file_are_added_then_nothing_changes(
    added: dict[str, Any], keys: Keys, lab: LabState, playbooks: dict[str, Path]
) -> None:
    assert {"a key from data", "copy a key file", "a key from a file"} <= set(changed(added))
    text = listed(lab)
    assert f"/{keys.armored_id} " in text and f"/{keys.binary_id} " in text
    assert changed(apply_json(playbooks["add"])) == []
    assert ansible_changed(lab, playbooks["add"], playbooks["add"].parent) == []


def test_removal_checked_then_applied_then_nothing_changes(
    added: dict[str, Any], keys: Keys, lab: LabState, playbooks: dict[str, Path]
) -> None:
    before = listed(lab)
    checked = apply_json(playbooks["remove"], "--check")
    assert changed(checked) == ["the data key by id", "the file key by its file"]
    assert listed(lab) == before
    assert changed(apply_json(playbooks["remove"])) == ["the data key by id", "the file key by its file"]
    text = listed(lab)
    assert keys.armored_id not in text and keys.binary_id not in text
    assert changed(apply_json(playbooks["remove"])) == []
    assert ansible_changed(lab, playbooks["remove"], playbooks["remove"].parent) == []


def test_after_ansible_core_adds_the_keys_deployctl_finds_nothing_to_do(
    added: dict[str, Any], keys: Keys, lab: LabState, playbooks: dict[str, Path]
) -> None:
    apply_json(playbooks["remove"])
    theirs = ansible_changed(lab, playbooks["add"], playbooks["add"].parent)
    assert {"a key from data", "a key from a file"} <= set(theirs)
    assert changed(apply_json(playbooks["add"])) == []
    assert changed(apply_json(playbooks["remove"])) == ["the data key by id", "the file key by its file"]
