"""Drift in the ledger: every scan (its hosts and items, ignored ones too) and the package baselines.

A package baseline is the full list of a VM's installed packages, recorded when a release is applied to it;
drift compares the host's packages now with it. Scans are kept so that `deployctl drift history` shows
drift over time per stage and strategy.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deployctl.ledger.db import actor, now_iso, transaction
from deployctl.model.records import StageDriftScan

if TYPE_CHECKING:  # not imported at run time: an apply reads baselines and needs no drift model
    from deployctl.drift.model import DriftItem, DriftReport


@dataclass(frozen=True)
class Baseline:
    """A VM's installed packages when a release was applied to it (the deployment and its release)."""

    stage: str
    host: str
    deployment_id: int | None
    release_id: str | None
    recorded_at: str
    packages: Mapping[str, str]


def baselines(connection: sqlite3.Connection, stage: str) -> dict[str, Baseline]:
    """The package baseline of every host of a stage that has one."""
    rows = connection.execute(
        "SELECT b.host, b.deployment_id, d.release_id, b.recorded_at, b.packages FROM package_baselines b"
        " LEFT JOIN deployments d ON d.id = b.deployment_id WHERE b.stage = ?",
        (stage,),
    )
    return {
        r["host"]: Baseline(
            stage, r["host"], r["deployment_id"], r["release_id"], r["recorded_at"], json.loads(r["packages"])
        )
        for r in rows
    }


def save_baseline(
    connection: sqlite3.Connection, stage: str, host: str, deployment_id: int | None, packages: Mapping[str, str]
) -> None:
    """Record (or replace) a host's package baseline."""
    with transaction(connection):
        connection.execute(
            "INSERT OR REPLACE INTO package_baselines (stage, host, deployment_id, recorded_at, packages)"
            " VALUES (?, ?, ?, ?, ?)",
            (stage, host, deployment_id, now_iso(), json.dumps(dict(sorted(packages.items())))),
        )


def _item_row(scan_id: int, item: DriftItem, ignored: bool) -> tuple[object, ...]:
    return (
        scan_id,
        item.stage,
        item.host,
        item.strategy,
        item.kind,
        item.resource,
        item.expected,
        item.actual,
        int(ignored),
    )


def save_scan(connection: sqlite3.Connection, report: DriftReport, started_at: str) -> int:
    """Record a finished scan with its hosts and items (ignored ones flagged); return its id."""
    hosts = report.hosts
    with transaction(connection):
        cursor = connection.execute(
            "INSERT INTO drift_scans (stages, started_at, ended_at, seconds, hosts_scanned, hosts_drifted, items,"
            " ignored, outcome, by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ",".join(report.stages),
                started_at,
                now_iso(),
                report.seconds,
                len(hosts),
                sum(1 for h in hosts if h.drifted),
                len(report.items),
                len(report.ignored),
                report.outcome,
                actor(),
            ),
        )
        scan_id = cursor.lastrowid
        assert scan_id is not None
        connection.executemany(
            "INSERT INTO drift_hosts (scan_id, stage, host, target, strategy, inventory_host, release_id, status,"
            " items, ignored, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    scan_id,
                    h.stage,
                    h.host,
                    h.target,
                    h.strategy,
                    h.inventory_host,
                    h.release,
                    h.status,
                    len(h.items),
                    len(h.ignored),
                    h.message,
                )
                for h in hosts
            ],
        )
        connection.executemany(
            "INSERT INTO drift_items (scan_id, stage, host, strategy, kind, resource, expected, actual, ignored)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_item_row(scan_id, i, False) for i in report.items]
            + [_item_row(scan_id, i, True) for i in report.ignored],
        )
    return scan_id


@dataclass(frozen=True)
class HistoryRow:
    """One scan's result for one stage and strategy."""

    scan_id: int
    started_at: str
    stage: str
    strategy: str
    hosts: int
    drifted: int
    failed: int
    items: int
    ignored: int


def scan_history(connection: sqlite3.Connection, stage: str | None = None, limit: int = 20) -> list[HistoryRow]:
    """The last `limit` scans (of one stage or all), oldest first, per stage and strategy."""
    rows = connection.execute(
        "SELECT s.id, s.started_at, h.stage, h.strategy, count(*) AS hosts,"
        " sum(h.status IN ('drifted', 'never_deployed')) AS drifted,"
        " sum(h.status IN ('unreachable', 'error')) AS failed, sum(h.items) AS items, sum(h.ignored) AS ignored"
        " FROM drift_hosts h JOIN drift_scans s ON s.id = h.scan_id"
        " WHERE (:stage IS NULL OR h.stage = :stage) AND h.scan_id IN (SELECT DISTINCT scan_id FROM drift_hosts"
        " WHERE :stage IS NULL OR stage = :stage ORDER BY scan_id DESC LIMIT :limit)"
        " GROUP BY s.id, h.stage, h.strategy ORDER BY s.id, h.stage, h.strategy",
        {"stage": stage, "limit": limit},
    )
    return [HistoryRow(*tuple(r)) for r in rows]


def latest_stage_scan(connection: sqlite3.Connection, stage: str) -> StageDriftScan | None:
    """The newest finished drift scan that covered `stage`, with the count of the stage's unignored items in it."""
    for row in connection.execute(
        "SELECT id, stages, started_at, outcome FROM drift_scans WHERE outcome != 'running' ORDER BY id DESC"
    ):
        if stage in str(row["stages"]).split(","):
            items = connection.execute(
                "SELECT count(*) FROM drift_items WHERE scan_id = ? AND stage = ? AND ignored = 0", (row["id"], stage)
            ).fetchone()[0]
            return StageDriftScan(int(row["id"]), str(row["started_at"]), str(row["outcome"]), int(items))
    return None
