"""Scan a stage's containers with the docker SDK: image id, `docker diff`, environment, mounted config.

The replicas are found by their labels (`deployctl.stage`, `deployctl.role=app`, as rollouts start them).
A mounted config folder is named by the digest of its files when the rollout wrote it: the files' digest
now tells whether someone edited them on the Docker host.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container

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

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.image_env: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._by_stage: dict[str, list[Container]] | None = None

    def replicas(self, stage: str) -> list[Container]:
        """The stage's replicas, by name: plain replicas, and the running task containers of a Swarm service."""
        with self._lock:
            if self._by_stage is None:
                found = self.client.containers.list(
                    all=True, filters={"label": f"{ROLE_LABEL}=app"}, ignore_removed=True
                )
                by_stage: dict[str, list[Container]] = {}
                for container in found:
                    labels = container.labels
                    owner = labels.get(STAGE_LABEL, "")
                    if SWARM_TASK_LABEL in labels and container.status != "running":
                        continue  # a task Swarm shut down and keeps as history (its replacement is counted)
                    if is_stage_resource(labels, owner, "app") and is_rollout_resource(labels, owner):
                        by_stage.setdefault(owner, []).append(container)
                self._by_stage = {key: sorted(group, key=lambda c: str(c.name)) for key, group in by_stage.items()}
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


OVERLAY_DRIVER = "overlay2"


def _in_lower(relative: str, lower_dirs: Sequence[str]) -> bool:
    return any(os.path.lexists(f"{lower}/{relative}") for lower in lower_dirs)  # plain strings: a hot loop


def overlay_changes(upper_dir: str, lower_dirs: Sequence[str]) -> list[tuple[str, int]]:
    """What `docker diff` reports, read from an overlay2 container's upper layer (path, 0 changed/1 added/2 deleted).

    A whiteout (a 0:0 character device) is a deleted path; anything else in the upper layer was added,
    or changed when the image's layers have it. The engine computes the same, about 250 ms per container.
    """
    changes: list[tuple[str, int]] = []
    for root, dirs, files in os.walk(upper_dir):
        for name in sorted(dirs) + sorted(files):
            full = f"{root}/{name}"
            relative = full[len(upper_dir) :].lstrip("/")
            info = os.lstat(full)
            if stat.S_ISCHR(info.st_mode) and info.st_rdev == 0:
                changes.append(("/" + relative, 2))
            else:
                changes.append(("/" + relative, 0 if _in_lower(relative, lower_dirs) else 1))
    return sorted(changes)


def container_changes(container: Container) -> list[tuple[str, int]]:
    """The container's changed paths: from its overlay2 upper layer when readable here, else `docker diff`."""
    driver = container.attrs.get("GraphDriver") or {}
    data = driver.get("Data") or {}
    upper, lower = data.get("UpperDir"), data.get("LowerDir")
    if driver.get("Name") == OVERLAY_DRIVER and upper and lower and os.access(upper, os.R_OK | os.X_OK):
        return overlay_changes(str(upper), str(lower).split(":"))
    return [(str(c["Path"]), int(c["Kind"])) for c in (container.diff() or ())]


def read_state(
    client: docker.DockerClient, container: Container, image_env: dict[str, tuple[str, ...]]
) -> ContainerState:
    """A replica's state: image, environment (and its image's), read-only mounts, `docker diff`, config digests."""
    attrs: dict[str, Any] = container.attrs
    image_id = str(attrs.get("Image", ""))
    if image_id not in image_env:
        try:
            image_attrs = client.images.get(image_id).attrs
            image_env[image_id] = tuple((image_attrs.get("Config") or {}).get("Env") or ())
        except NotFound:
            image_env[image_id] = ()
    mounts = {
        str(m["Destination"]): str(m["Source"])
        for m in attrs.get("Mounts") or []
        if m.get("Type") == "bind" and not m.get("RW", True)
    }
    changes = tuple(container_changes(container))
    return ContainerState(
        name=str(container.name),
        image_id=image_id,
        env=tuple((attrs.get("Config") or {}).get("Env") or ()),
        image_env=image_env[image_id],
        mounts=mounts,
        changes=changes,
        configs=config_checks(mounts),
        status=str(container.status),
    )


TASK_ID_LABEL = "com.docker.swarm.task.id"


def task_config_mounts(
    client: docker.DockerClient, container: Container, stage: str, expected: Mapping[str, str] | None
) -> dict[str, str]:
    """A Swarm task's config files as mounts (dest -> source): the release's file on the Docker host when the
    task's Docker config was made from it (a config is named by the digest of its content), else the config."""
    task = client.api.inspect_task(container.labels[TASK_ID_LABEL])  # type: ignore[no-untyped-call]
    mounts = {}
    for reference in task["Spec"]["ContainerSpec"].get("Configs") or []:
        dest, name = str(reference["File"]["Name"]), str(reference["ConfigName"])
        source = (expected or {}).get(dest)
        content = _read(source) if source is not None else None
        mode = f"{int(reference['File'].get('Mode', 0o444)):04o}"
        made = content is not None and swarm_config_name(stage, dest, mode, content) == name
        mounts[dest] = source if made and source is not None else f"docker config {name}"
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
            state = read_state(index.client, container, index.image_env)
            if SWARM_TASK_LABEL in container.labels:  # its config files are Docker configs, not bind mounts
                mounts = task_config_mounts(index.client, container, stage, expected.mounts)
                files = {dest: source for dest, source in mounts.items() if source.startswith("/")}
                state = replace(state, mounts=mounts, configs=config_checks(files))
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
    except DockerException as error:
        return [HostScan(stage, target, "container", "immutable", target, release_id, "error", str(error))]
    count: list[DriftItem] = replica_items(stage, target, len(replicas), expected.replicas)
    if count:
        scans.append(HostScan(stage, target, "container", "immutable", target, release_id, "drifted", "", tuple(count)))
    return scans
