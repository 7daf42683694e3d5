"""A release's images: built once from its snapshot, recorded with their digest, deployed as exactly that image.

`build_release_images` compiles every play that has container targets (in any stage) from the release's
snapshot and builds it (nothing when the content-addressed tag exists), then records image, digest and the
deploy spec. `recorded_image_release` gives the recorded image back for a rollout: never rebuilt, so every
stage runs the same digest.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from deployctl.errors import DeployctlError
from deployctl.immutable.recipe import ImageRelease, RuntimeTemplate, ServiceSpec
from deployctl.immutable.stages import stage_variables
from deployctl.ledger.db import now_iso
from deployctl.ledger.records import release_images, save_release_image
from deployctl.model.loader import load_playbook
from deployctl.model.playbook import Play, Playbook
from deployctl.model.project import Project
from deployctl.model.records import ReleaseImage, ReleaseRow
from deployctl.release.store import release_project

if TYPE_CHECKING:
    from docker import DockerClient

Say = Callable[[str], None]


@dataclass(frozen=True)
class LoadedRelease:
    """A release's snapshot loaded: the project as the release saw it, and its playbook."""

    row: ReleaseRow
    project: Project
    playbook: Playbook


def load_release(project: Project, release: ReleaseRow) -> LoadedRelease:
    """The release's snapshot as a project (its inventories) and a playbook (validated, with file and line)."""
    snapshot, path = release_project(project, release)
    return LoadedRelease(release, snapshot, load_playbook(path, display=release.playbook))


def container_scopes(loaded: LoadedRelease, play: Play) -> dict[str, dict[str, Any]]:
    """The play's container targets in every stage of the release, with their variables (compile needs them all)."""
    every = stage_variables(loaded.project, loaded.playbook, play)
    return {name: scope for name, scope in every.items() if scope.get("deployctl_strategy") == "immutable"}


def image_release_to_json(release: ImageRelease) -> str:
    """The deploy spec of a built image, as the ledger keeps it."""
    return json.dumps(asdict(release), sort_keys=True)


def image_release_from_json(text: str) -> ImageRelease:
    """The deploy spec the ledger kept, back as an ImageRelease."""
    data = json.loads(text)
    service = dict(data["service"])
    service["command"] = tuple(service["command"])
    return ImageRelease(
        app=data["app"],
        image=data["image"],
        image_id=data["image_id"],
        context_hash=data["context_hash"],
        service=ServiceSpec(**service),
        runtime_templates=tuple(RuntimeTemplate(**t) for t in data["runtime_templates"]),
        not_baked=tuple(data["not_baked"]),
        replaced_by_container=tuple(data["replaced_by_container"]),
    )


def build_release_images(
    client: DockerClient, connection: sqlite3.Connection, loaded: LoadedRelease, say: Say
) -> list[ReleaseImage]:
    """Build (or find up to date) the image of every play with container targets and record it for the release.

    An image already recorded for the release and still on the Docker host is kept as it is, never rebuilt.
    """
    from deployctl.immutable.build import build_release, compile_with_base

    recorded = {image.play: image for image in release_images(connection, loaded.row.id)}
    images: list[ReleaseImage] = []
    for play in loaded.playbook.plays:
        scopes = container_scopes(loaded, play)
        if not scopes:
            continue
        known = recorded.get(play.name)
        if known is not None and known.spec != "{}" and _image_exists(client, known.image_id):
            say(f"release {loaded.row.id}: play {play.name!r} is image {known.image} ({known.image_id})")
            images.append(known)
            continue
        built = build_release(client, compile_with_base(client, loaded.playbook, play, scopes), say)
        for note in built.not_baked:
            say(f"not baked: {note}")
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
    client: DockerClient, connection: sqlite3.Connection, release_id: str, play: str
) -> ImageRelease:
    """The image recorded for a release's play, exactly (by digest); an error when none is recorded or it is gone."""
    found = {image.play: image for image in release_images(connection, release_id)}.get(play)
    if found is None or found.spec == "{}":
        raise DeployctlError(
            f"release {release_id} has no image recorded for play {play!r}: run `deployctl release create`"
        )
    if not _image_exists(client, found.image_id):
        raise DeployctlError(
            f"release {release_id}: its image {found.image} ({found.image_id}) is not on this Docker host any more; "
            "it cannot be deployed as exactly the same thing (make a new release)"
        )
    return image_release_from_json(found.spec)


def _image_exists(client: DockerClient, image_id: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.images.get(image_id)
    except ImageNotFound:
        return False
    return True
