"""Status per stage and history, from ledger rows only."""

from __future__ import annotations

from dataclasses import replace

from deployctl.model.records import DeploymentRow, StageDriftScan, VerificationRow
from deployctl.pipeline.gates import Gate, decide
from deployctl.pipeline.plan import PlannedImage, PromotionPlan, plan_lines
from deployctl.pipeline.status import history_events, summarize_stage


def row(id_: int, outcome: str = "ok", action: str = "deploy", **changes: object) -> DeploymentRow:
    base = DeploymentRow(
        id_, "qa", "r1", action, "both", f"2026-01-01T00:0{id_}", f"2026-01-01T00:0{id_}:30", outcome, "", None,
        None, False, "", "me@here", 100 + id_, "here",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_stage_shows_its_current_release_verification_and_drift() -> None:
    rows = [row(1, release_id="r0"), row(2, action="promote", source_stage="dev"), row(3, "failed", release_id="r9")]
    checks = [VerificationRow(1, "qa", "r1", "2026-01-01T00:05", "x", "passed", "me", deployment_id=2)]
    scan = StageDriftScan(7, "2026-01-01T00:06", "drift", 2)
    summary = summarize_stage("qa", rows, checks, scan, {})
    assert (summary.release_id, summary.action, summary.deployment_id) == ("r1", "promote", 2)
    assert summary.verified == "passed (#1)"
    assert summary.drift == "drift (2 items) (scan #7)"
    assert summary.in_progress is None


def test_an_old_scan_an_unverified_release_and_a_killed_deployment_show_as_such() -> None:
    rows = [row(1), row(2, "running")]
    scan = StageDriftScan(3, "2026-01-01T00:00", "clean", 0)
    summary = summarize_stage("qa", rows, [], scan, {2: False})
    assert summary.verified == "not verified"
    assert summary.drift == "clean (scan #3, before the deployment)"
    assert summary.in_progress is not None and "interrupted (its process is gone), pid 102" in summary.in_progress
    empty = summarize_stage("prod", [], [], None, {})
    assert (empty.release_id, empty.verified, empty.drift) == (None, "-", "not scanned")


def test_history_interleaves_deployments_and_verifications_in_time_order() -> None:
    rows = [
        row(1),
        row(2, "refused", action="promote", source_stage="dev"),
        row(3, action="rollback", forced=True, force_reason="why"),
    ]
    checks = [
        VerificationRow(9, "qa", "r1", "2026-01-01T00:01:45", "x", "failed", "me", reason="boom", deployment_id=1)
    ]
    events = history_events(rows, checks)
    assert [e.event for e in events] == ["deploy #1", "verify #9", "promote #2", "rollback #3"]
    assert events[2].detail.startswith("from dev") and events[2].outcome == "refused"
    assert "forced: why" in events[3].detail
    assert history_events(rows, checks, "prod") == []


def test_a_plan_names_its_gates_images_and_hosts() -> None:
    gates = (Gate("release", True, "qa runs r1"), Gate("drift", False, "qa has drift"))
    plan = PromotionPlan(
        "uat", "qa", "r1", "ab" * 32, (PlannedImage("web", "deployctl/webapp:1", "sha256:9"),), ("uat-vm1",),
        ("uat-web",), gates, decide(gates, force=False, force_reason=""),
    )  # fmt: skip
    text = "\n".join(plan_lines(plan))
    assert "gate drift: FAILED: qa has drift" in text
    assert "deployctl/webapp:1 (sha256:9)" in text
    assert "VMs (mutable): uat-vm1" in text
    assert "would be refused: drift" in text
