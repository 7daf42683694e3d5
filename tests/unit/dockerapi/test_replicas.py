"""Reading a replica for drift: plain data from the engine's inspect, its diff (or overlay2 layer) and Swarm."""

from __future__ import annotations

from pathlib import Path

from deployctl.dockerapi.replicas import TASK_ID_LABEL, TaskConfigFile, overlay_changes, read_replica
from deployctl.dockerapi.types import ImageInfo
from tests.unit.dockerapi.fakeengine import FakeContainer, FakeEngine

IMAGE_ID = "sha256:" + "a" * 64


def test_overlay_upper_layer_reads_as_docker_diff(tmp_path: Path) -> None:
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    (lower / "opt").mkdir(parents=True)
    (lower / "opt" / "app.py").write_text("x")
    (upper / "opt").mkdir(parents=True)
    (upper / "opt" / "app.py").write_text("y")
    (upper / "opt" / "new.txt").write_text("n")
    assert overlay_changes(str(upper), [str(lower)]) == [("/opt", 0), ("/opt/app.py", 0), ("/opt/new.txt", 1)]


def test_a_replica_reads_as_plain_data_and_each_image_is_inspected_once() -> None:
    mounts = [
        {"Type": "bind", "Source": "/state/cfg-1/etc/app.ini", "Destination": "/etc/app.ini", "RW": False},
        {"Type": "bind", "Source": "/var/data", "Destination": "/data", "RW": True},
        {"Type": "volume", "Source": "/v", "Destination": "/v", "RW": False},
    ]
    attrs = {"Image": IMAGE_ID, "Config": {"Env": ["A=1"]}, "Mounts": mounts, "GraphDriver": {"Name": "vfs"}}
    container = FakeContainer("app-1", {"deployctl.stage": "qa"}, "running", attrs, diff=[("/tmp/x", 1)])
    engine = FakeEngine(images={IMAGE_ID: ImageInfo(IMAGE_ID, {}, {"Config": {"Env": ["PATH=/bin"]}})})
    cache: dict[str, tuple[str, ...]] = {}
    reading = read_replica(engine, container, cache)
    assert (reading.name, reading.status, reading.image_id) == ("app-1", "running", IMAGE_ID)
    assert (reading.env, reading.image_env) == (("A=1",), ("PATH=/bin",))
    assert reading.mounts == {"/etc/app.ini": "/state/cfg-1/etc/app.ini"}  # read-only binds only
    assert reading.changes == (("/tmp/x", 1),) and reading.task_configs == ()
    engine.images.clear()  # a second replica of the image is not inspected again
    assert read_replica(engine, container, cache).image_env == ("PATH=/bin",)


def test_a_swarm_task_reads_its_config_files_from_its_task() -> None:
    container = FakeContainer("app.1.x", {TASK_ID_LABEL: "t1"}, "running", {"Image": IMAGE_ID})
    reference = {"File": {"Name": "/etc/app.ini", "Mode": 0o640}, "ConfigName": "deployctl-qa-0123"}
    engine = FakeEngine(tasks={"t1": {"Spec": {"ContainerSpec": {"Configs": [reference]}}}})
    reading = read_replica(engine, container, {})
    assert reading.image_env == ()  # the image is gone: no environment to compare
    assert reading.task_configs == (TaskConfigFile("/etc/app.ini", "deployctl-qa-0123", 0o640),)
