"""Promotion gates: may the release current in the previous stage go to the next one? Data in, decisions out.

Gates, in order: `release` (the previous stage has a successful deployment of a release), `verified` (that
deployment was verified afterwards and passed), `drift` (the previous stage shows no drift now).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from deployctl.model.records import DeploymentRow, VerificationRow
from deployctl.pipeline.drift import DriftCheck

GATE_NAMES = ("release", "verified", "drift")


@dataclass(frozen=True)
class Gate:
    """One gate's verdict and why."""

    gate: str
    passed: bool
    reason: str


@dataclass(frozen=True)
class Decision:
    """Whether to promote: the gates that failed, and whether `--force` overrides them (with its reason)."""

    proceed: bool
    failed: tuple[Gate, ...]
    forced: bool
    force_reason: str

    def refusal(self, stage: str, source: str) -> str:
        """One line naming each failed gate and why."""
        reasons = "; ".join(f"gate {g.gate!r} failed: {g.reason}" for g in self.failed)
        return f"promotion of {source} to {stage} refused: {reasons} (override with --force --reason TEXT)"


def current_deployment(rows: Sequence[DeploymentRow]) -> DeploymentRow | None:
    """The deployment a stage runs now: its newest successful one that names a release."""
    done = [row for row in rows if row.outcome == "ok" and row.release_id is not None]
    return max(done, key=lambda row: row.id, default=None)


def verification_of(deployment: DeploymentRow, rows: Sequence[VerificationRow]) -> VerificationRow | None:
    """The newest finished verification of `deployment` (a running or interrupted one does not count)."""
    done = [row for row in rows if row.deployment_id == deployment.id and row.outcome in ("passed", "failed")]
    return max(done, key=lambda row: row.id, default=None)


def release_gate(source: str, deployment: DeploymentRow | None) -> Gate:
    """The previous stage runs a release, deployed successfully."""
    if deployment is None:
        return Gate("release", False, f"{source} has no successful deployment of a release to promote")
    return Gate(
        "release",
        True,
        f"{source} runs release {deployment.release_id} (deployment #{deployment.id}, {deployment.ended_at})",
    )


def verified_gate(source: str, deployment: DeploymentRow | None, verification: VerificationRow | None) -> Gate:
    """The previous stage's deployment was verified after it was made, and the verification passed."""
    if deployment is None:
        return Gate("verified", False, f"nothing deployed in {source}, so nothing verified")
    if verification is None:
        return Gate(
            "verified",
            False,
            f"release {deployment.release_id} was not verified in {source} since deployment #{deployment.id}: "
            f"run `deployctl verify --stage {source}`",
        )
    if verification.outcome != "passed":
        why = f": {verification.reason}" if verification.reason else ""
        return Gate("verified", False, f"verification #{verification.id} of {source} failed{why}")
    return Gate("verified", True, f"verification #{verification.id} of {source} passed ({verification.ended_at})")


def drift_gate(check: DriftCheck) -> Gate:
    """The previous stage shows no drift now."""
    return Gate("drift", check.state == "clean", check.summary)


def evaluate_gates(
    source: str,
    deployment: DeploymentRow | None,
    verification: VerificationRow | None,
    drift: DriftCheck,
) -> tuple[Gate, ...]:
    """Every gate of a promotion from `source`, in order."""
    return (release_gate(source, deployment), verified_gate(source, deployment, verification), drift_gate(drift))


def decide(gates: Sequence[Gate], force: bool, force_reason: str) -> Decision:
    """Proceed when every gate passed, or when forced; a release gate that failed cannot be forced (nothing to send)."""
    failed = tuple(g for g in gates if not g.passed)
    nothing = any(g.gate == "release" for g in failed)
    proceed = not failed or (force and not nothing)
    return Decision(proceed, failed, bool(failed) and force and proceed, force_reason if force else "")


def gates_json(gates: Sequence[Gate]) -> str:
    """The gates as the ledger keeps them: a JSON list of {gate, passed, reason}."""
    return json.dumps([asdict(g) for g in gates])


def gates_from_json(text: str) -> list[Gate]:
    """The gates a deployment row recorded."""
    return [Gate(str(g["gate"]), bool(g["passed"]), str(g["reason"])) for g in json.loads(text or "[]")]
