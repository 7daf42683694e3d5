"""Entry point: the root command, global options, and the one place user errors become one line."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from deployctl import __version__
from deployctl.cli.context import CliContext
from deployctl.cli.pipeline import PIPELINE_COMMANDS, register_pipeline_command
from deployctl.cli.render import stderr
from deployctl.errors import DeployctlError
from deployctl.transport.interrupt import INTERRUPTION

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


STOP_GRACE = 1.0
"""After Ctrl-C, how long worker threads get to end once their connections are closed, before the exit."""


STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Ctrl-C, and the polite stop of a service manager or CI: both end the run the same way."""
_stopped_by: list[int] = []


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    """First SIGINT or SIGTERM: close every connection (unblocking the workers) and stop the main thread; later
    ones wait while the ledger marks the run interrupted and releases its lock."""
    if INTERRUPTION.requested:
        return
    _stopped_by.append(signum)
    INTERRUPTION.interrupt()
    raise KeyboardInterrupt


def _quiet_libraries(debug: bool) -> None:
    """paramiko logs its transport thread's exceptions with tracebacks: shown only with --debug."""
    if not debug:
        quiet = logging.getLogger("paramiko")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False


def _exit_interrupted() -> None:
    """Exit 130 after Ctrl-C (143 after SIGTERM); a worker still blocked (a connect) does not hold the exit up."""
    for stopping in STOPPING_SIGNALS:
        signal.signal(stopping, signal.SIG_IGN)
    signum = _stopped_by[0] if _stopped_by else signal.SIGINT
    code = 128 + signum
    stderr.print("deployctl: interrupted" if signum == signal.SIGINT else "deployctl: terminated", markup=False)
    ends = time.monotonic() + STOP_GRACE
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join(max(0.0, ends - time.monotonic()))
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.current_thread()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; user errors print one line (`--debug` adds the traceback), bugs keep theirs."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("DEPLOYCTL_DEBUG") == "1"
    _quiet_libraries(debug)
    if threading.current_thread() is threading.main_thread():
        for stopping in STOPPING_SIGNALS:
            signal.signal(stopping, _on_stop_signal)
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
        _exit_interrupted()
    except SystemExit:
        if INTERRUPTION.requested:  # Typer turned the KeyboardInterrupt into exit 130: same ending
            _exit_interrupted()
        raise
