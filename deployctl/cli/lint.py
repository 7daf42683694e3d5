"""`deployctl lint PATH`: every unsupported keyword, module or invalid value in a tree of Ansible content.

PATH is a playbook, or a folder whose playbooks (YAML files holding a list of plays) are linted with
everything they reach: roles and their dependencies, imported and included task files, vars files.
Nothing is contacted. Exit code 0 when the content can run, 4 when there is any problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deployctl.cli.render import OutputFormat, print_json, stdout
from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import UnsupportedContentError
from deployctl.yamlsource import LocatedList, LocatedMap, load_yaml_file


def playbooks_in(folder: Path) -> list[Path]:
    """The YAML files of a folder (not its subfolders) that are playbooks: lists of plays or imports."""
    found: list[Path] = []
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        try:
            data = load_yaml_file(path)
        except InputError:
            found.append(path)  # broken YAML: linting it reports why
            continue
        if isinstance(data, LocatedList) and any(
            isinstance(item, LocatedMap) and ("hosts" in item or "import_playbook" in item) for item in data
        ):
            found.append(path)
    return found


def lint_problems(path: Path, display: str) -> list[InputError]:
    """Every problem of one playbook and what it reaches (empty when it can run)."""
    try:
        load_playbook(path, display=display)
    except UnsupportedContentError as exc:
        return list(exc.problems)
    except InputError as exc:
        return [exc]
    return []


def lint(
    path: Annotated[Path, typer.Argument(help="A playbook, or a folder of playbooks.")],
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="table or json.")] = OutputFormat.table,
) -> None:
    """List every unsupported keyword, module or invalid value in a playbook (or a folder of them), with file and line.

    Exit codes: 0 the content can run, 4 some problem (each one is listed).
    """
    if not path.exists():
        raise InputError(str(path), None, None, "no such file or folder")
    targets = playbooks_in(path) if path.is_dir() else [path]
    report: dict[str, list[InputError]] = {}
    for target in targets:
        report[str(target)] = lint_problems(target.resolve(), str(target))
    total = sum(len(problems) for problems in report.values())
    if output is OutputFormat.json:
        print_json(
            {
                "playbooks": {
                    name: [{"file": p.source, "line": p.line, "field": p.field, "problem": p.problem} for p in problems]
                    for name, problems in report.items()
                },
                "problems": total,
            }
        )
    else:
        for name, problems in report.items():
            status = "ok" if not problems else f"{len(problems)} problem(s)"
            stdout.print(f"{name}: {status}", markup=False, highlight=False)
            for problem in problems:
                stdout.print(f"  {problem}", markup=False, highlight=False)
        stdout.print(f"{len(report)} playbook(s), {total} problem(s)", markup=False, highlight=False)
    raise typer.Exit(4 if total else 0)
