"""Releases and deployments in the ledger: typed rows in, typed rows out.

Every deployment is recorded when it starts (outcome `running`, with the process id and machine), and
finished with its outcome and per-host results; a process killed halfway leaves a `running` row that
`interrupted_deployments` finds.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable

from deployctl.ledger.db import actor, now_iso, row_values, transaction
from deployctl.model.records import DeploymentRow, HostOutcome, ReleaseImage, ReleaseRow


def _release(row: sqlite3.Row) -> ReleaseRow:
    return ReleaseRow(**row_values(row, ReleaseRow))


def _deployment(row: sqlite3.Row) -> DeploymentRow:
    values = row_values(row, DeploymentRow)
    values["forced"] = bool(values["forced"])
    return DeploymentRow(**values)


def save_release(connection: sqlite3.Connection, release: ReleaseRow) -> ReleaseRow:
    """Record a release unless one with the same content hash exists; return the recorded one."""
    with transaction(connection):
        found = connection.execute("SELECT * FROM releases WHERE content_hash = ?", (release.content_hash,)).fetchone()
        if found is not None:
            return _release(found)
        connection.execute(
            "INSERT INTO releases (id, content_hash, playbook, snapshot_dir, created_at, created_by, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                release.id,
                release.content_hash,
                release.playbook,
                release.snapshot_dir,
                release.created_at,
                release.created_by,
                release.note,
            ),
        )
    return release


def get_release(connection: sqlite3.Connection, wanted: str) -> ReleaseRow | None:
    """The release whose id or content hash is `wanted`, or starts with it (8 characters at least)."""
    row = connection.execute("SELECT * FROM releases WHERE id = ? OR content_hash = ?", (wanted, wanted)).fetchone()
    if row is None and len(wanted) >= 8:
        rows = connection.execute(
            "SELECT * FROM releases WHERE content_hash LIKE ? ESCAPE '\\'", (wanted.replace("%", "\\%") + "%",)
        ).fetchall()
        row = rows[0] if len(rows) == 1 else None
    return _release(row) if row is not None else None


def list_releases(connection: sqlite3.Connection) -> list[ReleaseRow]:
    """Every release, oldest first."""
    return [_release(r) for r in connection.execute("SELECT * FROM releases ORDER BY created_at, id")]


def save_release_image(connection: sqlite3.Connection, image: ReleaseImage) -> None:
    """Record (or replace) the image a release's play was baked into."""
    with transaction(connection):
        connection.execute(
            "INSERT OR REPLACE INTO release_images (release_id, play, image, image_id, context_hash, built_at, spec)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (image.release_id, image.play, image.image, image.image_id, image.context_hash, image.built_at, image.spec),
        )


def release_images(connection: sqlite3.Connection, release_id: str) -> list[ReleaseImage]:
    """The images of a release, by play."""
    rows = connection.execute("SELECT * FROM release_images WHERE release_id = ? ORDER BY play", (release_id,))
    return [ReleaseImage(**row_values(r, ReleaseImage)) for r in rows]


def begin_deployment(
    connection: sqlite3.Connection,
    stage: str,
    release_id: str | None,
    action: str,
    strategy: str,
    *,
    forced: bool = False,
    force_reason: str = "",
    source_stage: str = "",
    gates: str = "[]",
    outcome: str = "running",
) -> int:
    """Record that a deployment starts now (outcome `running`, or `refused` by a gate); return its id."""
    with transaction(connection):
        cursor = connection.execute(
            "INSERT INTO deployments (stage, release_id, action, strategy, started_at, outcome, forced, force_reason,"
            " by, pid, machine, source_stage, gates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                stage,
                release_id,
                action,
                strategy,
                now_iso(),
                outcome,
                int(forced),
                force_reason,
                actor(),
                os.getpid(),
                socket.gethostname(),
                source_stage,
                gates,
            ),
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finish_deployment(
    connection: sqlite3.Connection,
    deployment_id: int,
    outcome: str,
    hosts: Iterable[HostOutcome],
    *,
    reason: str = "",
    requests_sent: int | None = None,
    requests_failed: int | None = None,
) -> None:
    """Record how a deployment ended and how each host fared."""
    with transaction(connection):
        connection.execute(
            "UPDATE deployments SET ended_at = ?, outcome = ?, reason = ?, requests_sent = ?, requests_failed = ?"
            " WHERE id = ?",
            (now_iso(), outcome, reason, requests_sent, requests_failed, deployment_id),
        )
        connection.executemany(
            "INSERT OR REPLACE INTO deployment_hosts (deployment_id, host, kind, status, detail)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (deployment_id, h.host, h.kind, h.status, json.dumps(dict(h.detail), sort_keys=True, default=str))
                for h in hosts
            ],
        )


def set_deployment_release(connection: sqlite3.Connection, deployment_id: int, release_id: str | None) -> None:
    """Name the release a deployment turned out to deploy (a rollback learns it once it has returned)."""
    with transaction(connection):
        connection.execute("UPDATE deployments SET release_id = ? WHERE id = ?", (release_id, deployment_id))


def get_deployment(connection: sqlite3.Connection, deployment_id: int) -> DeploymentRow | None:
    """One deployment by id."""
    row = connection.execute("SELECT * FROM deployments WHERE id = ?", (deployment_id,)).fetchone()
    return _deployment(row) if row is not None else None


def deployments(connection: sqlite3.Connection, stage: str | None = None) -> list[DeploymentRow]:
    """Deployments in the order they started, of one stage or all."""
    if stage is None:
        rows = connection.execute("SELECT * FROM deployments ORDER BY id")
    else:
        rows = connection.execute("SELECT * FROM deployments WHERE stage = ? ORDER BY id", (stage,))
    return [_deployment(r) for r in rows]


def deployment_hosts(connection: sqlite3.Connection, deployment_id: int) -> list[HostOutcome]:
    """The per-host results of a deployment."""
    rows = connection.execute(
        "SELECT host, kind, status, detail FROM deployment_hosts WHERE deployment_id = ? ORDER BY host",
        (deployment_id,),
    )
    return [HostOutcome(r["host"], r["kind"], r["status"], json.loads(r["detail"])) for r in rows]


def last_deployed(connection: sqlite3.Connection, stage: str) -> dict[str, tuple[DeploymentRow, HostOutcome]]:
    """Per host of a stage: the newest finished deployment that reached it (not failed there), and its result."""
    rows = connection.execute(
        "SELECT d.id, h.host FROM deployments d JOIN deployment_hosts h ON h.deployment_id = d.id"
        " WHERE d.stage = ? AND d.outcome NOT IN ('running', 'interrupted')"
        " AND h.status NOT IN ('failed', 'unreachable') ORDER BY d.id",
        (stage,),
    ).fetchall()
    newest: dict[str, int] = {r["host"]: r["id"] for r in rows}
    found: dict[str, tuple[DeploymentRow, HostOutcome]] = {}
    for host, deployment_id in newest.items():
        deployment = get_deployment(connection, deployment_id)
        outcome = next(h for h in deployment_hosts(connection, deployment_id) if h.host == host)
        assert deployment is not None
        found[host] = (deployment, outcome)
    return found


def running_deployments(connection: sqlite3.Connection) -> list[DeploymentRow]:
    """Deployments recorded as running (in progress, or left by a process that was killed)."""
    return [_deployment(r) for r in connection.execute("SELECT * FROM deployments WHERE outcome = 'running'")]


def process_alive(pid: int, machine: str) -> bool:
    """True when `pid` runs on this machine (a process on another machine is assumed alive)."""
    if machine != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def mark_interrupted(connection: sqlite3.Connection) -> list[DeploymentRow]:
    """Mark `running` deployments whose process is gone as `interrupted`; return them."""
    dead = [d for d in running_deployments(connection) if not process_alive(d.pid, d.machine)]
    with transaction(connection):
        for deployment in dead:
            connection.execute(
                "UPDATE deployments SET outcome = 'interrupted', ended_at = ?,"
                " reason = 'the process running it stopped before it finished' WHERE id = ? AND outcome = 'running'",
                (now_iso(), deployment.id),
            )
    return dead
