"""What a release contains, and its content hash.

A release is its entry playbook and every file of the project that playbook's content reads: the playbook's
folder, and the vars files, task files, imported playbooks, roles and `src` files it names elsewhere in the
project, kept at their place in the project (so `../` paths resolve in the snapshot as in the working tree),
with deployctl.yml (its `roles_path`); and the inventory folder (every stage's variables). A file outside the
project is refused, naming where the playbook names it. Symbolic links are kept as links (their target text
is hashed) and may not lead outside the project. The hash covers the entry playbook's path and each file's
path and bytes, so the same content always gives the same release, wherever and whenever it is made.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from deployctl.errors import InputError
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook
from deployctl.model.project import CONFIG_NAME, Project

SKIPPED_NAMES = frozenset({"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".retry", ".swp", "~")
# A playbook at the project root takes only the playbook files and Ansible's content folders beside it.
ROOT_CONTENT = frozenset({"roles", "tasks", "handlers", "templates", "files", "vars", "group_vars", "host_vars"})
PROJECT_FOLDER = "project"
OUTSIDE_PLAYBOOK_FOLDER = "playbook"
INVENTORY_FOLDER = "inventories"


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release: where it goes in the snapshot, where it comes from, and its sha256; a symbolic
    link has its target instead, and is kept as a link."""

    path: str
    source: Path
    sha256: str
    link: str | None = None

    @property
    def digest(self) -> str:
        """What the release hash takes of the file: its sha256, or a link's target text."""
        return self.sha256 if self.link is None else f"-> {self.link}"


@dataclass(frozen=True)
class ReleaseContent:
    """Everything a release is made of, and the hash that names it."""

    playbook: str  # the playbook inside the snapshot, e.g. project/playbooks/webapp.yml
    playbook_source: str  # the playbook as the project names it, e.g. playbooks/webapp.yml
    files: tuple[ReleaseFile, ...]
    content_hash: str

    @property
    def release_id(self) -> str:
        """The short name of the release: the first 12 hex digits of its hash."""
        return self.content_hash[:12]


def _skipped(relative: Path) -> bool:
    """Caches, editor leftovers and files in hidden folders are never part of a release."""
    hidden = any(part.startswith(".") for part in relative.parts[:-1])
    return hidden or any(part in SKIPPED_NAMES for part in relative.parts) or relative.name.endswith(SKIPPED_SUFFIXES)


def _tree(root: Path, skip: Path, only: frozenset[str] | None = None) -> Iterator[Path]:
    """Files and symbolic links under `root` (a link is not followed), sorted, without caches, hidden folders
    and `skip` (the state folder); `root` itself when it is a file or a link."""
    if root.is_symlink() or root.is_file():
        yield root
        return
    inside_skip = root.is_relative_to(skip)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        top_playbook = len(relative.parts) == 1 and path.suffix in (".yml", ".yaml")
        if only is not None and not (top_playbook or relative.parts[0] in only):
            continue
        if _skipped(relative):
            continue
        if (path.is_symlink() or path.is_file()) and (inside_skip or not path.is_relative_to(skip)):
            yield path


def content_hash(files: Iterable[tuple[str, str]], playbook: str) -> str:
    """The release hash of its entry playbook and (snapshot path, file digest) pairs, in any order."""
    digest = hashlib.sha256(f"playbook\0{playbook}\n".encode())
    for path, sha in sorted(files):
        digest.update(f"{path}\0{sha}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class _Folder:
    """Where a part of the release comes from: its folder, its prefix in the snapshot, how errors name it."""

    base: Path
    prefix: str
    name: str


class _Collector:
    """Gathers a release's files: each once, links kept as links and their targets taken in too."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.root = project.root.resolve()
        self.files: dict[str, ReleaseFile] = {}

    def display(self, path: Path) -> str:
        """A path as errors show it: relative to the project root when inside it."""
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)

    def take(self, path: Path, folder: _Folder, only: frozenset[str] | None = None) -> None:
        """Take in a file, a link or a folder's tree (and, in turn, whatever its links point to)."""
        pending = [_through_link(path, folder.base)]
        while pending:
            for item in _tree(pending.pop(), self.project.state_dir, only):
                target = self._add(item, folder)
                if target is not None and os.path.lexists(target):
                    pending.append(target)
            only = None

    def _add(self, path: Path, folder: _Folder) -> Path | None:
        """Add one file or link; a link's target (inside `folder`, else an error) is returned to take in."""
        snapshot_path = f"{folder.prefix}/{path.relative_to(folder.base).as_posix()}"
        if snapshot_path in self.files:
            return None
        if not path.is_symlink():
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            self.files[snapshot_path] = ReleaseFile(snapshot_path, path, sha)
            return None
        link = str(path.readlink())
        target = _lexical(path.parent / link)
        if Path(link).is_absolute() or not target.is_relative_to(folder.base):
            problem = f"a symbolic link to {link}: a release keeps only links relative to a file of the {folder.name}"
            raise InputError(self.display(path), None, None, problem)
        if not path.resolve().is_relative_to(folder.base):
            problem = f"a symbolic link to {link} leads outside the {folder.name} (through another link)"
            raise InputError(self.display(path), None, None, problem)
        self.files[snapshot_path] = ReleaseFile(snapshot_path, path, "", link)
        return target


def collect_release(project: Project, playbook: Path, loaded: Playbook | None = None) -> ReleaseContent:
    """Read the entry playbook, the project's files its content reads and the inventory folder into a release.

    A file the content names outside the project (or, for a playbook outside the project, outside the
    playbook's folder) is an InputError at the line that names it. `loaded` is the playbook already loaded
    from that file, if the caller holds it (it is not parsed again).
    """
    root = project.root.resolve()
    playbook = playbook.resolve()
    shown = project.display(playbook)
    if not playbook.is_file():
        raise InputError(shown, None, None, "no such playbook")
    if loaded is None:
        loaded = load_playbook(playbook, display=shown)
    content = _content_folder(root, playbook)
    outside = [use for use in loaded.uses if not _inside(_lexical(use.path), content.base)]
    if outside:
        use = outside[0]
        problem = (
            f"{_lexical(use.path)} is outside the {content.name} ({content.base}): "
            f"a release holds only the {content.name}'s files"
        )
        raise InputError(use.source, use.line, use.field, problem)
    collector = _Collector(project)
    collector.take(playbook.parent, content, ROOT_CONTENT if playbook.parent == root else None)
    for use in loaded.uses:
        collector.take(_lexical(use.path), content)
    if (root / CONFIG_NAME).is_file():
        collector.take(root / CONFIG_NAME, _Folder(root, PROJECT_FOLDER, "project"))
    inventory_dir = project.inventory_dir.resolve()
    collector.take(inventory_dir, _Folder(inventory_dir, INVENTORY_FOLDER, "inventory folder"))
    files = tuple(sorted(collector.files.values(), key=lambda f: f.path))
    entry = f"{content.prefix}/{playbook.relative_to(content.base).as_posix()}"
    return ReleaseContent(
        playbook=entry,
        playbook_source=shown,
        files=files,
        content_hash=content_hash(((f.path, f.digest) for f in files), entry),
    )


def _content_folder(root: Path, playbook: Path) -> _Folder:
    """Where the playbook's content comes from: the project, or the playbook's own folder when it lies outside
    the project (a playbook given by path, e.g. a variant in a temporary folder)."""
    if playbook.is_relative_to(root):
        return _Folder(root, PROJECT_FOLDER, "project")
    return _Folder(playbook.parent, OUTSIDE_PLAYBOOK_FOLDER, "playbook's folder")


def _through_link(path: Path, base: Path) -> Path:
    """The first symbolic link from `base` down to `path` (a linked folder is kept as the link), else `path`."""
    for parent in reversed(path.relative_to(base).parents[:-1]):
        if (base / parent).is_symlink():
            return base / parent
    return path


def _lexical(path: Path) -> Path:
    """An absolute path with its `..` parts resolved by name, links not followed (as the snapshot sees it)."""
    return Path(os.path.normpath(path.absolute()))


def _inside(path: Path, root: Path) -> bool:
    """Whether `path` is in `root`, by its name and after following its links."""
    return path.is_relative_to(root) and path.resolve().is_relative_to(root)
