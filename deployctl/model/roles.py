"""Ansible roles on disk: where a role is found, and the files of its parts (pure path logic, no YAML).

A role is a folder with `tasks/`, `handlers/`, `defaults/`, `vars/`, `templates/`, `files/` and
`meta/main.yml` (dependencies). It is found, as Ansible does, in `roles/` beside the playbook, then on
the roles path (deployctl.yml `roles_path`, then `ANSIBLE_ROLES_PATH`), then beside the playbook; a
name with a slash is a path.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROLES_PATH_ENV = "ANSIBLE_ROLES_PATH"
YAML_SUFFIXES = ("", ".yml", ".yaml", ".json")


@dataclass(frozen=True)
class RoleFolder:
    """A role found on disk: its name (as written) and its folder."""

    name: str
    path: Path

    def part(self, part: str, name: str = "main") -> Path | None:
        """The YAML file of a part (`tasks`, `defaults`...), `main` unless `tasks_from` etc. say otherwise."""
        return find_yaml(self.path / part, name)


def find_yaml(folder: Path, name: str) -> Path | None:
    """`name`, `name.yml`, `name.yaml` or `name.json` in `folder`, whichever exists first."""
    for suffix in YAML_SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def environment_roles_path() -> tuple[Path, ...]:
    """The folders of `ANSIBLE_ROLES_PATH` (colon-separated), if set."""
    value = os.environ.get(ROLES_PATH_ENV, "")
    return tuple(Path(part).expanduser() for part in value.split(os.pathsep) if part.strip())


def role_search_dirs(playbook_dir: Path, roles_path: Sequence[Path]) -> list[Path]:
    """Where roles are looked for, in order."""
    return [playbook_dir / "roles", *roles_path, *environment_roles_path(), playbook_dir]


def find_role(name: str, search_dirs: Sequence[Path], relative_to: Path) -> RoleFolder | None:
    """The role called `name`, or None; a name with a slash is a folder (relative to `relative_to`)."""
    if "/" in name:
        path = Path(name).expanduser()
        path = path if path.is_absolute() else relative_to / path
        return RoleFolder(path.name, path) if path.is_dir() else None
    for folder in search_dirs:
        candidate = folder / name
        if candidate.is_dir() and any((candidate / part).is_dir() for part in ("tasks", "handlers", "meta", "vars")):
            return RoleFolder(name, candidate)
    return None
