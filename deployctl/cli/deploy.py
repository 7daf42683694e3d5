"""`deployctl deploy` and `deployctl rollback`: the immutable strategy (build the image, roll containers)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, print_json, print_table, say, stderr
from deployctl.errors import DeployctlError, InputError
from deployctl.model.inventory import InventoryHost, load_inventories
from deployctl.model.playbook import Play, Playbook, load_playbook
from deployctl.model.project import Project

if TYPE_CHECKING:
    from docker import DockerClient

    from deployctl.immutable.rollout import RolloutResult
    from deployctl.ledger.recording import DeploymentRecord

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")]
StageOption = Annotated[str, typer.Option("--stage", "-s", help="The stage to deploy to.")]
DEFAULT_REPLICAS = 3


def _int_var(host: InventoryHost, name: str, default: int | None) -> int:
    value = host.vars.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        origin = host.var_origins.get(name)
        where = (origin.source, origin.line) if origin else (host.origin.source, host.origin.line)
        raise InputError(where[0], where[1], name, f"must be a positive whole number for {host.name}, got {value!r}")
    return value


def _container_targets(project: Project, stage: str, book: Playbook) -> list[tuple[Play, InventoryHost]]:
    inventory = load_inventories(project)[project.require_stage(stage)]
    targets = [
        (play, host) for play in book.plays for host in inventory.select(play.hosts) if host.strategy == "immutable"
    ]
    if not targets:
        raise DeployctlError(
            f"no container target in the {stage} inventory for {book.source} "
            "(a host of a play's group with deployctl_strategy: immutable)"
        )
    return targets


def _playbook(project: Project, playbook: Path | None) -> Playbook:
    path = (playbook or project.root / "playbooks" / "webapp.yml").resolve()
    return load_playbook(path, display=project.display(path))


def _render(result: RolloutResult, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        print_json(asdict(result))
        return
    rows = [[s.new, s.old or "-", f"{s.seconds:.2f}"] for s in result.swaps]
    print_table(f"{result.stage}: {result.action} {result.outcome}", ["NEW REPLICA", "REPLACED", "SECONDS"], rows)
    load = f", {result.load.sent} requests sent, {result.load.failed} failed" if result.load else ""
    say(f"{result.stage}: {result.image} ({result.outcome}) in {result.seconds:.1f} s{load}")


def deploy(
    ctx: typer.Context,
    stage: StageOption,
    playbook: Annotated[Path | None, typer.Option(help="Playbook to bake (default playbooks/webapp.yml).")] = None,
    parallelism: Annotated[int, typer.Option(help="Replicas replaced at once.", min=1)] = 1,
    delay: Annotated[float, typer.Option(help="Seconds between batches.", min=0)] = 0.0,
    load: Annotated[bool, typer.Option("--load", help="Send HTTP load to the stage's proxy during the roll.")] = False,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Bake the playbook into an image (once, for every stage) and roll the stage's containers to it.

    Exit codes: 0 deployed (or already running), 2 the new release failed its health check and the
    stage was rolled back to what it ran, 4 invalid input.
    """
    from deployctl.lab.engine import ensure_engine
    from deployctl.lab.images import ensure_base_image
    from deployctl.ledger.deployrecord import stack_deploy_record

    project = cli_context(ctx).project()
    book = _playbook(project, playbook)
    targets = _container_targets(project, stage, book)
    client = ensure_engine(project.state_dir, say)
    ensure_base_image(client, project.root / "images", say)
    results: list[RolloutResult] = []
    with stack_deploy_record(project, book.path, stage) as entry:
        _deploy_targets(client, project, book, stage, targets, entry, results, parallelism, delay, load)
    for result in results:
        _render(result, output)
    failed = [r for r in results if not r.ok]
    if failed:
        stderr.print(f"deployctl: {failed[0].stage}: {failed[0].outcome}: {failed[0].reason}", markup=False)
        raise typer.Exit(2)


def _deploy_targets(
    client: DockerClient,
    project: Project,
    book: Playbook,
    stage: str,
    targets: list[tuple[Play, InventoryHost]],
    entry: DeploymentRecord,
    results: list[RolloutResult],
    parallelism: int,
    delay: float,
    load: bool,
) -> None:
    from deployctl.immutable.build import build_release, compile_with_base, render_runtime_files
    from deployctl.immutable.load import HttpLoad
    from deployctl.immutable.rollout import deploy_release
    from deployctl.immutable.stages import stage_variables
    from deployctl.immutable.swarm import deploy_swarm
    from deployctl.ledger.deployrecord import record_rollout

    for play, host in targets:
        every_stage = stage_variables(project, book, play)
        containers = {
            name: scope for name, scope in every_stage.items() if scope.get("deployctl_strategy") == "immutable"
        }
        recipe = compile_with_base(client, book, play, containers)
        release = build_release(client, recipe, say)
        for note in release.not_baked:
            say(f"not baked: {note}")
        files = render_runtime_files(release, book, containers[host.name])
        port = _int_var(host, "deployctl_proxy_port", None)
        replicas = _int_var(host, "deployctl_replicas", DEFAULT_REPLICAS)
        traffic = HttpLoad(f"http://127.0.0.1:{port}/", workers=2, max_seconds=900) if load else None
        roll = deploy_swarm if host.vars.get("deployctl_engine") == "swarm" else deploy_release
        results.append(
            roll(
                client,
                stage,
                release,
                files,
                replicas=replicas,
                parallelism=parallelism,
                delay=delay,
                proxy_port=port,
                state_dir=project.state_dir,
                images_dir=project.root / "images",
                say=say,
                load=traffic,
            )
        )
        record_rollout(entry, play.name, host.name, release, results[-1])


def rollback(
    ctx: typer.Context,
    stage: StageOption,
    to: Annotated[str | None, typer.Option(help="Release to return to (tag, image id or context hash).")] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Return the stage's containers to the previous release (or `--to` one): the image is local, it takes seconds."""
    from deployctl.immutable.rollout import rollback_release
    from deployctl.lab.engine import ensure_engine

    project = cli_context(ctx).project()
    project.require_stage(stage)
    client = ensure_engine(project.state_dir, say)
    result = rollback_release(
        client, stage, to, state_dir=project.state_dir, images_dir=project.root / "images", say=say
    )
    _render(result, output)
    if not result.ok:
        stderr.print(f"deployctl: {stage}: rollback {result.outcome}: {result.reason}", markup=False)
        raise typer.Exit(2)
