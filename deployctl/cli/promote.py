"""`deployctl promote --stage S`: the release current and verified in the previous stage, past its gates, to S."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import FormatOption, StageOption, render_deployment, reports_engine_errors
from deployctl.cli.render import OutputFormat, print_json, say, stderr, stdout
from deployctl.cli.verify import render_verification, verification_json
from deployctl.errors import DeployctlError
from deployctl.pipeline.plan import PromotionPlan, plan_lines

REFUSED_EXIT = 3
FAILED_EXIT = 2


class PromoteUsageError(DeployctlError):
    """An option combination that cannot work."""

    exit_code = 4


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
    from deployctl.operations.context import engine_factory
    from deployctl.operations.promote import PromotionRequest
    from deployctl.operations.promote import promote as promote_stage

    if force and not (reason or "").strip():
        raise PromoteUsageError("--force needs --reason TEXT: the reason is recorded with the promotion")
    project = cli_context(ctx).project()
    project.require_stage(stage)
    request = PromotionRequest(stage, force, reason or "", dry_run, parallelism)
    done = promote_stage(project, request, engine_factory(project, say), say)
    plan = done.plan
    if dry_run:
        if output is OutputFormat.json:
            print_json(_plan_json(plan))
        else:
            for line in plan_lines(plan):
                stdout.print(line, markup=False)
        raise typer.Exit(REFUSED_EXIT if done.refused else 0)
    if done.deployed is None:
        if output is OutputFormat.json:
            print_json(_plan_json(plan))
        stderr.print(f"deployctl: {plan.decision.refusal(stage, plan.source)}", markup=False)
        raise typer.Exit(REFUSED_EXIT)
    deployed = done.deployed
    checked = deployed.verification
    if output is OutputFormat.json:
        print_json(
            {
                "plan": _plan_json(plan),
                "deployment_id": deployed.done.deployment_id,
                "deployment_outcome": deployed.done.outcome,
                "verification": verification_json(checked) if checked else None,
            }
        )
    else:
        render_deployment(deployed.done, output)
        if checked is not None:
            render_verification(checked, output)
    if not deployed.done.ok:
        stderr.print(
            f"deployctl: promotion to {stage}: deployment #{deployed.done.deployment_id} {deployed.done.outcome}",
            markup=False,
        )
        raise typer.Exit(FAILED_EXIT)
    if checked is None or not checked.passed:
        why = checked.reason if checked else "not run"
        stderr.print(f"deployctl: promotion to {stage}: verification failed: {why}", markup=False)
        raise typer.Exit(FAILED_EXIT)
