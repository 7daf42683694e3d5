"""Actions become few remote steps: one set -e script for small ones, stdin for large files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from deployctl.modules.base import PutFile, RunCommand
from deployctl.strategies.actions import INLINE_LIMIT, compose_steps


def run_step(command: tuple[str, ...], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(command), input=stdin or b"", capture_output=True, check=False)


def test_single_command_runs_without_a_shell() -> None:
    steps = compose_steps([RunCommand(("chmod", "0644", "/x"))])
    assert [s.command for s in steps] == [("chmod", "0644", "/x")]


def test_small_actions_share_one_script_that_stops_at_the_first_failure(tmp_path: Path) -> None:
    target = tmp_path / "it's here.txt"
    steps = compose_steps(
        [
            PutFile(str(target), b"line $HOME `id`\n", "0600"),
            RunCommand(("chmod", "0640", str(target))),
            RunCommand(("false",)),
            RunCommand(("touch", str(tmp_path / "never"))),
        ]
    )
    assert len(steps) == 1
    done = run_step(steps[0].command)
    assert done.returncode != 0
    assert target.read_bytes() == b"line $HOME `id`\n"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert not (tmp_path / "never").exists()


def test_large_files_and_stdin_commands_get_their_own_step(tmp_path: Path) -> None:
    big = b"x" * (INLINE_LIMIT + 1)
    steps = compose_steps(
        [
            RunCommand(("mkdir", "-p", str(tmp_path / "d"))),
            PutFile(str(tmp_path / "d" / "big"), big, None),
            RunCommand(("cat",), stdin=b"in"),
        ]
    )
    assert [s.stdin for s in steps] == [None, big, b"in"]
    for step in steps:
        assert run_step(step.command, step.stdin).returncode == 0
    assert (tmp_path / "d" / "big").read_bytes() == big
