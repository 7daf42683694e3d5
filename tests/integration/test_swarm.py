"""The Swarm engine on a single-node swarm: a service update rolled by Swarm behind the stage's proxy.

Each test makes its own starting state: a swarm when the engine has none (listening on 127.0.0.1 only, left
after the test, so the engine is left as it was found; so is Docker's `docker_gwbridge` network, which joining
a swarm creates), a fresh state folder and port, the stage's labelled resources removed before and after, and
the releases it needs deployed. Requests go to the stage's proxy on 127.0.0.1 only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from deployctl.dockerapi.engine import DockerEngine
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
class Releases:
    """The engine and the test app built as each release (built once for the module)."""

    client: DockerEngine
    v1: ImageRelease
    v2: ImageRelease
    v3_broken: ImageRelease


@dataclass(frozen=True)
class SwarmLab:
    """One test's stage on a swarm: its own proxy port and state folder."""

    client: DockerEngine
    port: int
    state_dir: Path
    v1: ImageRelease
    v2: ImageRelease
    v3_broken: ImageRelease

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
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Releases]:
    """The engine, the base and the test releases; the images are removed at the end of the module."""
    client, built = engine_with_releases(tmp_path_factory.mktemp("swarm-engine"), IMAGES, ("v1", "v2", "v3"), TEST)
    try:
        yield Releases(client, built["v1"], built["v2"], built["v3"])
    finally:
        remove_test_images(client, TEST)


@contextmanager
def in_swarm(client: DockerEngine) -> Iterator[Callable[[], None]]:
    """The engine in a swarm for the block (made when it has none, left after it); yields how to leave it early,
    as the engine was found (`docker_gwbridge` included)."""
    was_active = swarm_active(client)
    had_gwbridge = has_gwbridge(client)
    if not was_active:
        join_swarm(client, say)
    try:
        yield lambda: leave_swarm(client, had_gwbridge)
    finally:
        if not was_active and swarm_active(client):
            leave_swarm(client, had_gwbridge)
        assert swarm_active(client) == was_active


@pytest.fixture
def swarm(releases: Releases, tmp_path: Path) -> Iterator[SwarmLab]:
    """An empty swarm stage: the service, configs, proxy and network removed before and after the test."""
    r = releases
    lab = SwarmLab(r.client, free_port(), tmp_path / "state", r.v1, r.v2, r.v3_broken)
    with in_swarm(r.client):
        SwarmEngine(r.client, say).remove(lab.target)
        try:
            yield lab
        finally:
            SwarmEngine(r.client, say).remove(lab.target)
    assert not r.client.list_containers([f"{STAGE_LABEL}={STAGE}"])


def given(swarm: SwarmLab, *releases: tuple[ImageRelease, str]) -> None:
    """The stage's starting state: these releases deployed in order."""
    for release, version in releases:
        result = deploy(swarm, release, version, load=False)
        assert result.ok, result.reason


def deploy_containers(
    client: DockerEngine, state_dir: Path, release: ImageRelease, version: str, port: int
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


def test_first_deploy_creates_the_service_and_the_proxy(swarm: SwarmLab) -> None:
    result = deploy(swarm, swarm.v1, "v1", load=False)
    figures("swarm create v1", result)
    assert result.ok and result.engine == "swarm" and result.outcome == "deployed"
    spec = swarm.client.sdk.services.get(service_name(STAGE)).attrs["Spec"]
    assert spec["Labels"][STAGE_LABEL] == STAGE
    assert spec["EndpointSpec"]["Mode"] == "dnsrr"
    update = spec["UpdateConfig"]
    assert (update["Parallelism"], update["FailureAction"], update["Order"]) == (1, "rollback", "start-first")
    configs = spec["TaskTemplate"]["ContainerSpec"]["Configs"]
    assert [c["File"]["Name"] for c in configs] == ["/etc/testapp/app.conf"]
    assert serving(swarm) == {"version=v1"}


def test_service_update_under_load_fails_no_request(swarm: SwarmLab) -> None:
    given(swarm, (swarm.v1, "v1"))
    result = deploy(swarm, swarm.v2, "v2", load=True)
    figures("swarm update v1 -> v2", result)
    assert result.ok and result.previous_image == swarm.v1.image, result.reason
    assert result.load is not None and result.load.failed == 0, result.load.errors
    assert result.load.count("version=v1") > 0 and result.load.count("version=v2") > 0
    assert serving(swarm) == {"version=v2"}


def test_a_broken_release_is_rolled_back_by_swarm(swarm: SwarmLab) -> None:
    given(swarm, (swarm.v2, "v2"))
    result = deploy(swarm, swarm.v3_broken, "v3", load=True)
    figures("swarm broken v3", result)
    assert not result.ok and result.rolled_back and result.outcome == "rolled_back"
    assert "rollback" in result.reason and "unhealthy" in result.reason
    assert result.load is not None and result.load.failed == 0, result.load.errors
    assert result.load.count("version=v3") == 0
    assert serving(swarm) == {"version=v2"}


def test_rollback_returns_to_the_previous_release(swarm: SwarmLab) -> None:
    given(swarm, (swarm.v1, "v1"), (swarm.v2, "v2"))
    load = HttpLoad(f"http://127.0.0.1:{swarm.port}/", workers=4, max_seconds=240)
    result = SwarmEngine(swarm.client, say).rollback(swarm.target, None, RollOptions(load=load))
    figures("swarm rollback v2 -> v1", result)
    assert result.ok and result.image == swarm.v1.image and result.action == "rollback"
    assert result.load is not None and result.load.failed == 0, result.load.errors
    assert serving(swarm) == {"version=v1"}


def test_a_container_stage_made_before_the_swarm_deploys_after_leaving_it(releases: Releases, tmp_path: Path) -> None:
    """Leaving a swarm drops the DNS names of running containers; the next deploy gives them back."""
    client, port = releases.client, free_port()
    plain = ContainerEngine(client, say)
    plain.remove(container_target(tmp_path, port))
    try:
        if swarm_active(client):
            pytest.fail("the engine is in a swarm this test did not make: it cannot leave it")
        assert deploy_containers(client, tmp_path, releases.v1, "v1", port).ok  # made before the swarm
        with in_swarm(client) as leave:
            leave()
        result = deploy_containers(client, tmp_path, releases.v2, "v2", port)
        figures("container stage after swarm leave v1 -> v2", result)
        assert result.ok, result.reason
        assert {fetch(port)[1].split()[0] for _ in range(6)} == {"version=v2"}
    finally:
        plain.remove(container_target(tmp_path, port))
    assert not client.list_containers([f"{STAGE_LABEL}={CONTAINER_STAGE}"])
