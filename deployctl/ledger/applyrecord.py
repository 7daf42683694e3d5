"""How an `apply` is recorded: a deployment of the playbook's release with the mutable strategy, per host."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from deployctl.ledger.recording import DeploymentRecord, recorded_deployment
from deployctl.ledger.records import HostOutcome
from deployctl.model.project import Project
from deployctl.strategies.results import HostRecap, RunResult


def recorded_apply(project: Project, playbook: Path, stage: str) -> AbstractContextManager[DeploymentRecord]:
    """Record an apply of `playbook` to `stage` (not used in check mode: a check changes nothing)."""
    return recorded_deployment(project, playbook, stage, "apply", "mutable")


def host_status(recap: HostRecap) -> str:
    """One word for a host's run: unreachable, failed, changed or ok."""
    if recap.unreachable:
        return "unreachable"
    if recap.failed:
        return "failed"
    return "changed" if recap.changed else "ok"


def apply_outcome(result: RunResult) -> str:
    """The deployment's outcome from the run's exit code."""
    return {0: "ok", 2: "failed", 3: "stopped"}.get(result.exit_code, "failed")


def host_outcomes(result: RunResult) -> Iterator[HostOutcome]:
    """Per host: its status and its recap counts."""
    for host, recap in result.recap.items():
        counts = {
            "ok": recap.ok,
            "changed": recap.changed,
            "failed": recap.failed,
            "skipped": recap.skipped,
            "unreachable": recap.unreachable,
            "ignored": recap.ignored,
        }
        yield HostOutcome(host, "vm", host_status(recap), counts)


def fill_apply_record(record: DeploymentRecord, result: RunResult) -> None:
    """Put a finished run's outcome and hosts into its deployment record."""
    record.outcome = apply_outcome(result)
    record.reason = result.stopped or ""
    record.hosts = list(host_outcomes(result))
