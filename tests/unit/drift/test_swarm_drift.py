"""Drift of a Swarm stage: its running task containers against the release, their Docker configs as its files.

A Swarm task has no bind mount (its config file is a Docker config, named by its content) and Swarm keeps the
containers of the tasks it shut down: neither may be reported as drift, or a Swarm stage never scans clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployctl.drift.compare import ContainerExpectation
from deployctl.drift.containers import TASK_ID_LABEL, ReplicaIndex, scan_target
from deployctl.immutable.recipe import RuntimeFile
from deployctl.immutable.replica import config_digest
from deployctl.immutable.resources import ENGINE_LABEL, ROLE_LABEL, STAGE_LABEL, SWARM_TASK_LABEL
from deployctl.immutable.swarm import swarm_config_name

DEST = "/etc/webapp.ini"
CONTENT = b"[app]\nport = 8080\n"
IMAGE_ID = "sha256:" + "a" * 64


@dataclass
class FakeTaskContainer:
    name: str
    status: str
    task_id: str
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {
            STAGE_LABEL: "dev",
            ROLE_LABEL: "app",
            ENGINE_LABEL: "swarm",
            SWARM_TASK_LABEL: "svc1",
            TASK_ID_LABEL: self.task_id,
        }

    @property
    def attrs(self) -> dict[str, Any]:
        return {"Image": IMAGE_ID, "Config": {"Env": ["PATH=/usr/bin"]}, "Mounts": []}

    def diff(self) -> list[dict[str, Any]]:
        return self.changes


@dataclass
class FakeImage:
    attrs: dict[str, Any]


@dataclass
class FakeApi:
    configs: dict[str, str]

    def inspect_task(self, task_id: str) -> dict[str, Any]:
        reference = {"File": {"Name": DEST, "Mode": 0o644}, "ConfigName": self.configs[task_id]}
        return {"Spec": {"ContainerSpec": {"Configs": [reference]}}}


@dataclass
class FakeContainers:
    found: list[FakeTaskContainer]

    def list(self, **_filters: Any) -> list[FakeTaskContainer]:
        return self.found


@dataclass
class FakeImages:
    def get(self, _image_id: str) -> FakeImage:
        return FakeImage({"Config": {"Env": ["PATH=/usr/bin"]}})


@dataclass
class FakeClient:
    containers: FakeContainers
    api: FakeApi
    images: FakeImages = field(default_factory=FakeImages)


def release_file(state_dir: Path) -> str:
    """The release's rendered file where a deploy writes it: a folder named by the files' digest."""
    folder = state_dir / "stages" / "dev" / "config" / f"ctx-{config_digest([RuntimeFile(DEST, CONTENT)])}"
    (folder / "etc").mkdir(parents=True)
    (folder / "etc" / "webapp.ini").write_bytes(CONTENT)
    return str(folder / "etc" / "webapp.ini")


def scan(tmp_path: Path, tasks: list[FakeTaskContainer], configs: dict[str, str]) -> list[Any]:
    source = release_file(tmp_path)
    client = FakeClient(FakeContainers(tasks), FakeApi(configs))
    expected = ContainerExpectation(IMAGE_ID, replicas=1, mounts={DEST: source})
    return scan_target(ReplicaIndex(client), "dev", "dev-web", "rel1", expected, [])  # type: ignore[arg-type]


def test_a_swarm_task_of_the_release_scans_clean_and_old_tasks_are_not_replicas(tmp_path: Path) -> None:
    config = swarm_config_name("dev", DEST, "0644", CONTENT)
    mount_point = [{"Path": DEST, "Kind": 1}]  # the config file's mount point, in the container's layer
    tasks = [
        FakeTaskContainer("deployctl-dev-app.1.new", "running", "t-new", mount_point),
        FakeTaskContainer("deployctl-dev-app.1.old", "exited", "t-old", mount_point),
    ]
    scans = scan(tmp_path, tasks, {"t-new": config, "t-old": config})
    assert [(s.host, s.status, s.items) for s in scans] == [("deployctl-dev-app.1.new", "clean", ())]


def test_a_swarm_task_with_another_config_is_drift(tmp_path: Path) -> None:
    other = swarm_config_name("dev", DEST, "0644", b"[app]\nport = 9999\n")
    scans = scan(tmp_path, [FakeTaskContainer("deployctl-dev-app.1.new", "running", "t1")], {"t1": other})
    assert [(i.kind, i.resource, i.actual) for s in scans for i in s.items] == [
        ("config", DEST, f"docker config {other}")
    ]


def test_a_file_changed_in_a_swarm_task_is_drift(tmp_path: Path) -> None:
    config = swarm_config_name("dev", DEST, "0644", CONTENT)
    changed = [{"Path": DEST, "Kind": 1}, {"Path": "/etc/hand-edit", "Kind": 1}]
    scans = scan(tmp_path, [FakeTaskContainer("deployctl-dev-app.1.new", "running", "t1", changed)], {"t1": config})
    assert [(i.kind, i.resource) for s in scans for i in s.items] == [("container-file", "/etc/hand-edit")]
