"""`deployctl drift`: what drifted on each VM and container from its release, and between stages.

Exit codes (stable: scripts and CI rely on them): 0 no drift, 2 drift found, 1 error (a host could
not be scanned, or invalid input: unlike other commands, drift keeps terraform's three codes).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, print_json, print_table, say, stdout
from deployctl.errors import DeployctlError

if TYPE_CHECKING:
    from deployctl.drift.model import DriftReport

app = typer.Typer(
    help="Drift of VMs and containers from their release, and between stages.",
    invoke_without_command=True,
    no_args_is_help=False,
)


class ReportFormat(StrEnum):
    """How `drift` prints its report."""

    table = "table"
    json = "json"
    html = "html"
    junit = "junit"


@app.callback()
def drift(
    ctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", "-s", help="The stage to scan.")] = None,
    all_stages: Annotated[bool, typer.Option("--all-stages", help="Scan every stage.")] = False,
    output: Annotated[ReportFormat, typer.Option("--format", "-f", help="table, json, html or junit.")] = (
        ReportFormat.table
    ),
    output_file: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    fix: Annotated[
        bool, typer.Option("--fix", help="Re-converge drifted VMs, replace drifted containers, then scan again.")
    ] = False,
    ignore_file: Annotated[
        Path | None, typer.Option("--ignore-file", help="Ignore patterns (default: the project's drift-ignore).")
    ] = None,
) -> None:
    """Scan stages for drift. Exit codes: 0 no drift, 2 drift found, 1 error."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        code = _scan(ctx, stage, all_stages, output, output_file, fix, ignore_file)
    except DeployctlError as error:
        raise DeployctlError(str(error)) from error  # drift's error code is 1, whatever the error
    raise typer.Exit(code)


def _scan(
    ctx: typer.Context,
    stage: str | None,
    all_stages: bool,
    output: ReportFormat,
    output_file: Path | None,
    fix: bool,
    ignore_file: Path | None,
) -> int:
    from deployctl.drift.render import report_html, report_json, report_junit
    from deployctl.operations.drift import detect_drift, drift_rules

    project = cli_context(ctx).project()
    if all_stages == (stage is not None):
        raise DeployctlError("give --stage STAGE or --all-stages")
    stages = list(project.stages) if all_stages else [project.require_stage(str(stage))]
    report = detect_drift(project, stages, drift_rules(project, ignore_file), fix=fix, say=say)
    if output is ReportFormat.table:
        _print_table(report)
    else:
        text = {
            ReportFormat.json: lambda: json.dumps(report_json(report), indent=2) + "\n",
            ReportFormat.html: lambda: report_html(report),
            ReportFormat.junit: lambda: report_junit(report),
        }[output]()
        if output_file is None:
            stdout.out(text, highlight=False, end="")
    if output_file is not None:
        if output is ReportFormat.table:
            output_file.write_text(json.dumps(report_json(report), indent=2) + "\n", encoding="utf-8")
        else:
            output_file.write_text(text, encoding="utf-8")
        say(f"drift: report written to {output_file}")
    return report.exit_code


def _print_table(report: DriftReport) -> None:
    from deployctl.drift.render import TABLE_COLUMNS, summary_lines, table_rows

    for line in summary_lines(report):
        stdout.print(line, markup=False)
    if report.items:
        print_table(None, TABLE_COLUMNS, table_rows(report))


@app.command("history")
def history(
    ctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", "-s", help="Only this stage.")] = None,
    limit: Annotated[int, typer.Option(help="The last N scans.", min=1)] = 20,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """Drift over time: per scan, stage and strategy, the hosts scanned, drifted, failed, items and ignored."""
    from dataclasses import asdict

    from deployctl.operations.history import drift_history

    rows = drift_history(cli_context(ctx).project(), stage, limit)
    if output is OutputFormat.json:
        print_json([asdict(r) for r in rows])
        return
    columns = ["SCAN", "TIME", "STAGE", "STRATEGY", "HOSTS", "DRIFTED", "FAILED", "ITEMS", "IGNORED"]
    print_table(
        "drift history",
        columns,
        [
            [str(v) for v in (r.scan_id, r.started_at, r.stage, r.strategy, r.hosts, r.drifted, r.failed, r.items)]
            + [str(r.ignored)]
            for r in rows
        ],
    )
