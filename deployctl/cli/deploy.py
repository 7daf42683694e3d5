"""`deployctl deploy` and `deployctl rollback`: a release to a stage's VMs (mutable) and containers (immutable)."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, print_json, print_table, say, stderr
from deployctl.errors import DeployctlError, InputError
from deployctl.model.project import Project

if TYPE_CHECKING:
    from docker import DockerClient

    from deployctl.immutable.rollout import RolloutResult
    from deployctl.model.records import ReleaseRow
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
            from docker.errors import DockerException
            from requests.exceptions import RequestException

            if isinstance(error, DockerException | RequestException):
                raise EngineFailedError(f"the Docker engine failed: {error}") from error
            raise

    return run


def default_playbook(project: Project, playbook: Path | None) -> Path:
    """The playbook a release is made of: `--playbook`, else playbooks/webapp.yml."""
    return (playbook or project.root / "playbooks" / "webapp.yml").resolve()


def engine(project: Project) -> Callable[[], DockerClient]:
    """A factory of the Docker client: the engine is started (and the base image checked) only when needed."""
    client: list[DockerClient] = []

    def factory() -> DockerClient:
        if not client:
            from deployctl.lab.engine import ensure_engine

            client.append(ensure_engine(project.state_dir, say))
        return client[0]

    return factory


def resolve_release(
    connection: sqlite3.Connection, project: Project, release: str | None, playbook: Path | None
) -> ReleaseRow:
    """The release named by `--release`, else one made from the working tree (snapshotted, recorded)."""
    from deployctl.release.store import find_release, make_release

    if release is not None:
        row = find_release(connection, release)
        named = project.display(default_playbook(project, playbook)) if playbook is not None else row.playbook
        if named != row.playbook:
            problem = f"release {row.id} is made of {row.playbook}, not {named}: a release deploys its own playbook"
            raise InputError("--playbook", None, None, problem)
        return row
    return make_release(connection, project, default_playbook(project, playbook))


def render_rollout(result: RolloutResult) -> None:
    """One container target's rollout as a table and a summary line."""
    rows = [[s.new, s.old or "-", f"{s.seconds:.2f}"] for s in result.swaps]
    print_table(f"{result.stage}: {result.action} {result.outcome}", ["NEW REPLICA", "REPLACED", "SECONDS"], rows)
    load = f", {result.load.sent} requests sent, {result.load.failed} failed" if result.load else ""
    say(f"{result.stage}: {result.image} ({result.outcome}) in {result.seconds:.1f} s{load}")


def deployment_json(release: ReleaseRow, deployment_id: int, strategy: str, done: StageDeployment) -> dict[str, Any]:
    """The deployment as JSON: the first container rollout's fields at the top (as `deploy` always gave), the
    release, the deployment, the VMs' apply and every rollout."""
    payload: dict[str, Any] = asdict(done.rollouts[0]) if done.rollouts else {}
    payload.update(
        {
            "release": {"id": release.id, "content_hash": release.content_hash, "playbook": release.playbook},
            "deployment_id": deployment_id,
            "strategy": strategy,
            "deployment_outcome": done.outcome,
            "vms": None
            if done.vms is None
            else {"exit_code": done.vms.exit_code, "recap": {h: asdict(r) for h, r in done.vms.recap.items()}},
            "containers": [asdict(r) for r in done.rollouts],
        }
    )
    return payload


def render_deployment(
    release: ReleaseRow, deployment_id: int, strategy: str, done: StageDeployment, output: OutputFormat
) -> None:
    """The deployment's result: JSON, or the VMs' recap and each rollout's table."""
    if output is OutputFormat.json:
        print_json(deployment_json(release, deployment_id, strategy, done))
        return
    if done.vms is not None:
        rows = [[h, str(r.ok), str(r.changed), str(r.failed), str(r.unreachable)] for h, r in done.vms.recap.items()]
        print_table("VMs (mutable)", ["HOST", "OK", "CHANGED", "FAILED", "UNREACHABLE"], rows)
    for result in done.rollouts:
        render_rollout(result)
    say(f"deployment #{deployment_id}: release {release.id} ({strategy}) {done.outcome}")


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
    from deployctl.ledger.db import open_ledger
    from deployctl.ledger.locks import stage_lock
    from deployctl.operations.deploy import DeployOptions, check_vm_input, deploy_to_stage, stage_targets
    from deployctl.operations.recording import recorded_deployment, strategy_of
    from deployctl.release.images import build_release_images, load_release

    project = cli_context(ctx).project()
    project.require_stage(stage)
    client = engine(project)
    connection = open_ledger(project.ledger)
    try:
        row = resolve_release(connection, project, release, playbook)
        loaded = load_release(project, row)
        targets = stage_targets(loaded, stage)
        check_vm_input(loaded, targets)
        strategy = strategy_of(len(targets.vm_hosts), len(targets.containers))
        with stage_lock(connection, stage, "deploy", say):
            if targets.containers:
                from deployctl.lab.images import ensure_base_image

                ensure_base_image(client(), project.root / "images", say)
                build_release_images(client(), connection, loaded, say)
            options = DeployOptions(parallelism=parallelism, delay=delay, load=load)
            with recorded_deployment(
                project, Path(row.playbook), stage, "deploy", strategy, release=row, connection=connection
            ) as record:
                done = deploy_to_stage(client() if targets.containers else None, loaded, targets, record, options, say)
    finally:
        connection.close()
    render_deployment(row, record.deployment_id, strategy, done, output)
    if not done.ok:
        failed = next((r for r in done.rollouts if not r.ok), None)
        why = f"{failed.outcome}: {failed.reason}" if failed else (record.reason or done.outcome)
        stderr.print(f"deployctl: {stage}: deployment #{record.deployment_id} {done.outcome}: {why}", markup=False)
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
    from deployctl.immutable.engines import RollOptions, engine_for
    from deployctl.ledger.db import open_ledger
    from deployctl.ledger.locks import stage_lock
    from deployctl.operations.deploy import running_container_targets
    from deployctl.operations.recording import fill_rollback, recorded_rollback

    project = cli_context(ctx).project()
    project.require_stage(stage)
    connection = open_ledger(project.ledger)
    try:
        targets = running_container_targets(connection, project, stage)
        if not targets:
            raise DeployctlError(f"the {stage} inventory has no container target to roll back")
        if len({t.engine for t in targets}) > 1:
            hosts = ", ".join(f"{t.host} ({t.engine})" for t in targets)
            raise DeployctlError(f"{stage}: its container targets name different engines ({hosts})")
        target = targets[0]  # a stage's container targets share one set of replicas: it is rolled back once
        client = engine(project)()
        with stage_lock(connection, stage, "rollback", say), recorded_rollback(connection, stage) as record:
            result = engine_for(target, client, say).rollback(target, to, RollOptions())
            fill_rollback(record, stage, target.host, result)
    finally:
        connection.close()
    if output is OutputFormat.json:
        print_json({**asdict(result), "deployment_id": record.deployment_id, "release_id": record.release_id})
    else:
        render_rollout(result)
    if not result.ok:
        stderr.print(f"deployctl: {stage}: rollback {result.outcome}: {result.reason}", markup=False)
        raise typer.Exit(DEPLOY_FAILED_EXIT)
