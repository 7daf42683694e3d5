"""How a `deploy` is recorded: a deployment of the playbook's release with the immutable strategy."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from deployctl.immutable.recipe import ImageRelease
from deployctl.immutable.rollout import RolloutResult
from deployctl.ledger.db import now_iso
from deployctl.ledger.recording import DeploymentRecord, recorded_deployment
from deployctl.ledger.records import HostOutcome, ReleaseImage, save_release_image
from deployctl.model.project import Project

# A rollout's outcome -> the deployment's outcome (`unchanged` means the stage already ran the release).
DEPLOY_OUTCOMES = {"deployed": "ok", "unchanged": "ok", "rolled_back": "rolled_back", "failed": "failed"}


def stack_deploy_record(project: Project, playbook: Path, stage: str) -> AbstractContextManager[DeploymentRecord]:
    """Record a deploy of `playbook`'s release to `stage`'s containers."""
    return recorded_deployment(project, playbook, stage, "deploy", "immutable")


def record_rollout(
    record: DeploymentRecord, play: str, host: str, release: ImageRelease, result: RolloutResult
) -> None:
    """Add one container target's rollout to the deployment: the release's image, the host's result, the load."""
    save_release_image(
        record.connection,
        ReleaseImage(record.release.id, play, release.image, release.image_id, release.context_hash, now_iso()),
    )
    detail = {
        "image": result.image,
        "image_id": release.image_id,
        "previous_image": result.previous_image,
        "engine": result.engine,
        "replaced": result.replaced,
        "seconds": round(result.seconds, 3),
    }
    record.hosts.append(HostOutcome(host, "container", result.outcome, detail))
    if result.load is not None:
        record.requests_sent = (record.requests_sent or 0) + result.load.sent
        record.requests_failed = (record.requests_failed or 0) + result.load.failed
    outcomes = {DEPLOY_OUTCOMES.get(h.status, "failed") for h in record.hosts}
    record.outcome = next((o for o in ("failed", "rolled_back") if o in outcomes), "ok")
    record.reason = result.reason or record.reason
