"""Tiny release images for rollout tests, built here from `testapp/` until the immutable builder produces them."""

from __future__ import annotations

import http.client
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from deployctl.dockerapi.engine import DockerEngine
from deployctl.immutable.recipe import ImageRelease, RuntimeFile, ServiceSpec
from deployctl.immutable.resources import RELEASE_LABEL, ROLE_LABEL
from deployctl.immutable.rollout import RolloutResult
from deployctl.lab.engine import ensure_engine
from deployctl.lab.images import BASE_IMAGE, CONTEXT_LABEL, build_image, context_digest, ensure_base_image

TESTAPP = Path(__file__).resolve().parent / "testapp"
TEST_LABEL = "deployctl.test"
CONFIG_DEST = "/etc/testapp/app.conf"
GWBRIDGE = "docker_gwbridge"


def say(message: str) -> None:
    """Progress of the lab work, with the time, on stderr (pytest shows it with -s or on failure)."""
    sys.stderr.write(f"[{time.strftime('%X')}] {message}\n")


def engine_with_releases(
    state_dir: Path, images_dir: Path, versions: tuple[str, ...], test: str
) -> tuple[DockerEngine, dict[str, ImageRelease]]:
    """The engine (started when needed), the base image, and the test app built as each version (v3 broken)."""
    client = ensure_engine(state_dir, say)
    ensure_base_image(client, images_dir, say)
    return client, {name: build_app(client, name, say, broken=name == "v3", test=test) for name in versions}


def figures(name: str, result: RolloutResult) -> None:
    """A rollout's figures on stderr: outcome, time, seconds per swap, requests sent and failed."""
    load = result.load
    sent = f"{load.sent} sent, {load.failed} failed, {load.rate:.0f}/s" if load else "no load"
    swaps = ", ".join(f"{s:.2f}" for s in result.swap_seconds)
    sys.stderr.write(f"\n{name}: {result.outcome} in {result.seconds:.2f}s, swaps [{swaps}] s, {sent}\n")


def build_app(
    client: DockerEngine, release: str, say: Callable[[str], None], *, broken: bool = False, test: str = "1"
) -> ImageRelease:
    """Build the test app as release `release` (its /health fails when `broken`), skipped when already built."""
    base = client.get_image(BASE_IMAGE)
    digest = context_digest(TESTAPP, base.id, release, str(broken), test)
    tag = f"deployctl/testapp:{release}-{digest[:10]}"
    if client.find_image(tag) is None:
        labels = {ROLE_LABEL: "app", RELEASE_LABEL: tag, CONTEXT_LABEL: digest, TEST_LABEL: test}
        build_image(
            client, TESTAPP, tag, labels, say, BASE_IMAGE=BASE_IMAGE, RELEASE=release, BROKEN="1" if broken else "0"
        )
    service = ServiceSpec(name="testapp", command=("python3", "/app/app.py"), port=8000, user="nobody")
    return ImageRelease(
        app="testapp", image=tag, image_id=client.get_image(tag).id, context_hash=digest, service=service
    )


def app_config(version: str, health: str = "ok") -> list[RuntimeFile]:
    """The stage's rendered config file for the test app: the version `/` answers (and `health=fail` to break it)."""
    text = f"# rendered for the test stage\nversion={version}\nhealth={health}\n"
    return [RuntimeFile(dest=CONFIG_DEST, content=text.encode())]


def remove_test_images(client: DockerEngine, test: str) -> list[str]:
    """Remove the test app images a test module built (by its `deployctl.test` label), and only those."""
    removed = []
    for image in client.sdk.images.list(filters={"label": f"{TEST_LABEL}={test}"}):
        if image.labels.get(TEST_LABEL) == test and image.labels.get(ROLE_LABEL) == "app":
            client.sdk.images.remove(str(image.id), force=True)
            removed.append(str(image.id))
    return removed


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, for a stage's proxy."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int, path: str = "/") -> tuple[int, str]:
    """GET a path from a stage's proxy on 127.0.0.1 (the only address tests talk to): status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def has_gwbridge(client: DockerEngine) -> bool:
    """Whether Docker's `docker_gwbridge` network exists (joining a swarm creates it)."""
    return any(network.name == GWBRIDGE for network in client.list_networks(names=[GWBRIDGE]))


def join_swarm(client: DockerEngine, say: Callable[[str], None]) -> None:
    """Make the engine a single-node swarm that listens on 127.0.0.1 only."""
    say("docker swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:2377")
    client.sdk.swarm.init(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:2377")


def leave_swarm(client: DockerEngine, had_gwbridge: bool) -> None:
    """Leave the swarm `join_swarm` made, and remove the docker_gwbridge network joining it created."""
    client.sdk.swarm.leave(force=True)
    if had_gwbridge:
        return
    for network in client.list_networks(names=[GWBRIDGE]):
        if network.name == GWBRIDGE and not network.attrs.get("Containers"):
            network.remove()
