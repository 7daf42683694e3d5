"""Entry point: the root command, global options, and the one place user errors become one line."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from deployctl import __version__
from deployctl.cli.context import CliContext
from deployctl.cli.pipeline import PIPELINE_COMMANDS, register_pipeline_command
from deployctl.cli.render import stderr
from deployctl.errors import DeployctlError

app = typer.Typer(
    name="deployctl",
    help="Ansible-style provisioning: mutable VMs and immutable containers, drift and promotion across stages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

COMMANDS = ("lab", "inventory", "ping", "apply", "lint", "deploy", "rollback", "drift", *PIPELINE_COMMANDS)
"""Every command, in the order `--help` lists them."""
ROOT_OPTIONS_WITH_VALUE = ("--project",)


def _register(command: str) -> None:
    """Add one command to the app, importing only its own module (the others' imports cost start-up time)."""
    if command == "lab":
        from deployctl.cli import lab

        app.add_typer(lab.app, name="lab")
    elif command in ("inventory", "ping"):
        from deployctl.cli import inventory

        app.command(command)(inventory.show_inventory if command == "inventory" else inventory.ping)
    elif command == "apply":
        from deployctl.cli import apply

        app.command("apply")(apply.apply)
    elif command == "lint":
        from deployctl.cli import lint

        app.command("lint")(lint.lint)
    elif command in PIPELINE_COMMANDS:
        register_pipeline_command(app, command)
    elif command == "drift":
        from deployctl.cli import drift

        app.add_typer(drift.app, name="drift")
    else:
        from deployctl.cli import deploy

        app.command(command)(deploy.deploy if command == "deploy" else deploy.rollback)


def invoked_command(args: list[str]) -> str | None:
    """The command named on the command line (after the root options), or None when there is none."""
    words = iter(args)
    for word in words:
        if word in ROOT_OPTIONS_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


_registered: set[str] = set()


def register_commands(args: list[str]) -> None:
    """Register the one command `args` runs, or every command (for `--help`, a typo, or no command)."""
    command = invoked_command(args)
    for name in (command,) if command in COMMANDS else COMMANDS:
        if name not in _registered:
            _register(name)
            _registered.add(name)


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


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors print one line (`--debug` adds the traceback), bugs keep theirs."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("DEPLOYCTL_DEBUG") == "1"
    register_commands(args)
    try:
        # Standalone mode: Typer prints usage errors (exit 2) and turns typer.Exit into the exit code.
        app(args=args, prog_name="deployctl", standalone_mode=True)
    except DeployctlError as error:
        if debug:
            traceback.print_exc()
        stderr.print(f"deployctl: error: {error}", markup=False, soft_wrap=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        stderr.print("deployctl: interrupted", markup=False)
        sys.exit(130)
