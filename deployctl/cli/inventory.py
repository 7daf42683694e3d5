"""`deployctl inventory` (hosts, groups, resolved connections) and `deployctl ping` (reach every host)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, print_json, print_table, stderr
from deployctl.operations.inventory import list_hosts, ping_hosts
from deployctl.transport.settings import DEFAULT_FORKS

StageOption = Annotated[str | None, typer.Option("--stage", "-s", help="One stage (default: every stage).")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")]
LimitOption = Annotated[str | None, typer.Option("--limit", "-l", help="Ansible host pattern.")]


def show_inventory(
    ctx: typer.Context,
    stage: StageOption = None,
    limit: LimitOption = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Hosts of the stage inventories with their groups and resolved SSH endpoints (validates every file)."""
    entries = list_hosts(cli_context(ctx).project(), stage, limit)
    if output is OutputFormat.json:
        print_json(
            {
                "hosts": [
                    {
                        "name": e.host.name,
                        "stage": e.host.stage,
                        "groups": list(e.host.groups),
                        "vars": dict(e.host.vars),
                        "endpoint": asdict(e.endpoint) if e.endpoint else None,
                        "endpoint_error": e.problem,
                    }
                    for e in entries
                ]
            }
        )
        return
    print_table(
        None,
        ["HOST", "STAGE", "GROUPS", "ADDRESS", "USER", "HOST KEY"],
        [
            [
                e.host.name,
                e.host.stage,
                ",".join(g for g in e.host.groups if g != "all"),
                e.endpoint.label if e.endpoint else f"- ({e.problem})",
                e.endpoint.user if e.endpoint else "-",
                ("verified" if e.endpoint.host_key_checking else "trusted") if e.endpoint else "-",
            ]
            for e in entries
        ],
    )


def ping(
    ctx: typer.Context,
    stage: StageOption = None,
    limit: LimitOption = None,
    forks: Annotated[int, typer.Option(help="Hosts reached at once.", min=1)] = DEFAULT_FORKS,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Reach every host over SSH: log in, check sudo and python3 (like Ansible's ping)."""
    report = ping_hosts(cli_context(ctx).project(), stage, limit, forks)
    if output is OutputFormat.json:
        print_json({"reached": [asdict(r) for r in report.reached], "failed": [asdict(f) for f in report.failed]})
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
                for r in report.reached
            ]
            + [[f.host, "-", "-", "-", "-", "-", f"unreachable: {f.error}"] for f in report.failed],
        )
    if not report.ok:
        stderr.print(f"deployctl: {len(report.failed)} of {report.targets} hosts unreachable", markup=False)
        raise typer.Exit(2)
