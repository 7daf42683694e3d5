"""`deployctl apply` refuses bad input with file, line and field, exit 4, before contacting any host."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployctl.cli.main import main


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP listener on 127.0.0.1 that records every connection: the hosts' stand-in."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(connection)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


def project(tmp_path: Path, port: int, playbook: str) -> Path:
    (tmp_path / "inventories").mkdir()
    (tmp_path / "deployctl.yml").write_text("stages: [dev]\n")
    (tmp_path / "inventories" / "dev.yml").write_text(
        "all:\n  hosts:\n    h1:\n      ansible_host: 127.0.0.1\n"
        f"      ansible_port: {port}\n      ansible_host_key_checking: false\n      app_port: 8080\n"
    )
    (tmp_path / "site.yml").write_text(playbook)
    return tmp_path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        main(args)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    return code, capsys.readouterr().err


BAD = [
    ("- hosts: all\n  tasks:\n    - copy: content=x dest=/x\n      delegate_to: other\n", "site.yml:4: delegate_to"),
    ("- hosts: all\n  tasks:\n    - docker_container: name=x\n", "site.yml:3"),
    ("- hosts: all\n  tasks:\n    - copy: content=x dest=/x mode=0644 colour=red\n", "site.yml:3"),
    ("- hosts: all\n  tasks:\n    - copy:\n        content: '{{ nope }}'\n        dest: /x\n", "'nope' is undefined"),
    ("- hosts: all\n  tasks:\n    - template: src=missing.j2 dest=/x\n", "site.yml:3"),
    ("- hosts: all\n  tasks:\n    - copy: content=x dest=/x\n  bogus: [\n", "site.yml:5: invalid YAML"),
    ("- hosts: all\n  serial: lots\n  tasks: []\n", "site.yml:2: serial"),
]


@pytest.mark.parametrize(("playbook", "where"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_playbook_exits_4_and_contacts_no_host(
    tmp_path: Path, listener: tuple[int, list[object]], capsys: pytest.CaptureFixture[str], playbook: str, where: str
) -> None:
    port, accepted = listener
    root = project(tmp_path, port, playbook)
    code, err = run(["--project", str(root), "apply", str(root / "site.yml"), "--stage", "dev"], capsys)
    assert code == 4, err
    assert err.startswith("deployctl: error: ")
    assert where in err
    assert err.count("\n") == 1
    assert accepted == []


def test_unknown_stage_is_invalid_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path, 1, "- hosts: all\n  tasks: []\n")
    code, err = run(["--project", str(root), "apply", str(root / "site.yml"), "--stage", "prod"], capsys)
    assert code == 4
    assert "unknown stage 'prod'" in err


def test_good_playbook_does_contact_the_host(
    tmp_path: Path, listener: tuple[int, list[object]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The control case: the same setup with a valid playbook reaches the listener (and fails to SSH)."""
    port, accepted = listener
    root = project(tmp_path, port, "- hosts: all\n  tasks:\n    - copy: content=x dest=/tmp/x\n")
    code, _ = run(["--project", str(root), "apply", str(root / "site.yml"), "--stage", "dev"], capsys)
    assert code == 2
    assert len(accepted) == 1
