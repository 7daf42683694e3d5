"""Promotion gates and decisions: ledger rows and a drift verdict in, gate verdicts and a decision out."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from deployctl.errors import DeployctlError
from deployctl.model.records import DeploymentRow, VerificationRow
from deployctl.pipeline.drift import DriftCheck
from deployctl.pipeline.gates import (
    current_deployment,
    decide,
    evaluate_gates,
    gates_from_json,
    gates_json,
    verification_of,
)
from deployctl.pipeline.stages import previous_stage

STAGES = ("dev", "qa", "uat", "prod")


def deployment(id_: int, outcome: str = "ok", release: str | None = "r1") -> DeploymentRow:
    return DeploymentRow(
        id_, "qa", release, "deploy", "both", f"2026-01-0{id_}T00", f"2026-01-0{id_}T01", outcome, "", None, None,
        False, "", "me@here", 1, "here",
    )  # fmt: skip


def verification(id_: int, deployment_id: int | None, outcome: str = "passed", reason: str = "") -> VerificationRow:
    return VerificationRow(id_, "qa", "r1", "t", "t2", outcome, "me", reason=reason, deployment_id=deployment_id)


CLEAN = DriftCheck("qa", "clean", "no drift in qa")
DRIFT = DriftCheck("qa", "drift", "qa has drift (1 hosts drifted, 2 items)")


@pytest.mark.parametrize(
    ("stage", "expected"), [("qa", "dev"), ("uat", "qa"), ("prod", "uat")]
)  # fmt: skip
def test_the_previous_stage_comes_from_the_configured_order(stage: str, expected: str) -> None:
    assert previous_stage(STAGES, stage) == expected
    assert previous_stage(("a", "b"), "b") == "a"


def test_the_first_stage_and_unknown_stages_have_no_previous_one() -> None:
    with pytest.raises(DeployctlError, match="first stage"):
        previous_stage(STAGES, "dev")
    with pytest.raises(DeployctlError, match="unknown stage 'staging'"):
        previous_stage(STAGES, "staging")


def test_the_current_deployment_is_the_newest_successful_one_with_a_release() -> None:
    rows = [deployment(1), deployment(2, "failed"), deployment(3, "ok", None), deployment(4, "running")]
    found = current_deployment(rows)
    assert found is not None and found.id == 1
    assert current_deployment([deployment(1, "refused")]) is None


def test_only_a_finished_verification_of_that_deployment_counts() -> None:
    current = deployment(2)
    rows = [verification(1, 1), verification(2, 2, "failed"), verification(3, 2), verification(4, 2, "interrupted")]
    found = verification_of(current, rows)
    assert found is not None and found.id == 3
    assert verification_of(current, [verification(1, 1)]) is None


def test_every_gate_passes_for_a_verified_release_without_drift() -> None:
    gates = evaluate_gates("qa", deployment(2), verification(3, 2), CLEAN)
    assert [(g.gate, g.passed) for g in gates] == [("release", True), ("verified", True), ("drift", True)]
    assert decide(gates, force=False, force_reason="").proceed


@pytest.mark.parametrize(
    ("current", "checked", "drift", "failed", "words"),
    [
        (deployment(2), verification(3, 2), DRIFT, ["drift"], "qa has drift"),
        (deployment(2), None, CLEAN, ["verified"], "not verified in qa since deployment #2"),
        (deployment(2), verification(3, 2, "failed", "2 checks failed on qa-vm2"), CLEAN, ["verified"], "qa-vm2"),
        (None, None, CLEAN, ["release", "verified"], "qa has no successful deployment"),
        (deployment(2), None, DriftCheck("qa", "error", "exit 1: boom"), ["verified", "drift"], "exit 1: boom"),
    ],
)
def test_a_failed_gate_refuses_and_is_named(
    current: DeploymentRow | None, checked: VerificationRow | None, drift: DriftCheck, failed: list[str], words: str
) -> None:
    decision = decide(evaluate_gates("qa", current, checked, drift), force=False, force_reason="")
    assert not decision.proceed
    assert [g.gate for g in decision.failed] == failed
    message = decision.refusal("uat", "qa")
    assert f"gate {failed[0]!r} failed" in message
    assert words in message


def test_force_overrides_gates_with_its_reason_but_not_a_missing_release() -> None:
    gates = evaluate_gates("qa", deployment(2), None, DRIFT)
    forced = decide(gates, force=True, force_reason="hotfix, drift is a known log file")
    assert forced.proceed and forced.forced
    assert forced.force_reason == "hotfix, drift is a known log file"
    nothing = decide(evaluate_gates("qa", None, None, CLEAN), force=True, force_reason="x")
    assert not nothing.proceed
    unforced = decide(evaluate_gates("qa", deployment(2), verification(3, 2), CLEAN), force=True, force_reason="x")
    assert unforced.proceed and not unforced.forced


def test_gates_round_trip_through_the_ledger_s_json() -> None:
    gates = evaluate_gates("qa", replace(deployment(2), release_id="abc"), None, DRIFT)
    text = gates_json(gates)
    assert [g["gate"] for g in json.loads(text)] == ["release", "verified", "drift"]
    assert tuple(gates_from_json(text)) == gates
