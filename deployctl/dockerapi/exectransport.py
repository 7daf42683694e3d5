"""Run commands in a container through `docker exec`, behind the same Transport protocol as SSH and local.

Becoming a user is exec's own `--user` (a container has no sudo); a put carries the file inline in the one
atomic put script (`put_command`), since an exec here has no stdin.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from deployctl.dockerapi.types import Container, EngineError, ExecResult
from deployctl.errors import DeployctlError
from deployctl.transport.base import (
    Command,
    CommandFailedError,
    CommandStoppedError,
    Result,
    put_command,
    render_command,
)

Exec = Callable[[Sequence[str], str | None], ExecResult]
"""Run a command in the container, as the given user (None: the container's own); its result."""


class DockerExecTransport:
    """A Transport whose host is one running container."""

    def __init__(self, name: str, run_exec: Exec) -> None:
        self.name = name
        self._exec = run_exec

    @classmethod
    def of(cls, container: Container) -> DockerExecTransport:
        """The transport of a container of the engine."""
        return cls(container.name, lambda command, user: container.exec(command, user=user))

    def run(
        self,
        command: Command,
        *,
        become: bool = False,
        become_user: str | None = None,
        stdin: bytes | None = None,
        timeout: float | None = None,
    ) -> Result:
        line = render_command(command)
        if stdin:
            raise DeployctlError(f"{self.name}: `{line}` needs stdin, which a docker exec here cannot give")
        user = (become_user or "root") if become else None
        started = time.monotonic()
        done = self._run_within(list(command), user, line, timeout)
        return Result(
            command=line,
            exit_code=done.exit_code,
            stdout=done.stdout.decode("utf-8", "replace"),
            stderr=done.stderr.decode("utf-8", "replace"),
            duration=time.monotonic() - started,
        )

    def _run_within(self, command: list[str], user: str | None, line: str, timeout: float | None) -> ExecResult:
        if timeout is None:
            return self._exec(command, user)
        outcome: list[ExecResult | EngineError] = []

        def run() -> None:
            try:
                outcome.append(self._exec(command, user))
            except EngineError as error:
                outcome.append(error)

        worker = threading.Thread(target=run, name=f"exec-{self.name}", daemon=True)
        worker.start()
        worker.join(timeout)
        if not outcome:
            raise CommandStoppedError(self.name, line, f"timed out after {timeout:g} s", timed_out=True)
        if isinstance(outcome[0], EngineError):
            raise outcome[0]
        return outcome[0]

    def put(self, data: bytes, path: str, *, mode: str | None = None, become: bool = False) -> Result:
        return self.run(put_command(path, mode, content=data), become=become)

    def get(self, path: str, *, become: bool = False) -> bytes:
        user = "root" if become else None
        command = ["cat", "--", path]
        done = self._exec(command, user)
        if done.exit_code != 0:
            stderr = done.stderr.decode("utf-8", "replace")
            raise CommandFailedError(self.name, Result(render_command(command), done.exit_code, "", stderr, 0.0))
        return done.stdout

    def close(self) -> None:
        return None
