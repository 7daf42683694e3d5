"""The `deploy` use case: a release's snapshot applied to the stage's VMs (mutable), its recorded images rolled
out to the stage's container targets (immutable), one deployment in the ledger with every host's result.

`deploy_release` is the one path a release takes to a stage: `deploy` and `promote` both go through it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import stage_lock
from deployctl.model.project import Project
from deployctl.model.records import ReleaseRow
from deployctl.operations.context import EngineFactory, Say, stage_context
from deployctl.operations.converge import converge_vms
from deployctl.operations.recording import (
    DeploymentRecord,
    deployment_outcome,
    record_rollout,
    recorded_deployment,
    strategy_of,
)
from deployctl.operations.release import build_release_images, recorded_image_release, resolve_release
from deployctl.operations.targets import StageTargets, check_vm_input, stage_targets
from deployctl.release.images import LoadedRelease, container_scopes, load_release
from deployctl.strategies.results import RunResult, TaskResult
from deployctl.transport.retained import RetainedConnections
from deployctl.transport.settings import DEFAULT_FORKS

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi
    from deployctl.immutable.rollout import RolloutResult


@dataclass(frozen=True)
class DeployOptions:
    """How to roll: replicas replaced at once, seconds between batches, HTTP load during the roll, SSH forks."""

    parallelism: int = 1
    delay: float = 0.0
    load: bool = False
    forks: int = DEFAULT_FORKS


@dataclass(frozen=True)
class PromotionOrigin:
    """What a promotion adds to its deployment's record: the stage it promotes from and the gates it checked."""

    source_stage: str
    gates: str
    """The gates as JSON: a list of {gate, passed, reason}."""
    forced: bool = False
    force_reason: str = ""


@dataclass(frozen=True)
class StageDeployment:
    """A recorded deployment: the release, the VMs' apply (None without VMs) and each container target's rollout."""

    release: ReleaseRow
    deployment_id: int
    strategy: str
    outcome: str
    reason: str = ""
    vms: RunResult | None = None
    rollouts: tuple[RolloutResult, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when every VM and container target runs the release."""
        return self.outcome == "ok"


def apply_to_vms(
    loaded: LoadedRelease,
    targets: StageTargets,
    record: DeploymentRecord,
    forks: int,
    say: Say,
    connections: RetainedConnections | None = None,
) -> RunResult:
    """Apply the release's playbook in place to the stage's VMs over SSH (the mutable strategy), recorded."""
    from deployctl.strategies.hostrun import RunOptions

    def emit(result: TaskResult) -> None:
        if result.status in ("changed", "failed", "unreachable"):
            say(f"{result.status}: [{result.host}] {result.task}" + (f": {result.message}" if result.message else ""))

    say(f"{targets.stage}: applying release {loaded.row.id} to {', '.join(h.name for h in targets.vm_hosts)}")
    return converge_vms(
        targets.context,
        loaded.playbook,
        targets.vm_hosts,
        RunOptions(redaction=targets.context.project.redaction),
        record,
        limit=",".join(h.name for h in targets.vm_hosts),  # exactly these VMs: a batch of a rolling deploy too
        forks=forks,
        emit=emit,
        connections=connections,
    )


def roll_containers(
    client: EngineApi,
    loaded: LoadedRelease,
    targets: StageTargets,
    record: DeploymentRecord,
    options: DeployOptions,
    say: Say,
) -> list[RolloutResult]:
    """Roll each container target of the stage to the release's recorded image (by digest), with its stage files."""
    from deployctl.immutable.build import render_runtime_files
    from deployctl.immutable.engines import RollOptions, engine_for
    from deployctl.immutable.load import HttpLoad

    results: list[RolloutResult] = []
    scopes: dict[str, dict[str, dict[str, Any]]] = {}
    for play, host in targets.containers:
        image = recorded_image_release(client, record.connection, loaded.row.id, play.name)
        if play.name not in scopes:
            scopes[play.name] = container_scopes(loaded, play)
        files = render_runtime_files(image, loaded.playbook, scopes[play.name][host.name])
        target = targets.container_targets[host.name]
        url = f"http://127.0.0.1:{target.proxy_port}/"
        traffic = HttpLoad(url, workers=2, max_seconds=900) if options.load else None
        roll = RollOptions(parallelism=options.parallelism, delay=options.delay, load=traffic)
        result = engine_for(target, client, say).deploy(target, image, files, roll)
        results.append(result)
        record_rollout(record, host.name, image, result)
    return results


def deploy_release(
    connection: sqlite3.Connection,
    loaded: LoadedRelease,
    targets: StageTargets,
    options: DeployOptions,
    engine: EngineFactory,
    say: Say,
    promotion: PromotionOrigin | None = None,
) -> StageDeployment:
    """Apply the release to the stage's VMs, then roll its containers to its recorded images, as one deployment.

    The caller holds the stage's lock and has checked the input (`check_vm_input`); the release's images are
    recorded. A promotion is recorded with its source stage and gates. The containers are rolled only when
    the VMs took the release (a failed apply stops the deployment).
    """
    strategy = strategy_of(len(targets.vm_hosts), len(targets.containers))
    promoted = promotion or PromotionOrigin(source_stage="", gates="[]")
    with recorded_deployment(
        targets.context.project,
        Path(loaded.row.playbook),
        targets.stage,
        "promote" if promotion is not None else "deploy",
        strategy,
        release=loaded.row,
        forced=promoted.forced,
        force_reason=promoted.force_reason,
        source_stage=promoted.source_stage,
        gates=promoted.gates,
        connection=connection,
    ) as record:
        vms = apply_to_vms(loaded, targets, record, options.forks, say) if targets.vm_hosts else None
        rollouts: list[RolloutResult] = []
        if targets.containers and (vms is None or vms.exit_code == 0):
            rollouts = roll_containers(engine(), loaded, targets, record, options, say)
        elif targets.containers:
            record.reason = "; ".join(filter(None, (record.reason, "containers not rolled: the VMs' apply failed")))
        outcome = deployment_outcome(vms.exit_code if vms is not None else None, [r.outcome for r in rollouts])
        record.outcome = "failed" if targets.containers and not rollouts else outcome
    return StageDeployment(
        loaded.row, record.deployment_id, strategy, record.outcome, record.reason, vms, tuple(rollouts)
    )


def deploy(
    project: Project,
    stage: str,
    options: DeployOptions,
    engine: EngineFactory,
    say: Say,
    *,
    release: str | None = None,
    playbook: Path | None = None,
) -> StageDeployment:
    """Deploy a release (`release`: id or hash; else one made from the working tree's `playbook`) to the stage.

    The stage is read from the release's snapshot; bad input is reported before the lock is taken. Under the
    stage's lock, the release's images are built when missing, then it is deployed and recorded.
    """
    project.require_stage(stage)
    with closing(open_ledger(project.ledger)) as connection:
        row = resolve_release(connection, project, release, playbook)
        loaded = load_release(project, row)
        targets = stage_targets(loaded, stage_context(project, stage, loaded.project))
        check_vm_input(loaded, targets)
        with stage_lock(connection, targets.stage, "deploy", say):
            if targets.containers:
                build_release_images(engine, connection, loaded, say)
            return deploy_release(connection, loaded, targets, options, engine, say)
