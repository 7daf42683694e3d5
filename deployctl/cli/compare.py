"""`deployctl compare`: the mutable-versus-immutable scorecard of a stage's next release, measured on the lab.

The renderers are the scorecard package's: `render_table` for the terminal, `render_html` for the report; JSON
is the scorecard's own `to_json`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.deploy import reports_engine_errors
from deployctl.cli.render import OutputFormat, print_json, print_table, say, stdout
from deployctl.errors import DeployctlError

if TYPE_CHECKING:
    from deployctl.scorecard.model import Scorecard

app = typer.Typer(
    help="The mutable-versus-immutable scorecard of a stage's next release, measured on the lab.",
    invoke_without_command=True,
    no_args_is_help=False,
)


class CardFormat(StrEnum):
    """How `compare` prints its scorecard."""

    table = "table"
    json = "json"
    html = "html"


def render_card(card: Scorecard, output: CardFormat) -> str:
    """The scorecard as text in the chosen format."""
    if output is CardFormat.json:
        from deployctl.scorecard.jsonout import render_json

        return render_json(card)
    if output is CardFormat.html:
        from deployctl.scorecard.html import render_html

        return render_html(card)
    from deployctl.scorecard.table import render_table

    return render_table(card)


@app.callback()
@reports_engine_errors
def compare(
    ctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", "-s", help="The stage to measure on.")] = None,
    release: Annotated[
        str | None,
        typer.Option("--release", "-r", help="The next release (id or hash; default: one made from the working tree)."),
    ] = None,
    output: Annotated[CardFormat, typer.Option("--format", "-f", help="table, json or html.")] = CardFormat.table,
    output_file: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the scorecard to this file.")
    ] = None,
) -> None:
    """Deploy the next release to the stage both ways, back out, drift by hand, and measure it all.

    The stage's VMs (mutable) and containers (immutable) take the same change; every figure is measured, with
    its unit and method. The stage is left on the release it ran. Each run is recorded (`compare history`).
    """
    if ctx.invoked_subcommand is not None:
        return
    if stage is None:
        raise DeployctlError("give --stage STAGE")
    from deployctl.operations.compare import compare as compare_operation
    from deployctl.operations.context import engine_factory

    project = cli_context(ctx).project()
    done = compare_operation(project, stage, engine_factory(project, say), say, release=release)
    text = render_card(done.card, output)
    if output_file is not None:
        output_file.write_text(text, encoding="utf-8")
        say(f"compare: run #{done.run_id} written to {output_file}")
    else:
        stdout.out(text, highlight=False, end="")


@app.command("history")
def history(
    ctx: typer.Context,
    stage: Annotated[str | None, typer.Option("--stage", "-s", help="Only this stage.")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """The scorecard across releases: every compare run, oldest first, its figures per claim and strategy."""
    from deployctl.operations.compare import history as compare_history

    runs = compare_history(cli_context(ctx).project(), stage)
    if output is OutputFormat.json:
        print_json([{"run": run_id, **card.to_json()} for run_id, card in runs])
        return
    rows = [
        [
            str(run_id),
            card.started_at,
            card.stage,
            f"{card.from_release} -> {card.to_release}",
            row.key,
            _shown(row.mutable.value, row.mutable.unit),
            _shown(row.immutable.value, row.immutable.unit),
        ]
        for run_id, card in runs
        for row in card.rows
    ]
    print_table("compare history", ["RUN", "TIME", "STAGE", "RELEASES", "ROW", "MUTABLE", "IMMUTABLE"], rows)


def _shown(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g} {unit}"
