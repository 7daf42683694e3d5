"""Promote's gates, the drift gate run in-process: a drifted source stage blocks the promotion unless forced."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from contextlib import closing
from typing import Any

import pytest

from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import deployments
from deployctl.ledger.verifications import begin_verification, finish_verification
from deployctl.operations.context import stage_contexts
from deployctl.operations.promote import PromotionRequest, plan_promotion, promote
from deployctl.operations.verify import StageVerification
from deployctl.pipeline.gates import current_deployment
from tests.unit.operations.conftest import LocalProject, apply_stage, local_transport


@pytest.fixture
def no_deployctl_subprocess(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every command run through subprocess.run; running deployctl itself (`-m deployctl`) fails the test."""
    ran: list[list[str]] = []
    real = subprocess.run

    def spy(args: Sequence[str], *rest: Any, **kwargs: Any) -> Any:
        words = [str(word) for word in args]
        ran.append(words)
        assert "deployctl" not in words, f"a deployctl subprocess: {words}"
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    return ran


def verified_dev(local: LocalProject) -> None:
    """dev runs a release, verified after its deployment."""
    apply_stage(local, "dev")
    with closing(open_ledger(local.project.ledger)) as connection:
        current = current_deployment(deployments(connection, "dev"))
        assert current is not None
        verification = begin_verification(connection, "dev", current.release_id, current.id)
        finish_verification(connection, verification, "passed", [], seconds=1.0)


def never(*_args: object) -> Any:
    raise AssertionError("a promotion refused or planned needs no Docker engine")


def test_a_clean_verified_source_passes_every_gate(
    local_project: LocalProject, no_deployctl_subprocess: list[list[str]]
) -> None:
    verified_dev(local_project)
    project = local_project.project
    with closing(open_ledger(project.ledger)) as connection:
        checked = plan_promotion(
            project, connection, stage_contexts(project), PromotionRequest("qa"), transport_factory=local_transport
        )
    assert [(g.gate, g.passed) for g in checked.plan.gates] == [("release", True), ("verified", True), ("drift", True)]
    assert checked.plan.gates[2].reason == "no drift in dev"
    assert checked.plan.decision.proceed and not checked.plan.decision.forced
    assert checked.plan.vm_hosts == ("qa-local1",)
    assert no_deployctl_subprocess  # the scan ran commands on the host, in this process


def test_a_drifted_source_refuses_the_promotion_and_records_the_refusal(
    local_project: LocalProject, no_deployctl_subprocess: list[list[str]]
) -> None:
    verified_dev(local_project)
    config = local_project.config("dev")
    config.write_text(config.read_text() + "# changed by hand\n")
    project = local_project.project

    done = promote(project, PromotionRequest("qa"), never, transport_factory=local_transport)

    assert done.refused and done.deployed is None
    [drift] = [g for g in done.plan.gates if not g.passed]
    assert (drift.gate, drift.reason) == ("drift", "dev has drift (1 hosts drifted, 1 items)")
    assert "gate 'drift' failed: dev has drift" in done.plan.decision.refusal("qa", "dev")
    with closing(open_ledger(project.ledger)) as connection:
        rows = deployments(connection, "qa")
    assert [(d.action, d.outcome, d.source_stage) for d in rows] == [("promote", "refused", "dev")]
    assert not local_project.config("qa").exists()


def test_force_with_a_reason_passes_the_drift_gate(
    local_project: LocalProject, no_deployctl_subprocess: list[list[str]]
) -> None:
    verified_dev(local_project)
    config = local_project.config("dev")
    config.write_text(config.read_text() + "# changed by hand\n")

    done = promote(
        local_project.project,
        PromotionRequest("qa", force=True, reason="hotfix", dry_run=True),
        never,
        transport_factory=local_transport,
    )

    decision = done.plan.decision
    assert (decision.proceed, decision.forced, decision.force_reason) == (True, True, "hotfix")
    assert [g.gate for g in decision.failed] == ["drift"]
    assert done.deployed is None  # a dry run deploys nothing


def test_a_promotion_past_its_gates_deploys_the_source_release_and_records_where_it_came_from(
    local_project: LocalProject, monkeypatch: pytest.MonkeyPatch, no_deployctl_subprocess: list[list[str]]
) -> None:
    verified_dev(local_project)
    project = local_project.project
    verified: list[str] = []

    def verify(_connection: object, _project: object, stage: str, _client: object, _say: object) -> StageVerification:
        verified.append(stage)
        return StageVerification(1, stage, None, None, (), 0.0)

    monkeypatch.setattr("deployctl.operations.promote.verify_running_release", verify)

    done = promote(project, PromotionRequest("qa"), never, transport_factory=local_transport)

    assert done.deployed is not None and done.deployed.done.ok
    assert verified == ["qa"]
    assert "stage = qa" in local_project.config("qa").read_text()
    with closing(open_ledger(project.ledger)) as connection:
        [row] = deployments(connection, "qa")
        source = current_deployment(deployments(connection, "dev"))
    assert source is not None
    assert (row.action, row.outcome, row.source_stage, row.release_id) == ("promote", "ok", "dev", source.release_id)
    assert [g["gate"] for g in json.loads(row.gates)] == ["release", "verified", "drift"]
