"""The history use cases: what happened to the stages, and drift over time (ledger only: no host contacted)."""

from __future__ import annotations

from contextlib import closing

from deployctl.ledger.db import open_ledger
from deployctl.ledger.drift import HistoryRow, scan_history
from deployctl.ledger.records import deployments
from deployctl.ledger.verifications import verifications
from deployctl.model.project import Project
from deployctl.pipeline.status import HistoryEvent, history_events


def stage_history(project: Project, stage: str | None) -> list[HistoryEvent]:
    """Deployments, promotions, rollbacks, lock breaks and verifications of one stage (or all), oldest first."""
    name = project.require_stage(stage) if stage is not None else None
    with closing(open_ledger(project.ledger)) as connection:
        return history_events(deployments(connection, name), verifications(connection, name), name)


def drift_history(project: Project, stage: str | None, limit: int) -> list[HistoryRow]:
    """The last `limit` drift scans of one stage (or all): per scan and strategy, hosts scanned, drifted, failed."""
    name = project.require_stage(stage) if stage is not None else None
    with closing(open_ledger(project.ledger)) as connection:
        return scan_history(connection, name, limit)
