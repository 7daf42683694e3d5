"""Drift of a Swarm stage: its running task containers against the release, their Docker configs as its files.

A Swarm task has no bind mount (its config file is a Docker config, named by its content) and Swarm keeps the
containers of the tasks it shut down: neither may be reported as drift, or a Swarm stage never scans clean.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deployctl.dockerapi.replicas import TASK_ID_LABEL
from deployctl.dockerapi.types import ImageInfo
from deployctl.drift.compare import ContainerExpectation
from deployctl.immutable.recipe import RuntimeFile
from deployctl.immutable.replica import config_digest
from deployctl.immutable.resources import ENGINE_LABEL, ROLE_LABEL, STAGE_LABEL, SWARM_TASK_LABEL
from deployctl.immutable.swarm import swarm_config_name
from deployctl.operations.containerscan import ReplicaIndex, scan_target
from tests.unit.dockerapi.fakeengine import FakeContainer, FakeEngine

DEST = "/etc/webapp.ini"
CONTENT = b"[app]\nport = 8080\n"
IMAGE_ID = "sha256:" + "a" * 64


def task_container(name: str, status: str, task_id: str, changes: list[tuple[str, int]] | None = None) -> FakeContainer:
    """A Swarm task's container of stage dev: no bind mount, its config file is a Docker config."""
    labels = {
        STAGE_LABEL: "dev",
        ROLE_LABEL: "app",
        ENGINE_LABEL: "swarm",
        SWARM_TASK_LABEL: "svc1",
        TASK_ID_LABEL: task_id,
    }
    attrs = {"Image": IMAGE_ID, "Config": {"Env": ["PATH=/usr/bin"]}, "Mounts": []}
    return FakeContainer(name, labels, status, attrs, diff=changes or [])


def task(config: str) -> dict[str, Any]:
    reference = {"File": {"Name": DEST, "Mode": 0o644}, "ConfigName": config}
    return {"Spec": {"ContainerSpec": {"Configs": [reference]}}}


def release_file(state_dir: Path) -> str:
    """The release's rendered file where a deploy writes it: a folder named by the files' digest."""
    folder = state_dir / "stages" / "dev" / "config" / f"ctx-{config_digest([RuntimeFile(DEST, CONTENT)])}"
    (folder / "etc").mkdir(parents=True)
    (folder / "etc" / "webapp.ini").write_bytes(CONTENT)
    return str(folder / "etc" / "webapp.ini")


def scan(tmp_path: Path, tasks: list[FakeContainer], configs: dict[str, str]) -> list[Any]:
    source = release_file(tmp_path)
    engine = FakeEngine(
        containers=tasks,
        images={IMAGE_ID: ImageInfo(IMAGE_ID, {}, {"Config": {"Env": ["PATH=/usr/bin"]}})},
        tasks={task_id: task(config) for task_id, config in configs.items()},
    )
    expected = ContainerExpectation(IMAGE_ID, replicas=1, mounts={DEST: source})
    return scan_target(ReplicaIndex(engine), "dev", "dev-web", "rel1", expected, [])


def test_a_swarm_task_of_the_release_scans_clean_and_old_tasks_are_not_replicas(tmp_path: Path) -> None:
    config = swarm_config_name("dev", DEST, "0644", CONTENT)
    mount_point = [(DEST, 1)]  # the config file's mount point, in the container's layer
    tasks = [
        task_container("deployctl-dev-app.1.new", "running", "t-new", mount_point),
        task_container("deployctl-dev-app.1.old", "exited", "t-old", mount_point),
    ]
    scans = scan(tmp_path, tasks, {"t-new": config, "t-old": config})
    assert [(s.host, s.status, s.items) for s in scans] == [("deployctl-dev-app.1.new", "clean", ())]


def test_a_swarm_task_with_another_config_is_drift(tmp_path: Path) -> None:
    other = swarm_config_name("dev", DEST, "0644", b"[app]\nport = 9999\n")
    scans = scan(tmp_path, [task_container("deployctl-dev-app.1.new", "running", "t1")], {"t1": other})
    assert [(i.kind, i.resource, i.actual) for s in scans for i in s.items] == [
        ("config", DEST, f"docker config {other}")
    ]


def test_a_file_changed_in_a_swarm_task_is_drift(tmp_path: Path) -> None:
    config = swarm_config_name("dev", DEST, "0644", CONTENT)
    changed = [(DEST, 1), ("/etc/hand-edit", 1)]
    scans = scan(tmp_path, [task_container("deployctl-dev-app.1.new", "running", "t1", changed)], {"t1": config})
    assert [(i.kind, i.resource) for s in scans for i in s.items] == [("container-file", "/etc/hand-edit")]
