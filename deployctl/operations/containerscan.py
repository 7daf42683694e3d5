"""Scan a stage's containers against their release: image id, `docker diff`, environment, mounted config.

The replicas are found by their labels (`deployctl.stage`, `deployctl.role=app`, as rollouts start them) and
read through the Docker layer (deployctl.dockerapi.replicas), their config files from the Docker host's disk;
drift.compare compares what was read.
A mounted config folder is named by the digest of its files when the rollout wrote it: the files' digest
now tells whether someone edited them on the Docker host.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from deployctl.dockerapi.replicas import ReplicaReading, read_replica
from deployctl.dockerapi.types import Container, EngineApi, EngineError
from deployctl.drift.compare import (
    ConfigCheck,
    ContainerExpectation,
    ContainerState,
    config_values,
    container_items,
    redacted_facts,
    redacted_item,
    replica_items,
    short_id,
)
from deployctl.drift.ignore import IgnoreRule, split_ignored
from deployctl.drift.model import DriftItem, HostScan, host_status
from deployctl.immutable.build import RUNTIME_FILE_MODE
from deployctl.immutable.history import load_history
from deployctl.immutable.recipe import RuntimeFile
from deployctl.immutable.replica import config_digest
from deployctl.immutable.resources import (
    ROLE_LABEL,
    STAGE_LABEL,
    SWARM_TASK_LABEL,
    is_rollout_resource,
    is_stage_resource,
)
from deployctl.immutable.swarm import swarm_config_name
from deployctl.redaction import Redactor

MOUNT_POINT = "mount point (the mounted file is checked as config)"


class ReplicaIndex:
    """Every stage's app replicas (containers a rollout started, by label), listed once for a whole scan, and
    the environment of each image they run, read once: one list call, one inspect per container and image."""

    def __init__(self, client: EngineApi) -> None:
        self.client = client
        self.image_env: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._by_stage: dict[str, list[Container]] | None = None

    def replicas(self, stage: str) -> list[Container]:
        """The stage's replicas, by name: plain replicas, and the running task containers of a Swarm service."""
        with self._lock:
            if self._by_stage is None:
                found = self.client.list_containers([f"{ROLE_LABEL}=app"])
                by_stage: dict[str, list[Container]] = {}
                for container in found:
                    labels = container.labels
                    owner = labels.get(STAGE_LABEL, "")
                    if SWARM_TASK_LABEL in labels and container.status != "running":
                        continue  # a task Swarm shut down and keeps as history (its replacement is counted)
                    if is_stage_resource(labels, owner, "app") and is_rollout_resource(labels, owner):
                        by_stage.setdefault(owner, []).append(container)
                self._by_stage = {key: sorted(group, key=lambda c: c.name) for key, group in by_stage.items()}
            return list(self._by_stage.get(stage, []))


def _read(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def config_checks(mounts: Mapping[str, str]) -> tuple[ConfigCheck, ...]:
    """Per mounted config folder: the digest in its name and the digest of its files now."""
    folders: dict[str, list[tuple[str, str]]] = {}
    for dest, source in sorted(mounts.items()):
        depth = len(Path(dest).parts) - 1  # the source is <folder>/<dest without its leading />
        folders.setdefault(str(Path(source).parents[depth - 1]) if depth else source, []).append((dest, source))
    checks = []
    for folder, files in folders.items():
        recorded = Path(folder).name.rpartition("-")[2]
        contents = [_read(source) for _dest, source in files]
        if any(c is None for c in contents):
            actual = "missing"
        else:
            runtime = [
                RuntimeFile(dest, c or b"", RUNTIME_FILE_MODE) for (dest, _), c in zip(files, contents, strict=True)
            ]
            actual = config_digest(runtime)
        checks.append(ConfigCheck(folder, tuple(dest for dest, _ in files), recorded, actual))
    return tuple(checks)


def container_state(reading: ReplicaReading, mounts: Mapping[str, str]) -> ContainerState:
    """A replica's state as drift compares it, with its config files (`mounts`: dest -> source)."""
    files = {dest: source for dest, source in mounts.items() if source.startswith("/")}
    return ContainerState(
        name=reading.name,
        image_id=reading.image_id,
        env=reading.env,
        image_env=reading.image_env,
        mounts=dict(mounts),
        changes=reading.changes,
        configs=config_checks(files),
        status=reading.status,
    )


def task_config_mounts(reading: ReplicaReading, stage: str, expected: Mapping[str, str] | None) -> dict[str, str]:
    """A Swarm task's config files as mounts (dest -> source): the release's file on the Docker host when the
    task's Docker config was made from it (a config is named by the digest of its content), else the config."""
    mounts = {}
    for config in reading.task_configs:
        source = (expected or {}).get(config.dest)
        content = _read(source) if source is not None else None
        made = (
            content is not None
            and swarm_config_name(stage, config.dest, f"{config.mode:04o}", content) == config.config_name
        )
        mounts[config.dest] = source if made and source is not None else f"docker config {config.config_name}"
    return mounts


def expected_mounts(state_dir: Path, stage: str, image_id: str) -> dict[str, str] | None:
    """The config mounts (dest -> source) the stage's rollout history records for the image, newest first."""
    for record in reversed(load_history(state_dir, stage)):
        if record.serving and record.spec.image_id.removeprefix("sha256:") == image_id.removeprefix("sha256:"):
            return {m.dest: m.source for m in record.spec.mounts}
    return None


def container_facts(release_id: str, state: ContainerState) -> dict[str, str]:
    """The facts the parity matrix compares: the release, the image id, the mounted config's values."""
    facts = {"release": release_id, "image": short_id(state.image_id)}
    for dest, source in state.mounts.items():
        facts.update(config_values(dest, _read(source)))
    return facts


def scan_target(
    index: ReplicaIndex,
    stage: str,
    target: str,
    release_id: str,
    expected: ContainerExpectation,
    rules: Sequence[IgnoreRule],
    redactor: Redactor | None = None,
) -> list[HostScan]:
    """Every replica of a stage's container target against its release; a target-level scan for the count.

    `redactor` hides secrets in the items and parity facts (see deployctl.redaction).
    """
    redactor = redactor or Redactor()
    scans: list[HostScan] = []
    try:
        replicas = index.replicas(stage)
        for container in replicas:
            reading = read_replica(index.client, container, index.image_env)
            swarm_task = SWARM_TASK_LABEL in reading.labels  # its config files are Docker configs, not bind mounts
            state = container_state(
                reading, task_config_mounts(reading, stage, expected.mounts) if swarm_task else reading.mounts
            )
            mount_points = [
                IgnoreRule("mount-point", dest, f"path:{dest}", MOUNT_POINT) for dest in sorted(state.mounts)
            ]
            items = [redacted_item(item, redactor) for item in container_items(stage, state, expected)]
            kept, ignored = split_ignored(items, [*mount_points, *rules])
            scans.append(
                HostScan(
                    stage,
                    state.name,
                    "container",
                    "immutable",
                    target,
                    release_id,
                    host_status(kept),
                    "",
                    kept,
                    ignored,
                    redacted_facts(container_facts(release_id, state), redactor),
                )
            )
    except EngineError as error:
        return [HostScan(stage, target, "container", "immutable", target, release_id, "error", str(error))]
    count: list[DriftItem] = replica_items(stage, target, len(replicas), expected.replicas)
    if count:
        scans.append(HostScan(stage, target, "container", "immutable", target, release_id, "drifted", "", tuple(count)))
    return scans
