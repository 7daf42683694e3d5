"""The immutable strategy's build on the real Docker engine: bake the demo webapp into a release image.

The webapp is baked from a copy of playbooks/ whose webapp.py carries a marker unique to this run, so
the first build really builds (its tag is new) and the image can be removed afterwards without touching
anything another run made. The base image's facts are read for real, in a throwaway container.
"""

from __future__ import annotations

import shutil
import socket
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from docker.errors import APIError, ImageNotFound

from deployctl.dockerapi.containers import DockerContainer
from deployctl.dockerapi.engine import DockerEngine
from deployctl.immutable.build import BuildError, build_release, compile_with_base, render_runtime_files
from deployctl.immutable.compile import BuildRecipe
from deployctl.immutable.readiness import STEADY_INTERVAL_S, wait_ready
from deployctl.immutable.recipe import ImageRelease
from deployctl.immutable.stages import stage_variables
from deployctl.lab.engine import ensure_engine
from deployctl.lab.images import ensure_base_image
from deployctl.model.loading.plays import load_playbook
from deployctl.model.playbook import Playbook
from deployctl.model.project import Project

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
STAGES = ("dev", "qa")
TEST_LABELS = {"deployctl.role": "build-test"}
HEALTH_DEADLINE = 60.0


def say_to_stderr(line: str) -> None:
    sys.stderr.write(f"{line}\n")


@pytest.fixture(scope="session")
def docker_client(project: Project) -> DockerEngine:
    """A client of an answering engine, with the base image present (built on a fresh machine)."""
    client = ensure_engine(project.state_dir / "lab", say_to_stderr)
    ensure_base_image(client, REPO / "images", say_to_stderr)
    return client


def webapp_copy(folder: Path, marker: str, apt_names: str | None = None) -> Playbook:
    """playbooks/ copied into `folder`, webapp.py marked (a new release), the apt task's names replaced if given."""
    target = folder / "playbooks"
    shutil.copytree(REPO / "playbooks", target)
    app = target / "files" / "webapp.py"
    app.write_text(app.read_text(encoding="utf-8") + f"# build test {marker}\n", encoding="utf-8")
    if apt_names is not None:
        playbook = target / "webapp.yml"
        text = playbook.read_text(encoding="utf-8")
        playbook.write_text(text.replace("name: [curl, python3]", f"name: {apt_names}"), encoding="utf-8")
    return load_playbook(target / "webapp.yml", "playbooks/webapp.yml")


def compile_for(client: DockerEngine, project: Project, playbook: Playbook, stages: tuple[str, ...]) -> BuildRecipe:
    play = playbook.plays[0]
    return compile_with_base(client, playbook, play, stage_variables(project, playbook, play, stages))


def remove_image(client: DockerEngine, tag: str) -> None:
    """Remove an image this test built (never forced: an image a container still uses stays)."""
    try:
        client.sdk.images.remove(tag)
    except (ImageNotFound, APIError) as exc:
        say_to_stderr(f"left {tag} in place: {exc}")


@dataclass
class Baked:
    playbook: Playbook
    recipe: BuildRecipe
    first: ImageRelease
    first_log: list[str]
    first_seconds: float
    second: ImageRelease
    second_log: list[str]
    second_seconds: float


@pytest.fixture(scope="module")
def baked(docker_client: DockerEngine, project: Project, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baked]:
    """The marked webapp built twice: the first build is cold (a new tag), the second finds the tag."""
    playbook = webapp_copy(tmp_path_factory.mktemp("webapp"), uuid.uuid4().hex)
    recipe = compile_for(docker_client, project, playbook, STAGES)
    assert not docker_client.sdk.images.list(name=recipe.tag), "the marked webapp cannot have been built before"
    first_log: list[str] = []
    started = time.monotonic()
    first = build_release(docker_client, recipe, first_log.append)
    first_seconds = time.monotonic() - started
    second_log: list[str] = []
    started = time.monotonic()
    second = build_release(docker_client, recipe, second_log.append)
    second_seconds = time.monotonic() - started
    say_to_stderr(f"\nwebapp release: cold build {first_seconds:.1f}s, unchanged {second_seconds * 1000:.0f}ms")
    try:
        yield Baked(playbook, recipe, first, first_log, first_seconds, second, second_log, second_seconds)
    finally:
        remove_image(docker_client, recipe.tag)


def test_a_cold_build_builds_and_an_unchanged_one_builds_nothing(baked: Baked, docker_client: DockerEngine) -> None:
    assert any(line.startswith("Step 2/") and "apt-get" in line for line in baked.first_log)
    assert baked.first_log[-1].startswith(f"Built {baked.recipe.tag}")
    assert not [line for line in baked.second_log if line.startswith(("Step ", "Built"))]
    assert baked.second_log == [f"{baked.recipe.tag} is up to date (image {baked.first.image_id}): nothing to build"]
    assert baked.second.image_id == baked.first.image_id
    assert baked.first.image_id.startswith("sha256:")
    image = docker_client.sdk.images.get(baked.recipe.tag)
    assert image.id == baked.first.image_id
    assert image.labels["deployctl.role"] == "release"
    assert image.labels["deployctl.context"] == baked.recipe.context_hash
    config: dict[str, Any] = image.attrs["Config"]
    assert config["Cmd"] == ["/usr/bin/python3", "/opt/webapp/webapp.py", "/etc/webapp/webapp.ini"]
    assert config["User"] == "webapp"
    assert "8080/tcp" in config["ExposedPorts"]


@pytest.mark.parametrize("stages", [("qa", "dev"), ("dev", "qa", "uat", "prod")])
def test_every_stage_runs_the_same_image(
    baked: Baked, docker_client: DockerEngine, project: Project, stages: tuple[str, ...]
) -> None:
    recipe = compile_for(docker_client, project, baked.playbook, stages)
    log: list[str] = []
    release = build_release(docker_client, recipe, log.append)
    assert recipe.tag == baked.recipe.tag
    assert release.image_id == baked.first.image_id
    assert not [line for line in log if line.startswith("Step ")]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_image_serves_the_dev_config_mounted_read_only(
    baked: Baked, docker_client: DockerEngine, project: Project, tmp_path: Path
) -> None:
    play = baked.playbook.plays[0]
    dev_vars = stage_variables(project, baked.playbook, play, ["dev"])["dev-vm1"]
    volumes: dict[str, dict[str, str]] = {}
    for index, runtime in enumerate(render_runtime_files(baked.first, baked.playbook, dev_vars)):
        path = tmp_path / f"{index}-{Path(runtime.dest).name}"
        path.write_bytes(runtime.content)
        path.chmod(int(runtime.mode, 8))
        volumes[str(path)] = {"bind": runtime.dest, "mode": "ro"}
    assert [volume["bind"] for volume in volumes.values()] == ["/etc/webapp/webapp.ini"]
    port = free_port()
    container = docker_client.sdk.containers.run(
        baked.first.image_id,
        detach=True,
        volumes=volumes,
        ports={"8080/tcp": ("127.0.0.1", port)},
        labels=TEST_LABELS,
    )
    try:
        # The image's own HEALTHCHECK, probed as a rollout probes it (Docker's first verdict comes later)
        config = container.attrs["Config"]["Healthcheck"]
        assert config["Interval"] == STEADY_INTERVAL_S * 1_000_000_000
        failure = wait_ready([DockerContainer(container)], HEALTH_DEADLINE, 0.0)
        assert failure is None, f"{failure}: {container.logs().decode(errors='replace')[-2000:]}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as health:
            assert health.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            body = page.read().decode("utf-8")
        assert "<p>stage: dev</p>" in body
        assert "Hello from dev (version 1.0.0)" in body
    finally:
        container.remove(force=True)


def test_a_missing_package_fails_the_build_naming_the_step_and_the_log_tail(
    docker_client: DockerEngine, project: Project, tmp_path: Path
) -> None:
    playbook = webapp_copy(tmp_path, uuid.uuid4().hex, "[curl, python3, deployctl-no-such-package]")
    recipe = compile_for(docker_client, project, playbook, STAGES)
    log: list[str] = []
    with pytest.raises(BuildError) as failure:
        build_release(docker_client, recipe, log.append)
    message = str(failure.value)
    assert message.startswith(f"building {recipe.tag} failed at step 2/")
    assert "(playbooks/webapp.yml:21 Install curl for health checks)" in message
    assert "exit code 100" in message
    assert "E: Unable to locate package deployctl-no-such-package" in message
    assert not docker_client.sdk.images.list(name=recipe.tag)
