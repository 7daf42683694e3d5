"""`deployctl lab up | status | down`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, human_duration, print_json, print_table, say, stderr
from deployctl.lab.state import require_lab_state
from deployctl.lab.status import HostStatus, read_lab_status

# lab.lifecycle (the docker SDK) is imported by the commands that need it: other commands start faster.
from deployctl.lab.vagrant import PROVIDERS

app = typer.Typer(help="The lab fleet: bring it up, see it, take it down.", no_args_is_help=True)

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")]


def _status_rows(rows: list[HostStatus]) -> list[list[str]]:
    return [
        [
            row.name,
            row.stage,
            row.address,
            "yes" if row.reachable else f"no: {row.error}",
            row.os or "-",
            row.systemd or "-",
            human_duration(row.uptime_seconds),
        ]
        for row in rows
    ]


def _render_status(rows: list[HostStatus], output: OutputFormat, title: str) -> None:
    if output is OutputFormat.json:
        print_json({"hosts": [asdict(row) for row in rows]})
    else:
        columns = ["HOST", "STAGE", "ADDRESS", "SSH", "OS", "SYSTEMD", "UPTIME"]
        print_table(title, columns, _status_rows(rows))


@app.command("up")
def up(
    ctx: typer.Context,
    provider: Annotated[
        str | None,
        typer.Option(help=f"One of {', '.join(PROVIDERS)} (default: a hypervisor if any, else docker)."),
    ] = None,
    output: FormatOption = OutputFormat.table,
) -> None:
    """Build the images when missing, `vagrant up` the fleet, record how to reach every host."""
    from deployctl.lab.lifecycle import lab_up

    project = cli_context(ctx).project()
    report = lab_up(project, provider, say)
    if output is OutputFormat.json:
        payload = asdict(report)
        print_json(payload)
        return
    steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in report.steps.items())
    say(f"Lab up with {report.provider}: {len(report.machines)} machines ({steps})")
    _render_status(report.status, output, "Lab")


@app.command("status")
def status(ctx: typer.Context, output: FormatOption = OutputFormat.table) -> None:
    """Every lab host: stage, address, SSH reachable, OS, systemd state, uptime (one parallel pass)."""
    project = cli_context(ctx).project()
    state = require_lab_state(project.state_dir)
    rows = read_lab_status(state.endpoints)
    _render_status(rows, output, f"Lab ({state.provider})")
    unhealthy = [row.name for row in rows if not row.healthy]
    if unhealthy:
        stderr.print(f"deployctl: {len(unhealthy)} of {len(rows)} hosts not healthy: {', '.join(unhealthy)}")
        raise typer.Exit(2)


@app.command("down")
def down(ctx: typer.Context) -> None:
    """Destroy the lab machines (only those the project created) and forget their connection facts."""
    from deployctl.lab.lifecycle import lab_down

    project = cli_context(ctx).project()
    removed = lab_down(project, say)
    say(f"Lab down: {len(removed)} machines removed" if removed else "Lab down: nothing was running")
