"""Commands are word lists quoted once; put writes atomically; the pool keeps each host's outcome."""

from __future__ import annotations

import subprocess
from pathlib import Path

from deployctl.transport.base import put_command, render_command, shell, with_become
from deployctl.transport.pool import run_each


def test_become_wraps_in_noninteractive_sudo() -> None:
    assert with_become(["id", "-u"], False) == ["id", "-u"]
    assert with_become(["id", "-u"], True) == ["sudo", "-n", "-H", "--", "id", "-u"]
    assert with_become(["id"], True, "app") == ["sudo", "-n", "-H", "-u", "app", "--", "id"]


def test_values_are_quoted_once() -> None:
    hostile = "x'; rm -rf / #"
    line = render_command(["echo", hostile])
    done = subprocess.run(["sh", "-c", line], capture_output=True, text=True, check=True)
    assert done.stdout == hostile + "\n"
    assert render_command(shell("echo $HOME")) == "sh -c 'echo $HOME'"


def test_put_command_writes_stdin_atomically_with_mode(tmp_path: Path) -> None:
    target = tmp_path / "dir with space" / "it's.conf"
    target.parent.mkdir()
    line = render_command(put_command(str(target), "0640"))
    subprocess.run(["sh", "-c", line], input=b"content\n", check=True)
    assert target.read_bytes() == b"content\n"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert [p.name for p in target.parent.iterdir()] == ["it's.conf"]


def test_pool_keeps_order_and_isolates_failures() -> None:
    def call(n: int) -> int:
        if n == 2:
            raise RuntimeError("host two is down")
        return n * 10

    outcomes = run_each([1, 2, 3], call, forks=2)
    assert [(o.item, o.value) for o in outcomes] == [(1, 10), (2, None), (3, 30)]
    assert str(outcomes[1].error) == "host two is down"
    assert run_each([], call) == []
