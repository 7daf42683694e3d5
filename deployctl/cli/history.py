"""`deployctl history [--stage S]`: deployments, promotions, rollbacks and verifications in order (ledger only)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import FormatOption
from deployctl.cli.render import OutputFormat, print_json, print_table


def history(
    ctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", "-s", help="Only this stage.")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Everything that happened to the stages, oldest first: apply, deploy, promote (and refusals), rollback, verify."""
    from deployctl.operations.history import stage_history

    events = stage_history(cli_context(ctx).project(), stage)
    if output is OutputFormat.json:
        print_json([asdict(e) for e in events])
        return
    print_table(
        "history",
        ["AT", "STAGE", "EVENT", "RELEASE", "OUTCOME", "BY", "DETAIL"],
        [[e.at, e.stage, e.event, e.release_id or "-", e.outcome, e.by, e.detail] for e in events],
    )
