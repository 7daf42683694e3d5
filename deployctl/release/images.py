"""A release's snapshot loaded, and its images: a play with container targets compiled and built from the
snapshot (`build_play_image`), the deploy spec kept as JSON beside its digest. What is recorded in the ledger
is the operations' (deployctl.operations.release).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from deployctl.immutable.recipe import ImageRelease, RuntimeTemplate, ServiceSpec
from deployctl.immutable.stages import stage_variables
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Play, Playbook
from deployctl.model.project import Project
from deployctl.model.records import ReleaseRow
from deployctl.release.store import release_project

if TYPE_CHECKING:
    from deployctl.dockerapi.types import EngineApi

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


def build_play_image(
    client: EngineApi, loaded: LoadedRelease, play: Play, scopes: dict[str, dict[str, Any]], say: Say
) -> ImageRelease:
    """Compile the play from the release's snapshot (its container targets' variables) and build its image.

    Nothing is built when the content-addressed tag exists.
    """
    from deployctl.immutable.build import build_release, compile_with_base

    built = build_release(client, compile_with_base(client, loaded.playbook, play, scopes), say)
    for note in built.not_baked:
        say(f"not baked: {note}")
    return built


def image_exists(client: EngineApi, image_id: str) -> bool:
    """Whether the Docker host still has the image (by digest)."""
    return client.find_image(image_id) is not None
