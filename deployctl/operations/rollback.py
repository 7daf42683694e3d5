"""The `rollback` use case: the stage's containers returned to a previous release through their engine (plain
containers or a Swarm service), recorded with the release the stage returns to, named from its history."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deployctl.errors import DeployctlError
from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import stage_lock
from deployctl.ledger.records import deployment_hosts, deployments, get_release, release_images
from deployctl.model.project import Project
from deployctl.model.records import DeploymentRow, HostOutcome
from deployctl.operations.context import EngineFactory, Say, stage_context
from deployctl.operations.recording import fill_rollback, recorded_rollback
from deployctl.operations.targets import container_targets_of
from deployctl.pipeline.gates import current_deployment
from deployctl.release.store import release_project

if TYPE_CHECKING:
    from deployctl.immutable.engines import ContainerTarget
    from deployctl.immutable.rollout import RolloutResult

StageHistory = Sequence[tuple[DeploymentRow, Sequence[HostOutcome]]]
"""A stage's deployments, oldest first, each with its hosts' outcomes."""


@dataclass(frozen=True)
class StageRollback:
    """A recorded rollback: its deployment, the release the stage returned to (None when unknown), the rollout."""

    deployment_id: int
    release_id: str | None
    result: RolloutResult

    @property
    def ok(self) -> bool:
        """True when the stage serves the release it was rolled back to."""
        return self.result.ok


def ran_image(hosts: Sequence[HostOutcome], image: str) -> bool:
    """Whether a deployment's containers ran `image` (its tag or its digest)."""
    return any(
        host.kind == "container" and image in (host.detail.get("image"), host.detail.get("image_id")) for host in hosts
    )


def returned_release(history: StageHistory, image: str) -> str | None:
    """The release a rollback to `image` returned the stage to, from the stage's deployment history.

    Two releases can share an image (a release that changes only the stage's config files or its VMs keeps
    it), so the image alone does not name the release. The stage leaves the release of its newest successful
    container deployment; it returns to the release of the newest successful one before it that ran `image`
    and is another release (the current one when no other ran it). Rollbacks are deployments too, so
    repeated rollbacks alternate between the two releases, as the engines do.
    """
    done = [
        (row, hosts)
        for row, hosts in history
        if row.outcome == "ok" and row.release_id is not None and any(h.kind == "container" for h in hosts)
    ]
    if not done:
        return None
    (current, current_hosts), *earlier = sorted(done, key=lambda item: item[0].id, reverse=True)
    for row, hosts in earlier:
        if row.release_id != current.release_id and ran_image(hosts, image):
            return row.release_id
    return current.release_id if ran_image(current_hosts, image) else None


def recorded_image_id(connection: sqlite3.Connection, release_id: str | None, image: str) -> str | None:
    """The digest the ledger recorded for `image` (a tag or a digest) of the release, None when it has none."""
    if release_id is None:
        return None
    found = [i.image_id for i in release_images(connection, release_id) if image in (i.image, i.image_id)]
    return found[0] if found else None


def deployment_history(connection: sqlite3.Connection, stage: str) -> list[tuple[DeploymentRow, list[HostOutcome]]]:
    """The stage's deployments, oldest first, each with its hosts' outcomes (from the ledger)."""
    return [(row, deployment_hosts(connection, row.id)) for row in deployments(connection, stage)]


def running_container_targets(connection: sqlite3.Connection, project: Project, stage: str) -> list[ContainerTarget]:
    """The stage's container targets as named by the release it runs now (the working tree's when it runs none)."""
    current = current_deployment(deployments(connection, stage))
    row = get_release(connection, current.release_id) if current is not None and current.release_id else None
    source = release_project(project, row)[0] if row is not None else None
    inventory = stage_context(project, stage, source).inventory
    hosts = [host for host in inventory.hosts.values() if host.strategy == "immutable"]
    return list(container_targets_of(project, stage, hosts).values())


def rollback(project: Project, stage: str, to: str | None, engine: EngineFactory, say: Say) -> StageRollback:
    """Return the stage's containers to the previous release (or `to`: tag, image id or context hash), recorded.

    The container target (and its engine) is the one the release the stage runs now names; a stage's targets
    share one set of replicas, so it is rolled back once.
    """
    from deployctl.immutable.engines import RollOptions, engine_for

    project.require_stage(stage)
    with closing(open_ledger(project.ledger)) as connection:
        targets = running_container_targets(connection, project, stage)
        if not targets:
            raise DeployctlError(f"the {stage} inventory has no container target to roll back")
        if len({t.engine for t in targets}) > 1:
            hosts = ", ".join(f"{t.host} ({t.engine})" for t in targets)
            raise DeployctlError(f"{stage}: its container targets name different engines ({hosts})")
        target = targets[0]
        client = engine()
        with stage_lock(connection, stage, "rollback", say), recorded_rollback(connection, stage) as record:
            result = engine_for(target, client, say).rollback(target, to, RollOptions())
            record.release_id = returned_release(deployment_history(connection, stage), result.image)
            fill_rollback(record, target.host, result, recorded_image_id(connection, record.release_id, result.image))
    return StageRollback(record.deployment_id, record.release_id, result)
