"""`deployctl lock break --stage S --reason TEXT`: remove a stage lock whose holder is gone (recorded in history)."""

from __future__ import annotations

from typing import Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, print_json, say
from deployctl.errors import DeployctlError

app = typer.Typer(help="Stage locks: break one whose holder is gone.", no_args_is_help=True)


class LockUsageError(DeployctlError):
    """An option a lock command needs is missing."""

    exit_code = 4


@app.command("break")
def break_stage_lock(
    ctx: typer.Context,
    stage: Annotated[str, typer.Option("--stage", "-s", help="The stage whose lock to break.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is safe to break it (recorded).")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """Remove the lock on STAGE (held from another machine, or by a process that is gone), with a reason.

    What its holder left running on the stage is marked interrupted; the break is recorded as a
    `lock-break` event in `deployctl history`. Exit codes: 0 broken, 1 no lock to break, 4 invalid input
    (no --reason, unknown stage), 5 the holder still runs on this machine (stop it instead).
    """
    from deployctl.operations.locks import break_stage_lock as break_operation

    if reason is None or not reason.strip():
        raise LockUsageError("lock break needs --reason TEXT: the reason is recorded in the stage's history")
    broken = break_operation(cli_context(ctx).project(), stage, reason)
    holder = broken.holder.describe()
    if output is OutputFormat.json:
        print_json({"stage": broken.stage, "broken": holder, "event_id": broken.event_id, "reason": broken.reason})
    else:
        say(f"stage {broken.stage}: lock of {holder} broken (lock-break #{broken.event_id} in history)")
