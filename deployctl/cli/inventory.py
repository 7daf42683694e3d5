"""`deployctl inventory` (hosts, groups, resolved connections) and `deployctl ping` (reach every host)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, print_json, print_table, stderr
from deployctl.errors import DeployctlError
from deployctl.lab.state import load_lab_state
from deployctl.model.connection import SshEndpoint
from deployctl.model.inventory import Inventory, InventoryHost, load_inventories
from deployctl.model.project import Project
from deployctl.operations.context import StageContext
from deployctl.transport.base import shell
from deployctl.transport.pool import DEFAULT_FORKS, run_each
from deployctl.transport.ssh import SshTransport

StageOption = Annotated[str | None, typer.Option("--stage", "-s", help="One stage (default: every stage).")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")]
LimitOption = Annotated[str | None, typer.Option("--limit", "-l", help="Ansible host pattern.")]


def _selected(
    project: Project, stage: str | None, limit: str | None, *, ssh_only: bool = False
) -> list[tuple[Inventory, InventoryHost]]:
    inventories = load_inventories(project)
    if stage is not None:
        project.require_stage(stage)
    chosen = [inventories[stage]] if stage else list(inventories.values())
    pairs = [(inv, host) for inv in chosen for host in (inv.select(limit) if limit else inv.hosts.values())]
    if ssh_only:
        pairs = [(inv, host) for inv, host in pairs if host.strategy == "mutable"]
    if limit and not pairs:
        raise DeployctlError(f"no host matches --limit {limit!r}")
    return pairs


def _endpoint(project: Project, inventory: Inventory, host: InventoryHost) -> SshEndpoint:
    return StageContext(project, project.stage(host.stage), inventory, load_lab_state(project.state_dir)).endpoint(host)


def show_inventory(
    ctx: typer.Context,
    stage: StageOption = None,
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Hosts of the stage inventories with their groups and resolved SSH endpoints (validates every file)."""
    project = cli_context(ctx).project()
    rows: list[tuple[InventoryHost, SshEndpoint | None, str | None]] = []
    for inventory, host in _selected(project, stage, limit):
        if host.strategy == "immutable":
            rows.append((host, None, "container target (immutable strategy)"))
            continue
        try:
            endpoint: SshEndpoint | None = _endpoint(project, inventory, host)
            problem = None
        except DeployctlError as error:
            endpoint, problem = None, str(error)
        rows.append((host, endpoint, problem))
    if output is OutputFormat.json:
        print_json(
            {
                "hosts": [
                    {
                        "name": host.name,
                        "stage": host.stage,
                        "groups": list(host.groups),
                        "vars": dict(host.vars),
                        "endpoint": asdict(endpoint) if endpoint else None,
                        "endpoint_error": problem,
                    }
                    for host, endpoint, problem in rows
                ]
            }
        )
        return
    print_table(
        None,
        ["HOST", "STAGE", "GROUPS", "ADDRESS", "USER", "HOST KEY"],
        [
            [
                host.name,
                host.stage,
                ",".join(g for g in host.groups if g != "all"),
                endpoint.label if endpoint else f"- ({problem})",
                endpoint.user if endpoint else "-",
                ("verified" if endpoint.host_key_checking else "trusted") if endpoint else "-",
            ]
            for host, endpoint, problem in rows
        ],
    )


@dataclass(frozen=True)
class PingResult:
    """One host reached: who we are there, whether sudo works, which python answers, how long it took."""

    host: str
    stage: str
    address: str
    user: str
    become: bool
    python: str
    seconds: float


def _ping_host(target: tuple[InventoryHost, SshEndpoint]) -> PingResult:
    host, endpoint = target
    started = time.monotonic()
    with SshTransport(endpoint) as transport:
        identity = transport.run(shell("id -un; python3 -c 'import platform; print(platform.python_version())'"))
        root = transport.run(["id", "-u"], become=True)
    lines = identity.stdout.split()
    return PingResult(
        host=host.name,
        stage=host.stage,
        address=endpoint.label,
        user=lines[0] if lines else "?",
        become=root.ok and root.stdout.strip() == "0",
        python=lines[1] if identity.ok and len(lines) > 1 else "missing",
        seconds=round(time.monotonic() - started, 3),
    )


def ping(
    ctx: typer.Context,
    stage: StageOption = None,
    limit: LimitOption = None,
    forks: Annotated[int, typer.Option(help="Hosts reached at once.", min=1)] = DEFAULT_FORKS,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Reach every host over SSH: log in, check sudo and python3 (like Ansible's ping)."""
    project = cli_context(ctx).project()
    selected = _selected(project, stage, limit, ssh_only=True)
    targets = [(host, _endpoint(project, inv, host)) for inv, host in selected]
    outcomes = run_each(targets, _ping_host, forks)
    failed = [(o.item[0].name, str(o.error)) for o in outcomes if o.error is not None]
    reached = [o.value for o in outcomes if o.value is not None]
    if output is OutputFormat.json:
        print_json({"reached": [asdict(r) for r in reached], "failed": [{"host": h, "error": e} for h, e in failed]})
    else:
        print_table(
            None,
            ["HOST", "STAGE", "ADDRESS", "USER", "SUDO", "PYTHON", "SECONDS"],
            [
                [
                    r.host,
                    r.stage,
                    r.address,
                    r.user,
                    "yes" if r.become else "no",
                    r.python,
                    f"{r.seconds:.2f}",
                ]
                for r in reached
            ]
            + [[host, "-", "-", "-", "-", "-", f"unreachable: {error}"] for host, error in failed],
        )
    if failed or any(not r.become or r.python == "missing" for r in reached):
        stderr.print(f"deployctl: {len(failed)} of {len(targets)} hosts unreachable", markup=False)
        raise typer.Exit(2)
