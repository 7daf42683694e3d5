"""A misbehaving host ends a command with a message saying what it did, and never hangs or floods the controller.

Each case runs against the fake SSH server of conftest.py. The calls run in a thread joined with a
generous deadline: the deadline only bounds a hang (the code before these defenses hung for ever).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from deployctl.errors import ConnectionFailedError
from deployctl.model.connection import SshSettings
from deployctl.transport.base import CommandStoppedError
from deployctl.transport.ssh import SshTransport

HANG_BOUND = 30.0
"""Seconds after which a call is taken for a hang (every case here ends in about a second)."""


def _within(call: Callable[[], Any]) -> BaseException | None:
    """Run `call` in a thread; return what it raised (None if it returned); fail if it is still running."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            raised.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG_BOUND)
    assert not thread.is_alive(), f"still running after {HANG_BOUND:g} s: the transport hangs"
    return raised[0] if raised else None


def test_a_host_that_accepts_and_sends_nothing_fails_with_what_it_did(fake_ssh: Any) -> None:
    server = fake_ssh("silent")
    transport = SshTransport(server.endpoint(), connect_timeout=0.5)
    error = _within(lambda: transport.run(["true"]))
    assert isinstance(error, ConnectionFailedError)
    assert str(error) == (
        f"web1 (127.0.0.1:{server.port}): accepted the connection, then sent nothing for 0.5 s (no SSH banner)"
    )


def test_a_host_that_never_answers_a_command_ends_at_the_idle_timeout(fake_ssh: Any) -> None:
    server = fake_ssh("hang")
    transport = SshTransport(server.endpoint(), settings=SshSettings(connect_timeout=5, idle_timeout=0.5))
    error = _within(lambda: transport.run(["apt-get", "update"]))
    assert isinstance(error, ConnectionFailedError)
    assert "sent nothing for 0.5 s during `apt-get update`" in str(error)
    assert server.commands == ["apt-get update"]


def test_a_silent_command_on_a_live_host_is_not_idle_and_ends_at_its_timeout(fake_ssh: Any) -> None:
    server = fake_ssh("quiet")
    settings = SshSettings(connect_timeout=5, idle_timeout=0.4)  # probed every 0.1 s: the host answers
    transport = SshTransport(server.endpoint(), settings=settings)
    error = _within(lambda: transport.run(["sleep", "600"], timeout=1.5))
    assert isinstance(error, CommandStoppedError)
    assert error.timed_out
    assert str(error) == "web1: `sleep 600` timed out after 1.5 s"


def test_a_flood_of_output_stops_at_the_cap_and_memory_stays_bounded(fake_ssh: Any) -> None:
    server = fake_ssh("flood")
    transport = SshTransport(server.endpoint(), settings=SshSettings(connect_timeout=5, output_limit=1024 * 1024))
    error = _within(lambda: transport.run(["yes"]))
    assert isinstance(error, CommandStoppedError)
    assert str(error) == "web1: `yes` sent more than 1 MiB of output (ssh.output_limit)"
    assert error.kept <= 1024 * 1024  # what the controller held when it stopped
    # The host could send no more than the cap, one SSH window (2 MiB) and the sockets' buffers.
    assert server.sent < server.flood_total // 2


def test_the_connection_lives_on_after_a_command_past_the_cap(fake_ssh: Any) -> None:
    server = fake_ssh("flood", flood_total=64 * 1024)
    transport = SshTransport(server.endpoint(), settings=SshSettings(connect_timeout=5, output_limit=16 * 1024))
    assert isinstance(_within(lambda: transport.run(["yes"])), CommandStoppedError)
    roomy = SshTransport(server.endpoint(), settings=SshSettings(connect_timeout=5))
    assert _within(lambda: roomy.run(["yes"])) is None


def test_a_host_closing_the_connection_mid_command_is_named(fake_ssh: Any) -> None:
    server = fake_ssh("hangup")
    transport = SshTransport(server.endpoint(), settings=SshSettings(connect_timeout=5))
    error = _within(lambda: transport.run(["systemctl", "restart", "app"]))
    assert isinstance(error, ConnectionFailedError)
    assert str(error) == f"web1 (127.0.0.1:{server.port}): closed the connection during `systemctl restart app`"


def test_a_well_behaved_host_still_answers(fake_ssh: Any) -> None:
    server = fake_ssh("echo")
    transport = SshTransport(server.endpoint(), settings=SshSettings(connect_timeout=5, idle_timeout=1))
    result = transport.run(["echo", "hello world"])
    assert (result.exit_code, result.stdout) == (0, "echo 'hello world'\n")
    transport.close()


@pytest.mark.parametrize("limit", [0.0, None])
def test_settings_turn_the_clocks_off(fake_ssh: Any, limit: float | None) -> None:
    server = fake_ssh("echo")
    settings = SshSettings(connect_timeout=5, command_timeout=0, idle_timeout=0)
    transport = SshTransport(server.endpoint(), settings=settings)
    assert transport.run(["true"], timeout=limit or None).ok
