"""`deployctl lint PATH`: every unsupported keyword, module or invalid value in a tree of Ansible content.

PATH is a playbook, a role folder, or a folder whose playbooks are linted with everything they reach:
roles and their dependencies, imported and included task files, vars files. Nothing is contacted.
Exit code 0 when the content can run, 4 when there is any problem; unsupported tasks that run only
under a condition are listed apart ("not supported, not reached unless ...") and do not fail the lint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deployctl.cli.render import OutputFormat, print_json, stdout
from deployctl.operations.lint import lint as lint_tree


def lint(
    path: Annotated[Path, typer.Argument(help="A playbook, a role folder, or a folder of playbooks.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """List every unsupported keyword, module or invalid value in a playbook, role or folder, with file and line.

    Exit codes: 0 the content can run, 4 some problem (each one is listed).
    """
    reports = lint_tree(path)
    total = sum(len(report.problems) for report in reports)
    if output is OutputFormat.json:
        print_json(
            {
                "playbooks": {
                    report.name: [
                        {"file": p.source, "line": p.line, "field": p.field, "problem": p.problem}
                        for p in report.problems
                    ]
                    for report in reports
                },
                "not_reached_unless": {
                    report.name: [
                        {
                            "task": str(use.task.origin),
                            "problem": use.task.unsupported_message,
                            "unless": list(use.unless),
                        }
                        for use in report.conditional
                    ]
                    for report in reports
                },
                "problems": total,
            }
        )
    else:
        for report in reports:
            status = "ok" if not report.problems else f"{len(report.problems)} problem(s)"
            stdout.print(f"{report.name}: {status}", markup=False, highlight=False)
            for problem in report.problems:
                stdout.print(f"  {problem}", markup=False, highlight=False)
            for use in report.conditional:
                unless = " and ".join(use.unless)
                line = f"  not supported, not reached unless {unless}: {use.task.unsupported_message}"
                stdout.print(line, markup=False, highlight=False)
        stdout.print(f"{len(reports)} playbook(s), {total} problem(s)", markup=False, highlight=False)
    raise typer.Exit(4 if total else 0)
