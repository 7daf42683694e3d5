"""`deployctl apply PLAYBOOK --stage STAGE`: the mutable strategy, with check mode, diffs and a recap."""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deployctl.cli.context import cli_context
from deployctl.cli.render import OutputFormat, print_json, print_table, say, stderr, stdout
from deployctl.operations.apply import apply as apply_operation
from deployctl.operations.apply import plan_apply
from deployctl.strategies.hostrun import RunOptions
from deployctl.strategies.results import RunResult, TaskResult
from deployctl.textdiff import unified_diff
from deployctl.transport.settings import DEFAULT_FORKS

if TYPE_CHECKING:
    from rich.progress import Progress

STATUS_STYLE = {"ok": "green", "changed": "yellow", "failed": "red", "skipped": "cyan", "unreachable": "red"}


def _split_tags(values: list[str] | None) -> frozenset[str]:
    return frozenset(tag.strip() for value in values or [] for tag in value.split(",") if tag.strip())


class _Printer:
    """Plain lines per task and host (and diffs); on a terminal, a Rich progress bar under them."""

    def __init__(self, total: int, show_diff: bool, quiet: bool) -> None:
        self.show_diff = show_diff
        self.quiet = quiet
        self.lock = threading.Lock()
        self.progress: Progress | None = None
        if not quiet and stdout.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("[bold]apply"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=stdout,
                transient=True,
            )
            self.bar = self.progress.add_task("tasks", total=total)

    def __enter__(self) -> _Printer:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def __call__(self, result: TaskResult) -> None:
        if self.quiet:
            return
        from rich.markup import escape

        with self.lock:
            style = STATUS_STYLE[result.status]
            label = "handler " if result.handler else ""
            ignored = " (ignored)" if result.ignored else ""
            line = f"[{style}]{result.status}[/{style}]: {escape(f'[{result.host}] {label}{result.task}{ignored}')}"
            stdout.print(line, highlight=False)
            if result.message and result.status != "skipped":
                stdout.print(f"    {result.message}", markup=False, highlight=False)
            if self.show_diff:
                for diff in result.diffs:
                    stdout.out(unified_diff(diff.resource, diff.before, diff.after), highlight=False, end="")
            if self.progress is not None:
                self.progress.advance(self.bar)


def _recap(result: RunResult) -> None:
    rows = [
        [host, str(r.ok), str(r.changed), str(r.failed), str(r.skipped), str(r.unreachable), str(r.ignored)]
        for host, r in result.recap.items()
    ]
    print_table("PLAY RECAP", ["HOST", "OK", "CHANGED", "FAILED", "SKIPPED", "UNREACHABLE", "IGNORED"], rows)
    mode = "check mode, nothing changed; " if result.check else ""
    stdout.print(
        f"{mode}{result.seconds:.2f} s, {result.connections} connections, {result.round_trips} round trips",
        markup=False,
    )


def _json(result: RunResult, diff: bool) -> dict[str, Any]:
    """The run as JSON; task results carry their diffs only with `--diff`, as the terminal shows them."""
    payload = asdict(result)
    payload["exit_code"] = result.exit_code
    if not diff:
        for shown in payload["results"]:
            for part in (shown, *shown["items"]):
                part.pop("diffs", None)
    return payload


def apply(
    ctx: typer.Context,
    playbook: Annotated[Path, typer.Argument(help="The playbook file.")],
    stage: Annotated[str, typer.Option("--stage", "-s", help="The stage whose inventory to use.")],
    check: Annotated[bool, typer.Option("--check", "-C", help="Report what would change; change nothing.")] = False,
    diff: Annotated[bool, typer.Option("--diff", "-D", help="Show what changes (JSON has diffs only then).")] = False,
    limit: Annotated[str | None, typer.Option("--limit", "-l", help="Ansible host pattern.")] = None,
    tags: Annotated[list[str] | None, typer.Option("--tags", "-t", help="Only tasks with these tags.")] = None,
    skip_tags: Annotated[list[str] | None, typer.Option("--skip-tags", help="Skip tasks with these tags.")] = None,
    forks: Annotated[int, typer.Option(help="Hosts worked on at once.", min=1)] = DEFAULT_FORKS,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """Apply a playbook to a stage's hosts in place over SSH (the mutable strategy).

    Exit codes: 0 all ok, 2 some host failed, 3 stopped by max_fail_percentage, 4 invalid input.
    Invalid input is reported before any host is contacted.
    """
    plan = plan_apply(cli_context(ctx).project(), playbook, stage, limit)
    options = RunOptions(
        check=check,
        diff=diff,
        tags=_split_tags(tags),
        skip_tags=_split_tags(skip_tags),
        redaction=plan.context.project.redaction,
    )
    with _Printer(plan.total_tasks, diff, quiet=output is OutputFormat.json) as printer:
        result = apply_operation(plan, options, forks=forks, emit=printer, say=say)
    if output is OutputFormat.json:
        print_json(_json(result, diff))
    else:
        _recap(result)
    if result.stopped:
        stderr.print(f"deployctl: run stopped: {result.stopped}", markup=False)
    raise typer.Exit(result.exit_code)
