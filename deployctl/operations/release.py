"""The `release create` and `release list` use cases, and how a release and its images are recorded in the ledger.

A release is made once (its snapshot written, its row recorded) and deployed and promoted as exactly that: its
images are built once, recorded with their digest and deploy spec, and given back by digest, never rebuilt.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deployctl.errors import DeployctlError, InputError
from deployctl.ledger.db import actor, now_iso, open_ledger
from deployctl.ledger.records import (
    get_release,
    list_releases,
    release_images,
    save_release,
    save_release_image,
)
from deployctl.model.playbook import Playbook
from deployctl.model.project import Project
from deployctl.model.records import ReleaseImage, ReleaseRow
from deployctl.operations.context import EngineFactory, Say, stage_contexts
from deployctl.release.store import snapshot_release

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi
    from deployctl.immutable.recipe import ImageRelease
    from deployctl.release.images import LoadedRelease

# An apply records its release and needs nothing of images: release.images and the stage targets are imported by
# the functions that build, find or check a release's images.


@dataclass(frozen=True)
class StoredRelease:
    """A release of the ledger and the images of its container plays."""

    row: ReleaseRow
    images: tuple[ReleaseImage, ...]


def default_playbook(project: Project, playbook: Path | None) -> Path:
    """The playbook a release is made of: the one given, else playbooks/webapp.yml."""
    return (playbook or project.root / "playbooks" / "webapp.yml").resolve()


def release_row(project: Project, playbook: Path, loaded: Playbook | None = None, note: str = "") -> ReleaseRow:
    """The release of the playbook (`loaded` from it, if the caller holds it) and inventories as they are now, its
    snapshot written if it is new; the row to record (the ledger is not touched)."""
    content, folder = snapshot_release(project, playbook, loaded)
    return ReleaseRow(
        id=content.release_id,
        content_hash=content.content_hash,
        playbook=content.playbook_source,
        snapshot_dir=str(folder),
        created_at=now_iso(),
        created_by=actor(),
        note=note,
    )


def record_release(connection: sqlite3.Connection, project: Project, playbook: Path, note: str = "") -> ReleaseRow:
    """The release of the playbook and inventories as they are now: snapshot and record it unless it exists."""
    return save_release(connection, release_row(project, playbook, note=note))


def find_release(connection: sqlite3.Connection, wanted: str) -> ReleaseRow:
    """The release named `wanted` (id or hash prefix), or an error saying where to find what exists."""
    release = get_release(connection, wanted)
    if release is None:
        raise DeployctlError(f"no release {wanted!r} in the ledger (see `deployctl release list`)")
    return release


def resolve_release(
    connection: sqlite3.Connection, project: Project, release: str | None, playbook: Path | None
) -> ReleaseRow:
    """The release named `release`, else one made from the working tree (snapshotted, recorded).

    A playbook given with a release must be the release's own: a release deploys its own playbook.
    """
    if release is not None:
        row = find_release(connection, release)
        named = project.display(default_playbook(project, playbook)) if playbook is not None else row.playbook
        if named != row.playbook:
            problem = f"release {row.id} is made of {row.playbook}, not {named}: a release deploys its own playbook"
            raise InputError("--playbook", None, None, problem)
        return row
    return record_release(connection, project, default_playbook(project, playbook))


def build_release_images(
    engine: EngineFactory, connection: sqlite3.Connection, loaded: LoadedRelease, say: Say
) -> list[ReleaseImage]:
    """Build (or find up to date) the image of every play with container targets and record it for the release.

    The Docker engine is reached only when a play has container targets. An image already recorded for the
    release and still on the Docker host is kept as it is, never rebuilt.
    """
    from deployctl.release.images import build_play_image, container_scopes, image_exists, image_release_to_json

    plays = [(play, scopes) for play in loaded.playbook.plays if (scopes := container_scopes(loaded, play))]
    if not plays:
        return []
    from deployctl.lab.images import ensure_base_image

    client = engine()
    ensure_base_image(client, loaded.project.root / "images", say)
    recorded = {image.play: image for image in release_images(connection, loaded.row.id)}
    images: list[ReleaseImage] = []
    for play, scopes in plays:
        known = recorded.get(play.name)
        if known is not None and known.spec != "{}" and image_exists(client, known.image_id):
            say(f"release {loaded.row.id}: play {play.name!r} is image {known.image} ({known.image_id})")
            images.append(known)
            continue
        built = build_play_image(client, loaded, play, scopes, say)
        image = ReleaseImage(
            loaded.row.id,
            play.name,
            built.image,
            built.image_id,
            built.context_hash,
            now_iso(),
            image_release_to_json(built),
        )
        save_release_image(connection, image)
        images.append(image)
    return images


def recorded_image_release(
    client: EngineApi, connection: sqlite3.Connection, release_id: str, play: str
) -> ImageRelease:
    """The image recorded for a release's play, exactly (by digest); an error when none is recorded or it is gone."""
    from deployctl.release.images import image_exists, image_release_from_json

    found = {image.play: image for image in release_images(connection, release_id)}.get(play)
    if found is None or found.spec == "{}":
        raise DeployctlError(
            f"release {release_id} has no image recorded for play {play!r}: run `deployctl release create`"
        )
    if not image_exists(client, found.image_id):
        raise DeployctlError(
            f"release {release_id}: its image {found.image} ({found.image_id}) is not on this Docker host any more; "
            "it cannot be deployed as exactly the same thing (make a new release)"
        )
    return image_release_from_json(found.spec)


def create_release(
    project: Project, playbook: Path | None, engine: EngineFactory, say: Say, *, note: str = ""
) -> StoredRelease:
    """Snapshot and record the release (the same content gives the same release), check it against every stage,
    and build and record its images.

    Invalid input (a playbook that does not fit a stage's variables) is reported before anything is built.
    """
    from deployctl.operations.targets import check_vm_input, stage_targets
    from deployctl.release.images import load_release

    with closing(open_ledger(project.ledger)) as connection:
        row = record_release(connection, project, default_playbook(project, playbook), note)
        loaded = load_release(project, row)
        for context in stage_contexts(project, source=loaded.project).values():
            check_vm_input(loaded, stage_targets(loaded, context))
        images = build_release_images(engine, connection, loaded, say)
    return StoredRelease(row, tuple(images))


def listed_releases(project: Project) -> list[StoredRelease]:
    """Every release of the ledger, oldest first, with its images."""
    with closing(open_ledger(project.ledger)) as connection:
        return [StoredRelease(row, tuple(release_images(connection, row.id))) for row in list_releases(connection)]
