"""Local transport: run commands on this machine (for `delegate_to: localhost`-style steps and tests)."""

from __future__ import annotations

import subprocess
import time

from deployctl.transport.base import (
    Command,
    CommandFailedError,
    CommandStoppedError,
    Result,
    put_command,
    render_command,
    with_become,
)


class LocalTransport:
    """A Transport whose host is the machine deployctl runs on."""

    def __init__(self, name: str = "localhost") -> None:
        self.name = name

    def run(
        self,
        command: Command,
        *,
        become: bool = False,
        become_user: str | None = None,
        stdin: bytes | None = None,
        timeout: float | None = None,
    ) -> Result:
        words = with_become(command, become, become_user)
        started = time.monotonic()
        try:
            done = subprocess.run(list(words), input=stdin or b"", capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:  # run() has killed the command
            reason = f"timed out after {timeout:g} s"
            raise CommandStoppedError(self.name, render_command(words), reason, timed_out=True) from None
        return Result(
            command=render_command(words),
            exit_code=done.returncode,
            stdout=done.stdout.decode("utf-8", "replace"),
            stderr=done.stderr.decode("utf-8", "replace"),
            duration=time.monotonic() - started,
        )

    def put(self, data: bytes, path: str, *, mode: str | None = None, become: bool = False) -> Result:
        return self.run(put_command(path, mode), become=become, stdin=data)

    def get(self, path: str, *, become: bool = False) -> bytes:
        words = with_become(["cat", "--", path], become)
        done = subprocess.run(list(words), capture_output=True, check=False)
        if done.returncode != 0:
            failed = Result(render_command(words), done.returncode, "", done.stderr.decode("utf-8", "replace"), 0.0)
            raise CommandFailedError(self.name, failed)
        return done.stdout

    def close(self) -> None:
        return None
