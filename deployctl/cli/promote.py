"""`deployctl promote --stage S`: the release current and verified in the previous stage, past its gates, to S."""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from dataclasses import asdict
from typing import Annotated, Any

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import FormatOption, StageOption, engine, render_deployment, reports_engine_errors
from deployctl.cli.render import OutputFormat, print_json, say, stderr, stdout
from deployctl.cli.verify import render_verification, verification_json
from deployctl.errors import DeployctlError
from deployctl.model.project import Project
from deployctl.pipeline.plan import PlannedImage, PromotionPlan, plan_lines

REFUSED_EXIT = 3
FAILED_EXIT = 2


class PromoteUsageError(DeployctlError):
    """An option combination that cannot work."""

    exit_code = 4


def _plan(
    connection: sqlite3.Connection, project: Project, stage: str, source: str, force: bool, reason: str
) -> tuple[PromotionPlan, Any]:
    """Evaluate the gates and plan the promotion; also return the loaded release (None without one)."""
    from deployctl.ledger.records import deployments, get_release, release_images
    from deployctl.ledger.verifications import verifications
    from deployctl.operations.context import stage_context
    from deployctl.operations.targets import stage_targets
    from deployctl.pipeline.gates import current_deployment, decide, evaluate_gates, verification_of
    from deployctl.release.driftcheck import check_drift
    from deployctl.release.images import load_release

    current = current_deployment(deployments(connection, source))
    checked = verification_of(current, verifications(connection, source)) if current else None
    say(f"promote: checking drift in {source}")
    gates = evaluate_gates(source, current, checked, check_drift(project, source))
    decision = decide(gates, force, reason)
    row = get_release(connection, current.release_id) if current and current.release_id else None
    loaded = load_release(project, row) if row else None
    targets = stage_targets(loaded, stage_context(project, stage, loaded.project)) if loaded else None
    images = tuple(PlannedImage(i.play, i.image, i.image_id) for i in release_images(connection, row.id)) if row else ()
    plan = PromotionPlan(
        stage=stage,
        source=source,
        release_id=row.id if row else None,
        content_hash=row.content_hash if row else None,
        images=images,
        vm_hosts=tuple(h.name for h in targets.vm_hosts) if targets else (),
        container_targets=tuple(h.name for _, h in targets.containers) if targets else (),
        gates=gates,
        decision=decision,
    )
    return plan, (loaded, targets)


def _plan_json(plan: PromotionPlan) -> dict[str, Any]:
    found = asdict(plan)
    found["proceed"] = plan.decision.proceed
    return found


@reports_engine_errors
def promote(
    ctx: typer.Context,
    stage: StageOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the gates and print the plan; change nothing.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Promote past failed gates (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the gates are overridden (recorded).")] = None,
    parallelism: Annotated[int, typer.Option(help="Replicas replaced at once.", min=1)] = 1,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Promote the release current in the previous stage (pipeline order from deployctl.yml) to STAGE.

    Gates: the previous stage runs a release (`release`), verified after its deployment (`verified`), with
    no drift now (`drift`). Then exactly that release (same content hash, same image digests) is deployed
    and STAGE verified, all recorded. Exit codes: 0 promoted and verified, 2 the deployment or the
    verification failed, 3 refused by a gate (nothing deployed), 4 invalid input, 5 the stage is locked.
    """
    from deployctl.ledger.db import open_ledger
    from deployctl.ledger.locks import stage_lock
    from deployctl.ledger.records import begin_deployment
    from deployctl.operations.deploy import DeployOptions, Promotion, deploy_release
    from deployctl.operations.targets import check_vm_input
    from deployctl.operations.verify import verify_running_release
    from deployctl.pipeline.gates import gates_json
    from deployctl.pipeline.stages import previous_stage

    if force and not (reason or "").strip():
        raise PromoteUsageError("--force needs --reason TEXT: the reason is recorded with the promotion")
    project = cli_context(ctx).project()
    project.require_stage(stage)
    source = previous_stage(project.stages, stage)
    client = engine(project)
    connection = open_ledger(project.ledger)
    try:
        with ExitStack() as held:
            if not dry_run:
                held.enter_context(stage_lock(connection, stage, "promote", say))
            plan, (loaded, targets) = _plan(connection, project, stage, source, force, reason or "")
            if dry_run:
                if output is OutputFormat.json:
                    print_json(_plan_json(plan))
                else:
                    for line in plan_lines(plan):
                        stdout.print(line, markup=False)
                raise typer.Exit(0 if plan.decision.proceed else REFUSED_EXIT)
            if not plan.decision.proceed:
                begin_deployment(
                    connection,
                    stage,
                    plan.release_id,
                    "promote",
                    "none",
                    source_stage=source,
                    gates=gates_json(plan.gates),
                    outcome="refused",
                )
                if output is OutputFormat.json:
                    print_json(_plan_json(plan))
                stderr.print(f"deployctl: {plan.decision.refusal(stage, source)}", markup=False)
                raise typer.Exit(REFUSED_EXIT)
            if plan.decision.forced:
                say(f"promote: forced past gate(s) {', '.join(g.gate for g in plan.decision.failed)}: {reason}")
            check_vm_input(loaded, targets)
            missing = sorted({p.name for p, _ in targets.containers} - {i.play for i in plan.images})
            if missing:
                raise DeployctlError(
                    f"release {loaded.row.id} has no image recorded for play(s) {', '.join(missing)}: "
                    f"deploy it with `deployctl deploy --stage {source} --release {loaded.row.id}` first"
                )
            say(f"promote: release {loaded.row.id} from {source} to {stage}")
            promotion = Promotion(
                source_stage=source,
                gates=gates_json(plan.gates),
                forced=plan.decision.forced,
                force_reason=plan.decision.force_reason,
            )
            done = deploy_release(
                connection, loaded, targets, DeployOptions(parallelism=parallelism), client, say, promotion
            )
            checked = verify_running_release(connection, project, stage, client, say) if done.ok else None
    finally:
        connection.close()
    if output is OutputFormat.json:
        print_json(
            {
                "plan": _plan_json(plan),
                "deployment_id": done.deployment_id,
                "deployment_outcome": done.outcome,
                "verification": verification_json(checked) if checked else None,
            }
        )
    else:
        render_deployment(done, output)
        if checked is not None:
            render_verification(checked, output)
    if not done.ok:
        stderr.print(f"deployctl: promotion to {stage}: deployment #{done.deployment_id} {done.outcome}", markup=False)
        raise typer.Exit(FAILED_EXIT)
    if checked is None or not checked.passed:
        why = checked.reason if checked else "not run"
        stderr.print(f"deployctl: promotion to {stage}: verification failed: {why}", markup=False)
        raise typer.Exit(FAILED_EXIT)
