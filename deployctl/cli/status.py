"""`deployctl status`: per stage, what runs, since when, by which strategy, verified or not, drift or not.

Reads the ledger only: fast, and no host is contacted.
"""

from __future__ import annotations

import socket
import sqlite3
from dataclasses import asdict
from typing import TYPE_CHECKING

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import FormatOption
from deployctl.cli.render import OutputFormat, print_json, print_table
from deployctl.pipeline.status import DriftScanFacts, StageSummary, summarize_stage

if TYPE_CHECKING:
    from deployctl.ledger.locks import StageLock


def lock_word(lock: StageLock | None) -> str:
    """Who holds a stage's lock, from where, and whether it can be taken over: `-` when none."""
    from deployctl.ledger.records import process_alive

    if lock is None:
        return "-"
    if lock.machine != socket.gethostname():
        return f"{lock.describe()} (another machine: `deployctl lock break` if it is gone)"
    if not process_alive(lock.pid, lock.machine):
        return f"{lock.describe()} (process gone: the next command takes it over)"
    return lock.describe()


def latest_drift_scan(connection: sqlite3.Connection, stage: str) -> DriftScanFacts | None:
    """The newest finished drift scan that covered `stage`, with the stage's unignored drift items in it."""
    for row in connection.execute(
        "SELECT id, stages, started_at, outcome FROM drift_scans WHERE outcome != 'running' ORDER BY id DESC"
    ):
        if stage in str(row["stages"]).split(","):
            items = connection.execute(
                "SELECT count(*) FROM drift_items WHERE scan_id = ? AND stage = ? AND ignored = 0", (row["id"], stage)
            ).fetchone()[0]
            return DriftScanFacts(int(row["id"]), str(row["started_at"]), str(row["outcome"]), int(items))
    return None


def stage_summaries(connection: sqlite3.Connection, stages: tuple[str, ...]) -> list[StageSummary]:
    """Every stage's summary, in pipeline order, from the ledger."""
    from deployctl.ledger.records import deployments, process_alive
    from deployctl.ledger.verifications import verifications

    summaries = []
    for stage in stages:
        rows = deployments(connection, stage)
        alive = {row.id: process_alive(row.pid, row.machine) for row in rows if row.outcome == "running"}
        summaries.append(
            summarize_stage(stage, rows, verifications(connection, stage), latest_drift_scan(connection, stage), alive)
        )
    return summaries


def status(ctx: typer.Context, output: FormatOption = OutputFormat.table) -> None:
    """Per stage (pipeline order): the current release, when, by which strategy, verified or not, drift or not."""
    from deployctl.ledger.db import open_ledger
    from deployctl.ledger.locks import all_locks

    project = cli_context(ctx).project()
    connection = open_ledger(project.ledger)
    try:
        summaries = stage_summaries(connection, project.stages)
        locks = {lock.stage: lock for lock in all_locks(connection)}
    finally:
        connection.close()
    if output is OutputFormat.json:
        print_json(
            [
                {
                    **asdict(s),
                    "lock": locks[s.stage].describe() if s.stage in locks else None,
                    "lock_holder": asdict(locks[s.stage]) if s.stage in locks else None,
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
