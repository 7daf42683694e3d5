"""The delivery pipeline's commands (release, verify, promote, status, history, lock), each imported only when run."""

from __future__ import annotations

import typer

PIPELINE_COMMANDS = ("release", "verify", "promote", "status", "history", "lock")


def register_pipeline_command(app: typer.Typer, command: str) -> None:
    """Add one pipeline command to the app, importing only its module."""
    if command == "release":
        from deployctl.cli import release

        app.add_typer(release.app, name="release")
    elif command == "verify":
        from deployctl.cli import verify

        app.command("verify")(verify.verify)
    elif command == "promote":
        from deployctl.cli import promote

        app.command("promote")(promote.promote)
    elif command == "status":
        from deployctl.cli import status

        app.command("status")(status.status)
    elif command == "lock":
        from deployctl.cli import lock

        app.add_typer(lock.app, name="lock")
    else:
        from deployctl.cli import history

        app.command("history")(history.history)
