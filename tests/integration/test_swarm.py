"""The Swarm engine on a single-node swarm: a service update rolled by Swarm behind the stage's proxy.

The swarm is created for this module when the engine has none (listening on 127.0.0.1 only) and left at the
end, so the engine is left as it was found; so is Docker's `docker_gwbridge` network, which joining a swarm
creates. Requests go to the stage's proxy on 127.0.0.1 only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from deployctl.immutable.engines import ContainerEngine, ContainerTarget, RollOptions, SwarmEngine
from deployctl.immutable.load import HttpLoad
from deployctl.immutable.recipe import ImageRelease
from deployctl.immutable.resources import STAGE_LABEL, service_name
from deployctl.immutable.rollout import RolloutResult
from deployctl.immutable.swarm import swarm_active
from tests.conftest import REPO
from tests.integration.apps import (
    app_config,
    engine_with_releases,
    fetch,
    figures,
    free_port,
    has_gwbridge,
    join_swarm,
    leave_swarm,
    remove_test_images,
    say,
)

pytestmark = pytest.mark.integration

STAGE = "itswarm"
TEST = "swarm"
IMAGES = REPO / "images"
CONTAINER_STAGE = "itswarmleave"


@dataclass(frozen=True)
class SwarmLab:
    client: docker.DockerClient
    port: int
    state_dir: Path
    v1: ImageRelease
    v2: ImageRelease
    v3_broken: ImageRelease
    was_active: bool
    had_gwbridge: bool
    container_port: int

    @property
    def target(self) -> ContainerTarget:
        return swarm_target(self.state_dir, self.port)


def swarm_target(state_dir: Path, port: int) -> ContainerTarget:
    """The swarm stage's target: a service of 3 tasks behind the proxy on `port`."""
    return ContainerTarget(STAGE, f"{STAGE}-containers", "swarm", port, 3, state_dir, IMAGES)


def container_target(state_dir: Path, port: int) -> ContainerTarget:
    """The container-engine stage's target (not a swarm service): 2 replicas."""
    return ContainerTarget(CONTAINER_STAGE, f"{CONTAINER_STAGE}-containers", "container", port, 2, state_dir, IMAGES)


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SwarmLab]:
    """A single-node swarm (made here when there is none, left at the end) and the test releases."""
    state_dir = tmp_path_factory.mktemp("swarm-state")
    client, releases = engine_with_releases(state_dir, IMAGES, ("v1", "v2", "v3"), TEST)
    was_active = swarm_active(client)
    had_gwbridge = has_gwbridge(client)
    container_port = free_port()
    plain = ContainerEngine(client, say)
    plain.remove(container_target(state_dir, container_port))
    port = free_port()
    if not was_active:  # a container stage made before the swarm, to check that it deploys after leaving it
        assert deploy_containers(client, state_dir, releases["v1"], "v1", container_port).ok
        join_swarm(client, say)
    try:
        SwarmEngine(client, say).remove(swarm_target(state_dir, port))
        yield SwarmLab(
            client,
            port,
            state_dir,
            releases["v1"],
            releases["v2"],
            releases["v3"],
            was_active,
            had_gwbridge,
            container_port,
        )
    finally:
        try:
            SwarmEngine(client, say).remove(swarm_target(state_dir, port))
            plain.remove(container_target(state_dir, container_port))
        finally:
            if not was_active and swarm_active(client):
                leave_swarm(client, had_gwbridge)
            remove_test_images(client, TEST)
    assert swarm_active(client) == was_active
    assert not client.containers.list(all=True, filters={"label": f"{STAGE_LABEL}={STAGE}"}, ignore_removed=True)


def deploy_containers(
    client: docker.DockerClient, state_dir: Path, release: ImageRelease, version: str, port: int
) -> RolloutResult:
    """Deploy the test app to the container-engine stage (not a swarm service)."""
    target = container_target(state_dir, port)
    return ContainerEngine(client, say).deploy(target, release, app_config(version), RollOptions(parallelism=1))


def deploy(swarm: SwarmLab, release: ImageRelease, version: str, *, load: bool) -> RolloutResult:
    traffic = HttpLoad(f"http://127.0.0.1:{swarm.port}/", workers=4, max_seconds=240) if load else None
    options = RollOptions(parallelism=1, delay=0.0, monitor=2.0, load=traffic)
    return SwarmEngine(swarm.client, say).deploy(swarm.target, release, app_config(version), options)


def serving(swarm: SwarmLab, count: int = 12) -> set[str]:
    versions = set()
    for _ in range(count):
        status, body = fetch(swarm.port)
        assert status == 200, body
        versions.add(body.split()[0])
    return versions


def service_spec(swarm: SwarmLab) -> dict[str, object]:
    return dict(swarm.client.services.get(service_name(STAGE)).attrs["Spec"])


def test_first_deploy_creates_the_service_and_the_proxy(swarm: SwarmLab) -> None:
    result = deploy(swarm, swarm.v1, "v1", load=False)
    figures("swarm create v1", result)
    assert result.ok and result.engine == "swarm" and result.outcome == "deployed"
    spec = swarm.client.services.get(service_name(STAGE)).attrs["Spec"]
    assert spec["Labels"][STAGE_LABEL] == STAGE
    assert spec["EndpointSpec"]["Mode"] == "dnsrr"
    update = spec["UpdateConfig"]
    assert (update["Parallelism"], update["FailureAction"], update["Order"]) == (1, "rollback", "start-first")
    configs = spec["TaskTemplate"]["ContainerSpec"]["Configs"]
    assert [c["File"]["Name"] for c in configs] == ["/etc/testapp/app.conf"]
    assert serving(swarm) == {"version=v1"}


def test_service_update_under_load_fails_no_request(swarm: SwarmLab) -> None:
    result = deploy(swarm, swarm.v2, "v2", load=True)
    figures("swarm update v1 -> v2", result)
    assert result.ok and result.previous_image == swarm.v1.image, result.reason
    assert result.load is not None and result.load.failed == 0, result.load.errors
    assert result.load.count("version=v1") > 0 and result.load.count("version=v2") > 0
    assert serving(swarm) == {"version=v2"}


def test_a_broken_release_is_rolled_back_by_swarm(swarm: SwarmLab) -> None:
    result = deploy(swarm, swarm.v3_broken, "v3", load=True)
    figures("swarm broken v3", result)
    assert not result.ok and result.rolled_back and result.outcome == "rolled_back"
    assert "rollback" in result.reason and "unhealthy" in result.reason
    assert result.load is not None and result.load.failed == 0, result.load.errors
    assert result.load.count("version=v3") == 0
    assert serving(swarm) == {"version=v2"}


def test_rollback_returns_to_the_previous_release(swarm: SwarmLab) -> None:
    load = HttpLoad(f"http://127.0.0.1:{swarm.port}/", workers=4, max_seconds=240)
    result = SwarmEngine(swarm.client, say).rollback(swarm.target, None, RollOptions(load=load))
    figures("swarm rollback v2 -> v1", result)
    assert result.ok and result.image == swarm.v1.image and result.action == "rollback"
    assert result.load is not None and result.load.failed == 0, result.load.errors
    assert serving(swarm) == {"version=v1"}


def test_a_container_stage_made_before_the_swarm_deploys_after_leaving_it(swarm: SwarmLab) -> None:
    """Leaving a swarm drops the DNS names of running containers; the next deploy gives them back."""
    if swarm.was_active:
        pytest.fail("the engine was in a swarm before this module: it cannot leave a swarm it did not make")
    leave_swarm(swarm.client, swarm.had_gwbridge)
    result = deploy_containers(swarm.client, swarm.state_dir, swarm.v2, "v2", swarm.container_port)
    figures("container stage after swarm leave v1 -> v2", result)
    assert result.ok, result.reason
    assert {fetch(swarm.container_port)[1].split()[0] for _ in range(6)} == {"version=v2"}
