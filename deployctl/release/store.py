"""Keep a release's content: copied into the state folder once (atomically), and read back as a project."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from deployctl.errors import DeployctlError
from deployctl.model.playbook import Playbook
from deployctl.model.project import Project
from deployctl.model.records import ReleaseRow
from deployctl.release.content import INVENTORY_FOLDER, ReleaseContent, ReleaseFile, collect_release
from deployctl.statedir import private_folder

MANIFEST = "release.json"


def snapshot_dir(state_dir: Path, release_id: str) -> Path:
    """Where a release's content is kept."""
    return state_dir / "releases" / release_id


def write_snapshot(content: ReleaseContent, folder: Path) -> None:
    """Copy the release's files and a manifest into `folder`, atomically (nothing half-written is ever there)."""
    if (folder / MANIFEST).is_file():
        return
    private_folder(folder.parent)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for item in content.files:
            _copy_file(item, partial / item.path)
        manifest = {
            "content_hash": content.content_hash,
            "playbook": content.playbook,
            "playbook_source": content.playbook_source,
            "files": {f.path: f.digest for f in content.files},
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _copy_file(item: ReleaseFile, target: Path) -> None:
    """Write one file of the release (a link as a link), with the bytes that were hashed, or fail."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if item.link is not None:
        target.symlink_to(item.link)
        return
    data = item.source.read_bytes()
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise DeployctlError(f"{item.source} changed while the release was made: make it again")
    target.write_bytes(data)
    shutil.copystat(item.source, target)


def snapshot_release(project: Project, playbook: Path, loaded: Playbook | None = None) -> tuple[ReleaseContent, Path]:
    """The release of the playbook (`loaded` from it, if the caller holds it) and inventories as they are now, and
    the folder its snapshot is kept in (written only when the release is new)."""
    content = collect_release(project, playbook, loaded)
    folder = snapshot_dir(project.state_dir, content.release_id)
    write_snapshot(content, folder)
    return content, folder


def release_project(project: Project, release: ReleaseRow) -> tuple[Project, Path]:
    """The project as the release saw it (its inventories) and the release's playbook, from its snapshot."""
    folder = Path(release.snapshot_dir)
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise DeployctlError(f"release {release.id}: its snapshot {folder} is missing")
    manifest = json.loads(manifest_path.read_text())
    return replace(project, inventory_dir=folder / INVENTORY_FOLDER), folder / str(manifest["playbook"])
