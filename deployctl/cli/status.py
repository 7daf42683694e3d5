"""`deployctl status`: per stage, what runs, since when, by which strategy, verified or not, drift or not.

Reads the ledger only: fast, and no host is contacted.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import FormatOption
from deployctl.cli.render import OutputFormat, print_json, print_table

if TYPE_CHECKING:
    from deployctl.operations.status import HeldLock


def lock_word(held: HeldLock | None) -> str:
    """Who holds a stage's lock, from where, and whether it can be taken over: `-` when none."""
    if held is None:
        return "-"
    if held.from_another_machine:
        return f"{held.lock.describe()} (another machine: `deployctl lock break` if it is gone)"
    if held.holder_gone:
        return f"{held.lock.describe()} (process gone: the next command takes it over)"
    return held.lock.describe()


def status(ctx: typer.Context, output: FormatOption = OutputFormat.table) -> None:
    """Per stage (pipeline order): the current release, when, by which strategy, verified or not, drift or not."""
    from deployctl.operations.status import pipeline_status

    found = pipeline_status(cli_context(ctx).project())
    summaries, locks = found.summaries, found.locks
    if output is OutputFormat.json:
        print_json(
            [
                {
                    **asdict(s),
                    "lock": locks[s.stage].lock.describe() if s.stage in locks else None,
                    "lock_holder": asdict(locks[s.stage].lock) if s.stage in locks else None,
                }
                for s in summaries
            ]
        )
        return
    rows = [
        [
            s.stage,
            s.release_id or "-",
            s.deployed_at or "-",
            f"{s.action} ({s.strategy})" if s.action else "-",
            s.verified,
            s.drift,
            s.in_progress or "-",
            lock_word(locks.get(s.stage)),
        ]
        for s in summaries
    ]
    columns = ["STAGE", "RELEASE", "DEPLOYED", "BY", "VERIFIED", "DRIFT", "IN PROGRESS", "LOCKED BY"]
    print_table("stages", columns, rows)
