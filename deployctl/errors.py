"""Errors a user can cause: each prints as one line, with file, line and field where there is one."""

from __future__ import annotations

from pathlib import Path


class DeployctlError(Exception):
    """An error the user can fix; the CLI prints it in one line and exits with `exit_code`."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(DeployctlError):
    """Invalid input in a file the user wrote: names the file, the line and the field."""

    exit_code = 4

    def __init__(self, source: str | Path, line: int | None, field: str | None, problem: str) -> None:
        self.source = str(source)
        self.line = line
        self.field = field
        self.problem = problem
        where = self.source if line is None else f"{self.source}:{line}"
        what = f"{field}: {problem}" if field else problem
        super().__init__(f"{where}: {what}")


class LabError(DeployctlError):
    """The lab could not be brought up, read or torn down."""


class ConnectionFailedError(DeployctlError):
    """A host could not be reached or authenticated."""
