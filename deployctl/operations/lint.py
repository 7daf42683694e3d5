"""The `lint` use case: every problem of a tree of Ansible content, without contacting a host.

A target is a playbook, a folder of playbooks, or a role folder (one with tasks/main.yml), linted as a
play `hosts: all` applying the role, with the role's parent folder on the roles path. A problem is what
refuses a load, an unsupported task every targeted host reaches, or what apply's pre-run check refuses
without a host (`playbook_checks.content_problems`: each template a templated `src` may pick...). An
unsupported task behind a condition (a `when`, a templated include, a rescue, a handler) is listed
apart: it fails only a host that reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deployctl.errors import InputError
from deployctl.model.loading.plays import read_playbook
from deployctl.model.playbook import Playbook
from deployctl.model.playbook_checks import content_problems
from deployctl.model.unsupported import UnsupportedTask, playbook_unsupported
from deployctl.yamlsource import LocatedList, LocatedMap, load_yaml_file


@dataclass(frozen=True)
class LintReport:
    """One linted playbook (or role): what refuses it, and the unsupported tasks only some hosts may reach."""

    name: str
    problems: tuple[InputError, ...]
    conditional: tuple[UnsupportedTask, ...]


def is_role_folder(path: Path) -> bool:
    """Whether a folder is a role: it has tasks/main.yml (or .yaml)."""
    return path.is_dir() and any((path / "tasks" / name).is_file() for name in ("main.yml", "main.yaml"))


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


def role_play(role: Path, display: str) -> tuple[Playbook, list[InputError]]:
    """A role folder read as the play `- hosts: all, roles: [<role>]`, its parent folder on the roles path."""
    play = LocatedMap(display, 1)
    play["hosts"] = "all"
    play.key_lines["hosts"] = 1
    roles = LocatedList(display, 1)
    roles.append(role.name)
    roles.item_lines.append(1)
    play["roles"] = roles
    play.key_lines["roles"] = 1
    plays = LocatedList(display, 1)
    plays.append(play)
    plays.item_lines.append(1)
    return read_playbook(plays, role.parent / f"{role.name}.yml", display, roles_path=[role.parent])


def lint_one(path: Path, display: str) -> LintReport:
    """The report of one playbook or role folder, every problem of its tree listed in one pass."""
    try:
        if is_role_folder(path):
            playbook, refusing = role_play(path, display)
        else:
            playbook, refusing = read_playbook(load_yaml_file(path, display), path, display)
    except InputError as exc:
        return LintReport(display, (exc,), ())
    found = playbook_unsupported(playbook)
    certain = [problem for use in found if use.certain for problem in use.task.unsupported]
    problems = (*refusing, *certain, *content_problems(playbook, playbook.templar()))
    return LintReport(display, problems, tuple(use for use in found if not use.certain))


def lint(path: Path) -> list[LintReport]:
    """Lint a playbook, a role folder or a folder of playbooks."""
    if not path.exists():
        raise InputError(str(path), None, None, "no such file or folder")
    if path.is_dir() and not is_role_folder(path):
        return [lint_one(target.resolve(), str(target)) for target in playbooks_in(path)]
    return [lint_one(path.resolve(), str(path))]
