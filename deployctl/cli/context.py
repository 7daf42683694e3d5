"""What every command shares: the project folder and the debug switch, passed explicitly via Typer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from deployctl.model.project import Project


@dataclass(frozen=True)
class CliContext:
    """Global options of the command line."""

    project_dir: Path | None
    debug: bool

    def project(self) -> Project:
        """The project found from --project, or from the current folder upwards (its state folder made private)."""
        from deployctl.cli.render import say
        from deployctl.model.project import find_project
        from deployctl.statedir import tighten_state
        from deployctl.transport.settings import use_settings

        project = find_project(self.project_dir or Path.cwd())
        notice = tighten_state(project.state_dir, project.ledger)
        if notice is not None:
            say(notice)
        use_settings(project.ssh)  # every SSH connection of this run follows deployctl.yml's `ssh:`
        return project


def cli_context(ctx: typer.Context) -> CliContext:
    """The global options attached to the root command's context."""
    found = ctx.find_root().obj
    assert isinstance(found, CliContext)
    return found
