"""Rolling a stage's replicas behind its nginx proxy on the real Docker engine, under continuous HTTP load.

Each test starts from an empty stage (a fresh state folder and port, the stage's labelled containers and
network removed before and after it) and deploys the releases it needs: first deploy (v1), rollout to v2 under
load, a broken v3 rolled back by itself, rollbacks (previous, then named), and a release that breaks half way
(the swapped replica is rolled back). Every request goes to the stage's proxy on 127.0.0.1; every resource
carries the stage's labels, and the images this module built are removed at its end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deployctl.dockerapi.engine import DockerEngine
from deployctl.errors import DeployctlError
from deployctl.immutable.engines import ContainerEngine, ContainerTarget, RollOptions
from deployctl.immutable.history import load_history
from deployctl.immutable.load import HttpLoad, LoadReport
from deployctl.immutable.proxy import Upstream, find_proxy, read_stage_conf, reload_proxy, render_stage_conf
from deployctl.immutable.recipe import ImageRelease
from deployctl.immutable.replica import config_folder
from deployctl.immutable.resources import RELEASE_LABEL, ROLE_LABEL, STAGE_LABEL, network_name, proxy_name
from deployctl.immutable.rollout import RolloutResult, StageStatus
from tests.conftest import REPO
from tests.integration.apps import (
    CONFIG_DEST,
    app_config,
    engine_with_releases,
    fetch,
    figures,
    free_port,
    remove_test_images,
    say,
)

pytestmark = pytest.mark.integration

STAGE = "itrollout"
TEST = "rollout"
IMAGES = REPO / "images"
MIN_REQUESTS = 300


@dataclass(frozen=True)
class Releases:
    """The engine and the test app built as each release (built once for the module)."""

    client: DockerEngine
    v1: ImageRelease
    v2: ImageRelease
    v3_broken: ImageRelease
    v4: ImageRelease


@dataclass(frozen=True)
class RolloutLab:
    """One test's stage: its own proxy port and state folder (release history, config files)."""

    client: DockerEngine
    port: int
    state_dir: Path
    v1: ImageRelease
    v2: ImageRelease
    v3_broken: ImageRelease
    v4: ImageRelease

    @property
    def target(self) -> ContainerTarget:
        """The stage's container target: 3 replicas behind the proxy on `port`."""
        return ContainerTarget(STAGE, f"{STAGE}-containers", "container", self.port, 3, self.state_dir, IMAGES)

    def engine(self, say_to: Callable[[str], None] = say) -> ContainerEngine:
        return ContainerEngine(self.client, say_to)


def stage_status(rollout: RolloutLab) -> StageStatus:
    return rollout.engine().status(rollout.target)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Releases]:
    """The engine, the base and the test releases; the images are removed at the end of the module."""
    state_dir = tmp_path_factory.mktemp("rollout-engine")
    client, built = engine_with_releases(state_dir, IMAGES, ("v1", "v2", "v3", "v4"), TEST)
    try:
        yield Releases(client, built["v1"], built["v2"], built["v3"], built["v4"])
    finally:
        remove_test_images(client, TEST)


@pytest.fixture
def rollout(releases: Releases, tmp_path: Path) -> Iterator[RolloutLab]:
    """An empty stage: its labelled containers and network removed before (a crashed run's) and after the test."""
    r = releases
    lab = RolloutLab(r.client, free_port(), tmp_path / "state", r.v1, r.v2, r.v3_broken, r.v4)
    lab.engine().remove(lab.target)
    try:
        yield lab
    finally:
        lab.engine().remove(lab.target)
    assert not r.client.list_containers([f"{STAGE_LABEL}={STAGE}"])


def given(rollout: RolloutLab, *releases: tuple[ImageRelease, str]) -> None:
    """The stage's starting state: these releases deployed in order (all replicas at once: no load to protect)."""
    for release, version in releases:
        result = rollout.engine().deploy(rollout.target, release, app_config(version), RollOptions(parallelism=3))
        assert result.ok, result.reason


def load_for(rollout: RolloutLab) -> HttpLoad:
    """Continuous load on the stage's proxy: 4 threads, bounded to 3 minutes and 500,000 requests."""
    return HttpLoad(f"http://127.0.0.1:{rollout.port}/", workers=4, max_seconds=180, max_requests=500_000)


def deploy(
    rollout: RolloutLab, release: ImageRelease, version: str, *, load: bool, health: str = "ok"
) -> RolloutResult:
    options = RollOptions(parallelism=1, load=load_for(rollout) if load else None)
    return rollout.engine().deploy(rollout.target, release, app_config(version, health), options)


def serving(rollout: RolloutLab, count: int = 12) -> set[str]:
    """The versions the proxy answers over `count` requests."""
    versions = set()
    for _ in range(count):
        status, body = fetch(rollout.port)
        assert status == 200, body
        versions.add(body.split()[0])
    return versions


def assert_no_failures(load: LoadReport | None) -> LoadReport:
    assert load is not None
    assert load.failed == 0, load.errors
    assert load.sent >= MIN_REQUESTS, f"only {load.sent} requests in {load.seconds}s"
    return load


def test_first_deploy_starts_the_replicas_then_the_proxy(rollout: RolloutLab) -> None:
    result = deploy(rollout, rollout.v1, "v1", load=False)
    figures("first deploy", result)
    assert result.ok and result.outcome == "deployed" and result.previous_image is None
    status = stage_status(rollout)
    assert status.proxy == proxy_name(STAGE) and status.proxy_running and status.port == rollout.port
    assert len(status.replicas) == 3
    assert all(r.health == "healthy" and r.in_upstream and r.image == rollout.v1.image for r in status.replicas)
    assert serving(rollout) == {"version=v1"}
    for container in rollout.client.list_containers([f"{STAGE_LABEL}={STAGE}"]):
        assert container.labels[ROLE_LABEL] in ("app", "proxy")
        ports = container.attrs["HostConfig"]["PortBindings"] or {}
        if container.labels[ROLE_LABEL] == "app":
            assert container.labels[RELEASE_LABEL] == rollout.v1.image
            assert ports == {}
            mounts = container.attrs["Mounts"]
            assert [(m["Destination"], m["RW"]) for m in mounts] == [(CONFIG_DEST, False)]
        else:
            assert ports == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(rollout.port)}]}
    network = rollout.client.get_network(network_name(STAGE))
    assert network.attrs["Labels"][STAGE_LABEL] == STAGE


def test_rollout_under_continuous_load_fails_no_request(rollout: RolloutLab) -> None:
    given(rollout, (rollout.v1, "v1"))
    result = deploy(rollout, rollout.v2, "v2", load=True)
    figures("rollout v1 -> v2", result)
    assert result.ok and result.outcome == "deployed", result.reason
    assert result.previous_image == rollout.v1.image and result.replaced == 3 and len(result.swaps) == 3
    load = assert_no_failures(result.load)
    assert load.count("version=v1") > 0 and load.count("version=v2") > 0  # it switched during the load
    assert serving(rollout) == {"version=v2"}
    assert {r.image for r in stage_status(rollout).replicas} == {rollout.v2.image}


def test_deploying_the_running_release_again_changes_nothing(rollout: RolloutLab) -> None:
    given(rollout, (rollout.v2, "v2"))
    before = {r.name for r in stage_status(rollout).replicas}
    result = deploy(rollout, rollout.v2, "v2", load=False)
    assert result.ok and result.outcome == "unchanged" and result.replaced == 0
    assert {r.name for r in stage_status(rollout).replicas} == before


def test_a_broken_release_is_rolled_back_and_the_old_replicas_keep_serving(rollout: RolloutLab) -> None:
    given(rollout, (rollout.v2, "v2"))
    before = {r.name for r in stage_status(rollout).replicas}
    result = deploy(rollout, rollout.v3_broken, "v3", load=True)
    figures("broken v3", result)
    assert not result.ok and result.rolled_back and result.outcome == "rolled_back"
    assert "unhealthy" in result.reason and "health check exit code 1" in result.reason
    load = assert_no_failures(result.load)
    assert load.count("version=v3") == 0
    status = stage_status(rollout)
    assert {r.name for r in status.replicas} == before  # the old replicas never stopped
    assert {r.image for r in status.replicas} == {rollout.v2.image}
    assert serving(rollout) == {"version=v2"}


def test_rollback_returns_to_the_previous_release_in_seconds(rollout: RolloutLab) -> None:
    given(rollout, (rollout.v1, "v1"), (rollout.v2, "v2"))
    load = load_for(rollout)
    began = time.monotonic()
    result = rollout.engine().rollback(rollout.target, None, RollOptions(load=load))
    seconds = time.monotonic() - began
    figures("rollback v2 -> v1", result)
    assert result.ok and result.action == "rollback" and result.image == rollout.v1.image
    assert seconds < 30, f"rollback took {seconds:.1f}s"
    assert_no_failures(result.load)
    assert serving(rollout) == {"version=v1"}


def test_rollback_to_a_named_release(rollout: RolloutLab) -> None:
    given(rollout, (rollout.v1, "v1"), (rollout.v2, "v2"), (rollout.v4, "v4"))  # the previous release is v2
    result = rollout.engine().rollback(rollout.target, rollout.v1.image, RollOptions(parallelism=1))
    assert result.ok and result.image == rollout.v1.image
    assert serving(rollout) == {"version=v1"}


def test_a_config_nginx_rejects_is_never_loaded(rollout: RolloutLab) -> None:
    given(rollout, (rollout.v2, "v2"))
    proxy = find_proxy(rollout.client, STAGE)
    assert proxy is not None
    current = read_stage_conf(proxy)
    bad = render_stage_conf(STAGE, [Upstream("deployctl-itrollout-app-missing", 8000)], 999)
    with pytest.raises(DeployctlError, match="host not found"):
        reload_proxy(proxy, bad)
    assert read_stage_conf(proxy) == current
    assert serving(rollout) == {"version=v2"}


def test_a_release_failing_half_way_rolls_the_swapped_replicas_back(rollout: RolloutLab) -> None:
    given(rollout, (rollout.v2, "v2"))
    files = app_config("v4")
    host_file = config_folder(rollout.state_dir, STAGE, rollout.v4, files) / CONFIG_DEST.lstrip("/")
    broken = False

    def break_after_first_swap(message: str) -> None:
        nonlocal broken
        say(message)
        if "drained and removed" in message and not broken:
            broken = True
            host_file.write_text("version=v4\nhealth=fail\n")  # in place: the mounted file changes in every v4

    options = RollOptions(parallelism=1, load=load_for(rollout))
    result = rollout.engine(break_after_first_swap).deploy(rollout.target, rollout.v4, files, options)
    figures("v4 failing half way", result)
    assert broken and len(result.swaps) == 1
    assert result.rolled_back and not result.ok and "unhealthy" in result.reason
    assert result.load is not None and result.load.failed == 0, result.load.errors
    status = stage_status(rollout)
    assert len(status.replicas) == 3 and {r.image for r in status.replicas} == {rollout.v2.image}
    assert all(r.in_upstream and r.health == "healthy" for r in status.replicas)
    assert serving(rollout) == {"version=v2"}


def test_the_history_records_every_rollout(rollout: RolloutLab) -> None:
    given(rollout, (rollout.v1, "v1"), (rollout.v2, "v2"), (rollout.v2, "v2"))
    assert not deploy(rollout, rollout.v3_broken, "v3", load=False).ok
    assert rollout.engine().rollback(rollout.target, None, RollOptions()).ok
    assert rollout.engine().rollback(rollout.target, rollout.v2.image, RollOptions()).ok
    records = load_history(rollout.state_dir, STAGE)
    assert [(r.spec.image, r.outcome, r.action) for r in records] == [
        (rollout.v1.image, "deployed", "deploy"),
        (rollout.v2.image, "deployed", "deploy"),
        (rollout.v2.image, "unchanged", "deploy"),
        (rollout.v3_broken.image, "rolled_back", "deploy"),
        (rollout.v1.image, "deployed", "rollback"),
        (rollout.v2.image, "deployed", "rollback"),
    ]
    assert all(r.spec.image_id.startswith("sha256:") for r in records)
