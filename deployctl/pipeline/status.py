"""`status` and `history` from ledger rows only: per stage what runs, verified or not, drift or not; events in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deployctl.model.records import DeploymentRow, StageDriftScan, VerificationRow
from deployctl.pipeline.gates import current_deployment, verification_of


@dataclass(frozen=True)
class StageSummary:
    """One stage at a glance."""

    stage: str
    release_id: str | None
    deployed_at: str | None
    action: str | None
    strategy: str | None
    deployment_id: int | None
    verified: str
    drift: str
    in_progress: str | None


def verified_word(deployment: DeploymentRow | None, rows: Sequence[VerificationRow]) -> str:
    """passed / failed (#id), or not verified."""
    if deployment is None:
        return "-"
    found = verification_of(deployment, rows)
    return f"{found.outcome} (#{found.id})" if found is not None else "not verified"


def drift_word(deployment: DeploymentRow | None, scan: StageDriftScan | None) -> str:
    """clean / drift (N items) / error, from the newest scan; `stale` when it predates the deployment."""
    if scan is None:
        return "not scanned"
    word = {"clean": "clean", "drift": f"drift ({scan.items} items)"}.get(scan.outcome, scan.outcome)
    if scan.outcome == "drift" and scan.items == 0:
        word = "clean"  # the scan covered several stages and this one had nothing
    stale = deployment is not None and deployment.ended_at is not None and scan.started_at < deployment.ended_at
    return f"{word} (scan #{scan.scan_id}{', before the deployment' if stale else ''})"


def in_progress_word(rows: Sequence[DeploymentRow], alive: dict[int, bool]) -> str | None:
    """The deployment running now, or one a killed process left (`alive` by deployment id)."""
    running = [row for row in rows if row.outcome == "running"]
    if not running:
        return None
    row = running[-1]
    state = "running" if alive.get(row.id, True) else "interrupted (its process is gone)"
    return f"{row.action} #{row.id} {state}, pid {row.pid}, since {row.started_at}"


def summarize_stage(
    stage: str,
    deployments: Sequence[DeploymentRow],
    verifications: Sequence[VerificationRow],
    scan: StageDriftScan | None,
    alive: dict[int, bool],
) -> StageSummary:
    """The stage's current release, when and how it was deployed, verified or not, drift or not."""
    current = current_deployment(deployments)
    return StageSummary(
        stage=stage,
        release_id=current.release_id if current else None,
        deployed_at=current.ended_at if current else None,
        action=current.action if current else None,
        strategy=current.strategy if current else None,
        deployment_id=current.id if current else None,
        verified=verified_word(current, verifications),
        drift=drift_word(current, scan),
        in_progress=in_progress_word(deployments, alive),
    )


@dataclass(frozen=True)
class HistoryEvent:
    """One line of history: a deployment (apply, deploy, promote, rollback, refused promotion) or a verification."""

    at: str
    stage: str
    event: str
    release_id: str | None
    outcome: str
    by: str
    detail: str


def _deployment_event(row: DeploymentRow) -> HistoryEvent:
    detail = []
    if row.source_stage:
        detail.append(f"from {row.source_stage}")
    detail.append(f"strategy {row.strategy}")
    if row.forced:
        detail.append(f"forced: {row.force_reason}")
    if row.requests_sent is not None:
        detail.append(f"{row.requests_failed or 0}/{row.requests_sent} requests failed")
    if row.reason:
        detail.append(row.reason)
    return HistoryEvent(
        row.started_at, row.stage, f"{row.action} #{row.id}", row.release_id, row.outcome, row.by, "; ".join(detail)
    )


def _verification_event(row: VerificationRow) -> HistoryEvent:
    detail = f"deployment #{row.deployment_id}" if row.deployment_id is not None else "no deployment recorded"
    if row.seconds is not None:
        detail += f", {row.seconds:.1f} s"
    if row.reason:
        detail += f"; {row.reason}"
    return HistoryEvent(row.started_at, row.stage, f"verify #{row.id}", row.release_id, row.outcome, row.by, detail)


def history_events(
    deployments: Sequence[DeploymentRow], verifications: Sequence[VerificationRow], stage: str | None = None
) -> list[HistoryEvent]:
    """Deployments, promotions, rollbacks and verifications in the order they started (of one stage or all)."""
    events = [_deployment_event(row) for row in deployments] + [_verification_event(row) for row in verifications]
    return sorted((e for e in events if stage is None or e.stage == stage), key=lambda e: e.at)
