"""get_url end to end on this machine: the local transport, a file server on 127.0.0.1 only."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.strategies.test_apply_local import make_project, run, statuses

PLAYBOOK = """\
- name: downloads
  hosts: all
  tasks:
    - name: to a file
      get_url: url={{ base }}/tool.txt dest={{ root }}/tool.txt mode=0640
    - name: into a directory, checked
      get_url:
        url: "{{ base }}/other.txt"
        dest: "{{ root }}/"
        checksum: "sha256:{{ sha }}"
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A file server on 127.0.0.1 (a free port) for a folder; its base URL and the folder."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def test_downloads_then_changes_nothing_then_follows_the_url(tmp_path: Path, served: tuple[str, Path]) -> None:
    base, folder = served
    (folder / "tool.txt").write_bytes(b"version 1\n")
    (folder / "other.txt").write_bytes(b"version 1\n")
    root, inventory = make_project(
        tmp_path,
        hosts=f"local1:\n      base: {base}\n      sha: {hashlib.sha256(b'version 1' + bytes([10])).hexdigest()}",
        playbook=PLAYBOOK,
    )
    target = tmp_path / "target"
    first = run(root, inventory)
    assert first.exit_code == 0, [r.message for r in first.results if r.status == "failed"]
    assert statuses(first) == {"to a file": "changed", "into a directory, checked": "changed"}
    assert (target / "tool.txt").read_bytes() == b"version 1\n"
    assert oct((target / "tool.txt").stat().st_mode & 0o777) == "0o640"

    second = run(root, inventory)
    assert second.recap["local1"].changed == 0, [r.message for r in second.results]

    (folder / "tool.txt").write_bytes(b"version 2\n")
    (target / "other.txt").write_bytes(b"edited\n")
    (folder / "other.txt").write_bytes(b"version 2\n")
    third = run(root, inventory)
    assert statuses(third)["to a file"] == "changed"
    assert statuses(third)["into a directory, checked"] == "failed"
    assert "did not match" in next(r.message for r in third.results if r.status == "failed")
    assert (target / "tool.txt").read_bytes() == b"version 2\n"
    assert (target / "other.txt").read_bytes() == b"edited\n"
    assert oct((target / "tool.txt").stat().st_mode & 0o777) == "0o640"


def test_a_missing_url_fails_the_task(tmp_path: Path, served: tuple[str, Path]) -> None:
    base, _ = served
    root, inventory = make_project(tmp_path, hosts=f"local1:\n      base: {base}\n      sha: 00", playbook=PLAYBOOK)
    result = run(root, inventory)
    failed = [r for r in result.results if r.status == "failed"]
    assert failed and "Request failed: 404" in failed[0].message
