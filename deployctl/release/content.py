"""What a release contains, and its content hash.

A release is the playbook's folder (the playbook, its templates, files, roles and vars files) and the
inventory folder (every stage's variables), file by file. The hash covers each file's path and bytes, so the
same content always gives the same release, wherever and whenever it is made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from deployctl.errors import DeployctlError
from deployctl.model.project import Project

SKIPPED_NAMES = frozenset({"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".retry", ".swp", "~")
# A playbook at the project root takes only the playbook files and Ansible's content folders beside it.
ROOT_CONTENT = frozenset({"roles", "tasks", "handlers", "templates", "files", "vars", "group_vars", "host_vars"})
PLAYBOOK_FOLDER = "playbook"
INVENTORY_FOLDER = "inventories"


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release: where it goes in the snapshot, where it comes from, and its sha256."""

    path: str
    source: Path
    sha256: str


@dataclass(frozen=True)
class ReleaseContent:
    """Everything a release is made of, and the hash that names it."""

    playbook: str  # the playbook inside the snapshot, e.g. playbook/webapp.yml
    playbook_source: str  # the playbook as the project names it, e.g. playbooks/webapp.yml
    files: tuple[ReleaseFile, ...]
    content_hash: str

    @property
    def release_id(self) -> str:
        """The short name of the release: the first 12 hex digits of its hash."""
        return self.content_hash[:12]


def _tree(root: Path, skip: Path, only: frozenset[str] | None = None) -> Iterable[Path]:
    """Files under `root`, sorted, without caches, hidden folders and `skip` (the state folder)."""
    inside_skip = root.is_relative_to(skip)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        top_playbook = len(relative.parts) == 1 and path.suffix in (".yml", ".yaml")
        if only is not None and not (top_playbook or relative.parts[0] in only):
            continue
        hidden = any(part.startswith(".") for part in relative.parts[:-1])
        if hidden or any(part in SKIPPED_NAMES for part in relative.parts) or path.name.endswith(SKIPPED_SUFFIXES):
            continue
        if path.is_file() and (inside_skip or not path.is_relative_to(skip)):
            yield path


def content_hash(files: Iterable[tuple[str, str]]) -> str:
    """The release hash of (snapshot path, file sha256) pairs: independent of their order."""
    digest = hashlib.sha256()
    for path, sha in sorted(files):
        digest.update(f"{path}\0{sha}\n".encode())
    return digest.hexdigest()


def collect_release(project: Project, playbook: Path) -> ReleaseContent:
    """Read the playbook's folder and the inventory folder of `project` into a release's content."""
    playbook = playbook.resolve()
    if not playbook.is_file():
        raise DeployctlError(f"{project.display(playbook)}: no such playbook")
    folders = ((PLAYBOOK_FOLDER, playbook.parent), (INVENTORY_FOLDER, project.inventory_dir))
    files: list[ReleaseFile] = []
    for prefix, folder in folders:
        only = ROOT_CONTENT if folder == project.root else None
        for path in _tree(folder, project.state_dir, only):
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            files.append(ReleaseFile(f"{prefix}/{path.relative_to(folder).as_posix()}", path, sha))
    return ReleaseContent(
        playbook=f"{PLAYBOOK_FOLDER}/{playbook.name}",
        playbook_source=project.display(playbook),
        files=tuple(files),
        content_hash=content_hash((f.path, f.sha256) for f in files),
    )
