"""The root command: the CLI framework's app, its global options and the lazy registry of commands under it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deployctl import __version__
from deployctl.cli.commands import LazyCommands
from deployctl.cli.context import CliContext

app = typer.Typer(
    cls=LazyCommands,
    rich_markup_mode=None,  # Click's plain help: Typer's Rich help imports Markdown and Pygments (100 ms and more)
    name="deployctl",
    help="Ansible-style provisioning: mutable VMs and immutable containers, drift and promotion across stages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"deployctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    project: Annotated[
        Path | None,
        typer.Option("--project", envvar="DEPLOYCTL_PROJECT", help="Project folder (default: nearest deployctl.yml)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """deployctl: one playbook, two strategies (mutable VMs, immutable containers), four stages."""
    ctx.obj = CliContext(project_dir=project, debug=debug)
