"""The docker-exec transport: the Transport protocol over an exec function (here a fake, and this machine)."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from deployctl.dockerapi.exectransport import DockerExecTransport
from deployctl.dockerapi.types import EngineError, ExecResult
from deployctl.errors import DeployctlError
from deployctl.transport.base import CommandFailedError, CommandStoppedError, Transport, put_command
from tests.unit.dockerapi.fakeengine import FakeContainer


def local_exec(command: Sequence[str], user: str | None) -> ExecResult:
    """Run the command here, as a container's exec would run it there."""
    assert user is None
    done = subprocess.run(list(command), capture_output=True, check=False)
    return ExecResult(done.returncode, done.stdout, done.stderr)


def test_run_returns_a_result_and_becomes_a_user_through_exec() -> None:
    calls: list[tuple[list[str], str | None]] = []

    def fake(command: Sequence[str], user: str | None) -> ExecResult:
        calls.append((list(command), user))
        return ExecResult(3, b"out\n", b"err\n")

    transport: Transport = DockerExecTransport("app-1", fake)
    result = transport.run(["cat", "/etc/my file"])
    assert (result.command, result.exit_code, result.stdout, result.stderr) == (
        "cat '/etc/my file'",
        3,
        "out\n",
        "err\n",
    )
    transport.run(["id"], become=True)
    transport.run(["id"], become=True, become_user="app")
    assert calls == [(["cat", "/etc/my file"], None), (["id"], "root"), (["id"], "app")]


def test_put_sends_the_one_atomic_put_script_with_the_content_inline() -> None:
    container = FakeContainer("app-1")
    DockerExecTransport.of(container).put(b"port=8000\n", "/etc/app.ini", mode="0640")
    assert container.execs == [put_command("/etc/app.ini", "0640", content=b"port=8000\n")]


def test_put_and_get_round_trip_through_a_real_shell(tmp_path: Path) -> None:
    transport = DockerExecTransport("here", local_exec)
    target = tmp_path / "app.ini"
    assert transport.put(b"a\x00b\n", str(target), mode="0600").ok
    assert target.read_bytes() == b"a\x00b\n" and target.stat().st_mode & 0o777 == 0o600
    assert transport.get(str(target)) == b"a\x00b\n"
    with pytest.raises(CommandFailedError, match="exited 1"):
        transport.get(str(tmp_path / "missing"))


def test_a_command_needing_stdin_is_refused() -> None:
    with pytest.raises(DeployctlError, match="needs stdin"):
        DockerExecTransport("app-1", local_exec).run(["cat"], stdin=b"x")


def test_a_command_past_its_timeout_is_stopped_and_an_engine_error_is_raised() -> None:
    release = threading.Event()

    def hangs(_command: Sequence[str], _user: str | None) -> ExecResult:
        release.wait(5)
        return ExecResult(0, b"", b"")

    try:
        with pytest.raises(CommandStoppedError) as stopped:
            DockerExecTransport("app-1", hangs).run(["sleep", "60"], timeout=0.05)
    finally:
        release.set()
    assert stopped.value.timed_out

    def gone(_command: Sequence[str], _user: str | None) -> ExecResult:
        raise EngineError("Connection aborted.")

    with pytest.raises(EngineError, match="Connection aborted"):
        DockerExecTransport("app-1", gone).run(["true"], timeout=1)
