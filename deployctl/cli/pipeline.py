"""The delivery pipeline's commands (release, verify, promote, status, history), each imported only when run."""

from __future__ import annotations

import typer

PIPELINE_COMMANDS = ("release", "verify", "promote", "status", "history")


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
    else:
        from deployctl.cli import history

        app.command("history")(history.history)
