"""A stage's orchestration over a fake engine (the Docker layer's EngineApi): status, image, network, removal."""

from __future__ import annotations

import pytest

from deployctl.dockerapi.types import ImageInfo
from deployctl.errors import DeployctlError
from deployctl.immutable.proxy import STAGE_CONF, Upstream, ensure_stage_network, render_stage_conf
from deployctl.immutable.resources import (
    ENGINE_LABEL,
    ROLE_LABEL,
    SWARM_TASK_LABEL,
    network_name,
    proxy_name,
    stage_labels,
)
from deployctl.immutable.rollout import remove_stage, running_image_id, stage_status
from deployctl.immutable.swarm import remove_swarm_stage
from tests.unit.dockerapi.fakeengine import FakeContainer, FakeEngine, FakeNetwork

STAGE = "qa"
V1 = "sha256:" + "1" * 64
V2 = "sha256:" + "2" * 64


def replica(name: str, image_id: str, status: str = "running", engine: str = "container") -> FakeContainer:
    labels = stage_labels(STAGE, "app", f"deployctl/app:{image_id[7:10]}", {ENGINE_LABEL: engine})
    state = {"Status": status, "Health": {"Status": "healthy" if status == "running" else "none"}}
    return FakeContainer(name, labels, status, {"Image": image_id, "State": state, "Config": {"Image": "app"}})


def proxy(upstreams: list[str], port: int = 18080) -> FakeContainer:
    labels = stage_labels(STAGE, "proxy", extra={ENGINE_LABEL: "container"})
    bindings = {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    conf = render_stage_conf(STAGE, [Upstream(name, 8000) for name in upstreams], 4)
    return FakeContainer(proxy_name(STAGE), labels, "running", {"HostConfig": {"PortBindings": bindings}},
                         files={STAGE_CONF: conf.encode()})  # fmt: skip


def stage_engine() -> FakeEngine:
    """qa: a proxy naming two replicas (a third is not in the upstream), beside what is not the stage's own."""
    lab_node = FakeContainer("deployctl-lab-qa-vm1", {"deployctl.stage": STAGE, ROLE_LABEL: "lab-node"})
    task = replica("deployctl-qa-app.1.abc", V2, engine="swarm")
    task.labels[SWARM_TASK_LABEL] = "svc1"
    other = FakeContainer("deployctl-uat-app-1", stage_labels("uat", "app", "x", {ENGINE_LABEL: "container"}))
    network = FakeNetwork(
        network_name(STAGE), {"Driver": "bridge", "Labels": stage_labels(STAGE, extra={ENGINE_LABEL: "container"})}
    )
    return FakeEngine(
        containers=[
            proxy(["deployctl-qa-app-a", "deployctl-qa-app-b"]),
            replica("deployctl-qa-app-b", V1),
            replica("deployctl-qa-app-a", V1),
            replica("deployctl-qa-app-c", V2, status="exited"),
            lab_node,
            task,
            other,
        ],
        networks=[network],
    )  # fmt: skip


def test_status_reads_the_upstream_from_the_proxy_and_lists_only_the_stages_replicas() -> None:
    status = stage_status(stage_engine(), STAGE, probe=False)
    assert (status.proxy, status.proxy_running, status.port) == (proxy_name(STAGE), True, 18080)
    assert [u.host for u in status.upstreams] == ["deployctl-qa-app-a", "deployctl-qa-app-b"]
    assert [(r.name, r.status, r.in_upstream) for r in status.replicas] == [
        ("deployctl-qa-app-a", "running", True),
        ("deployctl-qa-app-b", "running", True),
        ("deployctl-qa-app-c", "exited", False),
    ]


def test_the_running_image_is_the_one_a_replica_in_the_upstream_runs() -> None:
    engine = stage_engine()
    assert running_image_id(engine, STAGE) == V1
    assert running_image_id(FakeEngine(), STAGE) is None  # no proxy: nothing serves


def test_removing_a_stage_removes_only_what_its_rollouts_created() -> None:
    engine = stage_engine()
    removed = remove_stage(engine, STAGE, lambda _: None)
    assert sorted(removed) == sorted(
        [proxy_name(STAGE), "deployctl-qa-app-a", "deployctl-qa-app-b", "deployctl-qa-app-c", network_name(STAGE)]
    )
    left = sorted(c.name for c in engine.containers if not c.removed)
    assert left == ["deployctl-lab-qa-vm1", "deployctl-qa-app.1.abc", "deployctl-uat-app-1"]


def test_a_stage_network_deployctl_did_not_make_is_refused_and_a_swarm_one_is_an_overlay() -> None:
    foreign = FakeEngine(networks=[FakeNetwork(network_name(STAGE), {"Driver": "bridge", "Labels": {}})])
    with pytest.raises(DeployctlError, match="deployctl did not create it"):
        ensure_stage_network(foreign, STAGE)
    with pytest.raises(DeployctlError, match="the swarm engine needs overlay"):
        ensure_stage_network(stage_engine(), STAGE, "swarm")
    engine = FakeEngine()
    network = ensure_stage_network(engine, STAGE, "swarm")
    assert (network.attrs["Driver"], network.attrs["Attachable"]) == ("overlay", True)
    assert ensure_stage_network(engine, STAGE, "swarm") is network  # found again, not made twice


def test_removing_a_swarm_stage_removes_its_service_configs_proxy_and_network() -> None:
    engine = stage_engine()
    engine.swarm = {"LocalNodeState": "active", "ControlAvailable": True}
    labels = stage_labels(STAGE, "app", "deployctl/app:v1", {ENGINE_LABEL: "swarm"})
    engine.services["s1"] = {"ID": "s1", "Spec": {"Name": "deployctl-qa-app", "Labels": labels}}
    mine = engine.create_config("deployctl-qa-0123", b"x", labels)
    engine.create_config("someone-elses", b"y", {"deployctl.stage": STAGE})
    engine.images["app"] = ImageInfo(V1, {}, {})
    removed = remove_swarm_stage(engine, STAGE, lambda _: None, timeout=0)
    assert removed[:2] == ["deployctl-qa-app", proxy_name(STAGE)]
    assert set(removed[2:]) == {"deployctl-qa-0123", network_name(STAGE)}
    assert engine.services == {} and mine not in engine.configs
    assert [c.name for c in engine.configs.values()] == ["someone-elses"]
