"""The `promote` use case: the release current and verified in the previous stage, past its gates, to a stage.

The project's inventories are read once; the gates are pipeline/'s rules on the ledger's rows, the drift gate
a drift scan of the previous stage run here, in-process. Then exactly that release (same content hash, same
image digests) is deployed through operations/deploy.py and the stage verified, all recorded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from contextlib import ExitStack, closing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deployctl.errors import DeployctlError
from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import stage_lock
from deployctl.ledger.records import begin_deployment, deployments, get_release, release_images
from deployctl.ledger.verifications import verifications
from deployctl.model.project import Project
from deployctl.operations.context import StageContext, stage_context, stage_contexts
from deployctl.operations.deploy import DeployOptions, PromotionOrigin, StageDeployment, deploy_release
from deployctl.operations.drift import TransportFactory, drift_rules, scan_drift
from deployctl.operations.targets import StageTargets, check_vm_input, stage_targets
from deployctl.operations.verify import StageVerification, verify_running_release
from deployctl.pipeline.drift import DriftCheck, drift_verdict, scan_failed
from deployctl.pipeline.gates import current_deployment, decide, evaluate_gates, gates_json, verification_of
from deployctl.pipeline.plan import PlannedImage, PromotionPlan
from deployctl.pipeline.stages import previous_stage
from deployctl.release.images import LoadedRelease, load_release
from deployctl.transport.ssh import SshTransport

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi

Say = Callable[[str], None]


@dataclass(frozen=True)
class PromotionRequest:
    """What to promote: the stage, whether to force past failed gates (and why), dry run, replicas at once."""

    stage: str
    force: bool = False
    reason: str = ""
    dry_run: bool = False
    parallelism: int = 1


@dataclass(frozen=True)
class ChosenRelease:
    """The release a promotion sends, loaded from its snapshot, and the stage's hosts it reaches."""

    loaded: LoadedRelease
    targets: StageTargets


@dataclass(frozen=True)
class CheckedPromotion:
    """A promotion's plan (gates and decision) and the release it sends (None when the source runs none)."""

    plan: PromotionPlan
    chosen: ChosenRelease | None


@dataclass(frozen=True)
class PromotionDeployment:
    """What a promotion that proceeded did: its deployment and, when that succeeded, the stage's verification."""

    done: StageDeployment
    verification: StageVerification | None


@dataclass(frozen=True)
class Promotion:
    """A promotion's result: its plan, and its deployment (None for a dry run or a refusal)."""

    plan: PromotionPlan
    deployed: PromotionDeployment | None = None

    @property
    def refused(self) -> bool:
        """True when a gate failed and nothing was (or, in a dry run, would be) deployed."""
        return not self.plan.decision.proceed


def source_drift(
    project: Project,
    connection: sqlite3.Connection,
    context: StageContext,
    transport_factory: TransportFactory = SshTransport,
) -> DriftCheck:
    """The drift gate's verdict on the source stage: a drift scan run here, recorded like any other."""
    try:
        report = scan_drift(
            project,
            connection,
            {context.name: context},
            drift_rules(project, None),
            transport_factory=transport_factory,
        )
    except DeployctlError as error:
        return scan_failed(context.name, str(error))
    failures = [f"{h.stage}/{h.host}: {h.message}" for h in report.hosts if h.failed]
    return drift_verdict(
        context.name, report.outcome, sum(1 for h in report.hosts if h.drifted), len(report.items), failures
    )


def plan_promotion(
    project: Project,
    connection: sqlite3.Connection,
    contexts: Mapping[str, StageContext],
    request: PromotionRequest,
    say: Say = lambda line: None,
    transport_factory: TransportFactory = SshTransport,
) -> CheckedPromotion:
    """Evaluate the gates of promoting the previous stage's current release to the stage, and plan it."""
    source = previous_stage(project.stages, request.stage)
    current = current_deployment(deployments(connection, source))
    checked = verification_of(current, verifications(connection, source)) if current else None
    say(f"promote: checking drift in {source}")
    drift = source_drift(project, connection, contexts[source], transport_factory)
    gates = evaluate_gates(source, current, checked, drift)
    decision = decide(gates, request.force, request.reason)
    row = get_release(connection, current.release_id) if current and current.release_id else None
    chosen = None
    if row is not None:
        loaded = load_release(project, row)
        chosen = ChosenRelease(loaded, stage_targets(loaded, stage_context(project, request.stage, loaded.project)))
    images = tuple(PlannedImage(i.play, i.image, i.image_id) for i in release_images(connection, row.id)) if row else ()
    plan = PromotionPlan(
        stage=request.stage,
        source=source,
        release_id=row.id if row else None,
        content_hash=row.content_hash if row else None,
        images=images,
        vm_hosts=tuple(h.name for h in chosen.targets.vm_hosts) if chosen else (),
        container_targets=tuple(h.name for _, h in chosen.targets.containers) if chosen else (),
        gates=gates,
        decision=decision,
    )
    return CheckedPromotion(plan, chosen)


def promote(
    project: Project,
    request: PromotionRequest,
    client_factory: Callable[[], EngineApi],
    say: Say = lambda line: None,
    transport_factory: TransportFactory = SshTransport,
) -> Promotion:
    """Promote: check the gates (under the stage's lock unless a dry run), record a refusal, or deploy and verify."""
    contexts = stage_contexts(project)
    with closing(open_ledger(project.ledger)) as connection, ExitStack() as held:
        if not request.dry_run:
            held.enter_context(stage_lock(connection, request.stage, "promote", say))
        checked = plan_promotion(project, connection, contexts, request, say, transport_factory)
        plan = checked.plan
        if request.dry_run:
            return Promotion(plan)
        if not plan.decision.proceed:
            begin_deployment(
                connection,
                plan.stage,
                plan.release_id,
                "promote",
                "none",
                source_stage=plan.source,
                gates=gates_json(plan.gates),
                outcome="refused",
            )
            return Promotion(plan)
        assert checked.chosen is not None  # a promotion proceeds only with a release (the release gate)
        if plan.decision.forced:
            say(f"promote: forced past gate(s) {', '.join(g.gate for g in plan.decision.failed)}: {request.reason}")
        deployed = _deploy(project, connection, plan, checked.chosen, request, client_factory, say)
        return Promotion(plan, deployed)


def _deploy(
    project: Project,
    connection: sqlite3.Connection,
    plan: PromotionPlan,
    chosen: ChosenRelease,
    request: PromotionRequest,
    client_factory: Callable[[], EngineApi],
    say: Say,
) -> PromotionDeployment:
    """Deploy the chosen release to the stage (the deploy path, recorded as a promotion), then verify the stage."""
    loaded, targets = chosen.loaded, chosen.targets
    check_vm_input(loaded, targets)
    missing = sorted({p.name for p, _ in targets.containers} - {i.play for i in plan.images})
    if missing:
        raise DeployctlError(
            f"release {loaded.row.id} has no image recorded for play(s) {', '.join(missing)}: "
            f"deploy it with `deployctl deploy --stage {plan.source} --release {loaded.row.id}` first"
        )
    say(f"promote: release {loaded.row.id} from {plan.source} to {plan.stage}")
    origin = PromotionOrigin(
        source_stage=plan.source,
        gates=gates_json(plan.gates),
        forced=plan.decision.forced,
        force_reason=plan.decision.force_reason,
    )
    options = DeployOptions(parallelism=request.parallelism)
    done = deploy_release(connection, loaded, targets, options, client_factory, say, origin)
    verification = verify_running_release(connection, project, plan.stage, client_factory, say) if done.ok else None
    return PromotionDeployment(done, verification)
