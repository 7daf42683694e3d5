"""Entry point: the one place user errors become one line; the root command (cli/root.py) is imported only when a
command line needs it (`--version` alone does not)."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
import traceback
from types import FrameType

from deployctl import __version__
from deployctl.cli.render import stderr
from deployctl.errors import DeployctlError
from deployctl.transport.interrupt import INTERRUPTION

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
        import logging

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
    if args == ["--version"]:  # what the root's --version prints, without loading the CLI framework
        print(f"deployctl {__version__}", flush=True)
        sys.exit(0)
    # Start-up allocates much and frees almost nothing: no cyclic collection while the CLI framework and the
    # command's modules are imported; load_command then freezes what they made and collects again before the
    # command runs (commands.resume_collection). Frozen objects are never scanned again, not even by the
    # interpreter's last collection at exit. A caller in the same process (`argv` given) gets its collector back.
    collecting, frozen = gc.isenabled(), gc.get_freeze_count()
    gc.disable()
    try:
        _run(args)
    finally:
        if argv is not None and not frozen:
            gc.unfreeze()
        if collecting:
            gc.enable()
        else:
            gc.disable()


def _run(args: list[str]) -> None:
    """Parse `args`, run the command, and end as main's docstring says."""
    from deployctl.cli.root import app

    debug = "--debug" in args or os.environ.get("DEPLOYCTL_DEBUG") == "1"
    _quiet_libraries(debug)
    if threading.current_thread() is threading.main_thread():
        for stopping in STOPPING_SIGNALS:
            signal.signal(stopping, _on_stop_signal)
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
