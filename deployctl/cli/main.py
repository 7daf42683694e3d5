"""Entry point: the root command, global options, and the one place user errors become one line."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from deployctl import __version__
from deployctl.cli import apply, deploy, inventory, lab
from deployctl.cli.context import CliContext
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
app.add_typer(lab.app, name="lab")
app.command("inventory")(inventory.show_inventory)
app.command("ping")(inventory.ping)
app.command("apply")(apply.apply)
app.command("deploy")(deploy.deploy)
app.command("rollback")(deploy.rollback)


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
