"""`deployctl deploy` and `deployctl rollback`: a release to a stage's VMs (mutable) and containers (immutable)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, print_json, print_table, say, stderr
from deployctl.errors import DeployctlError

if TYPE_CHECKING:
    from deployctl.immutable.rollout import RolloutResult
    from deployctl.operations.deploy import StageDeployment

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")]
StageOption = Annotated[str, typer.Option("--stage", "-s", help="The stage to deploy to.")]
DEPLOY_FAILED_EXIT = 2
P = ParamSpec("P")
R = TypeVar("R")


class EngineFailedError(DeployctlError):
    """The Docker engine failed or went away in the middle of a command (what was done is recorded)."""


def reports_engine_errors(command: Callable[P, R]) -> Callable[P, R]:
    """A command whose Docker errors (the engine stopped, restarted, refused) are one line and exit 1."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except Exception as error:
            from deployctl.dockerapi.types import EngineError

            if isinstance(error, EngineError):
                raise EngineFailedError(f"the Docker engine failed: {error}") from error
            raise

    return run


def render_rollout(result: RolloutResult) -> None:
    """One container target's rollout as a table and a summary line."""
    rows = [[s.new, s.old or "-", f"{s.seconds:.2f}"] for s in result.swaps]
    print_table(f"{result.stage}: {result.action} {result.outcome}", ["NEW REPLICA", "REPLACED", "SECONDS"], rows)
    load = f", {result.load.sent} requests sent, {result.load.failed} failed" if result.load else ""
    say(f"{result.stage}: {result.image} ({result.outcome}) in {result.seconds:.1f} s{load}")


def deployment_json(done: StageDeployment) -> dict[str, Any]:
    """The deployment as JSON: the first container rollout's fields at the top (as `deploy` always gave), the
    release, the deployment, the VMs' apply and every rollout."""
    payload: dict[str, Any] = asdict(done.rollouts[0]) if done.rollouts else {}
    release = done.release
    payload.update(
        {
            "release": {"id": release.id, "content_hash": release.content_hash, "playbook": release.playbook},
            "deployment_id": done.deployment_id,
            "strategy": done.strategy,
            "deployment_outcome": done.outcome,
            "vms": None
            if done.vms is None
            else {"exit_code": done.vms.exit_code, "recap": {h: asdict(r) for h, r in done.vms.recap.items()}},
            "containers": [asdict(r) for r in done.rollouts],
        }
    )
    return payload


def render_deployment(done: StageDeployment, output: OutputFormat) -> None:
    """The deployment's result: JSON, or the VMs' recap and each rollout's table."""
    if output is OutputFormat.json:
        print_json(deployment_json(done))
        return
    if done.vms is not None:
        rows = [[h, str(r.ok), str(r.changed), str(r.failed), str(r.unreachable)] for h, r in done.vms.recap.items()]
        print_table("VMs (mutable)", ["HOST", "OK", "CHANGED", "FAILED", "UNREACHABLE"], rows)
    for result in done.rollouts:
        render_rollout(result)
    say(f"deployment #{done.deployment_id}: release {done.release.id} ({done.strategy}) {done.outcome}")


@reports_engine_errors
def deploy(
    ctx: typer.Context,
    stage: StageOption,
    release: Annotated[
        str | None, typer.Option("--release", "-r", help="Release id or content hash (default: the working tree).")
    ] = None,
    playbook: Annotated[
        Path | None,
        typer.Option(help="Playbook of the release made from the working tree (default playbooks/webapp.yml)."),
    ] = None,
    parallelism: Annotated[int, typer.Option(help="Replicas replaced at once.", min=1)] = 1,
    delay: Annotated[float, typer.Option(help="Seconds between batches.", min=0)] = 0.0,
    load: Annotated[bool, typer.Option("--load", help="Send HTTP load to the stage's proxy during the roll.")] = False,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Deploy a release to the stage: its VMs in place over SSH, its containers rolled to the release's image.

    Without --release, a release is made from the working tree (snapshotted; its image built when missing).
    Exit codes: 0 deployed (or already running), 2 a host failed (a failed container roll returns to what
    ran), 4 invalid input, 5 the stage is locked by another command.
    """
    from deployctl.operations.context import engine_factory
    from deployctl.operations.deploy import DeployOptions
    from deployctl.operations.deploy import deploy as deploy_operation

    project = cli_context(ctx).project()
    options = DeployOptions(parallelism=parallelism, delay=delay, load=load)
    engine = engine_factory(project, say)
    done = deploy_operation(project, stage, options, engine, say, release=release, playbook=playbook)
    render_deployment(done, output)
    if not done.ok:
        failed = next((r for r in done.rollouts if not r.ok), None)
        why = f"{failed.outcome}: {failed.reason}" if failed else (done.reason or done.outcome)
        stderr.print(f"deployctl: {stage}: deployment #{done.deployment_id} {done.outcome}: {why}", markup=False)
        raise typer.Exit(DEPLOY_FAILED_EXIT)


@reports_engine_errors
def rollback(
    ctx: typer.Context,
    stage: StageOption,
    to: Annotated[str | None, typer.Option(help="Release to return to (tag, image id or context hash).")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Return the stage's containers to the previous release (or `--to` one): the image is local, it takes seconds.

    The stage's container target (and its engine: plain containers or a Swarm service) is the one the release
    the stage runs now names.
    """
    from deployctl.operations.context import engine_factory
    from deployctl.operations.rollback import rollback as rollback_operation

    project = cli_context(ctx).project()
    done = rollback_operation(project, stage, to, engine_factory(project, say), say)
    result = done.result
    if output is OutputFormat.json:
        print_json({**asdict(result), "deployment_id": done.deployment_id, "release_id": done.release_id})
    else:
        render_rollout(result)
    if not done.ok:
        stderr.print(f"deployctl: {stage}: rollback {result.outcome}: {result.reason}", markup=False)
        raise typer.Exit(DEPLOY_FAILED_EXIT)
