"""A Swarm stage through the real CLI: deploy, rollback and `drift --fix` all keep it a Swarm service.

The test works on a copy of the project with one stage of its own (`itswarmcli`) whose only host is a container
target with `deployctl_engine: swarm`, its own ledger and state folder. The engine is made a single-node swarm
when it is none (listening on 127.0.0.1 only) and left at the end; every resource the stage created (service,
configs, proxy, network, and any plain replica) is removed by its labels, with the images its releases built.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from deployctl.dockerapi.engine import DockerEngine
from deployctl.immutable.engines import ContainerTarget, SwarmEngine
from deployctl.immutable.resources import ENGINE_LABEL, STAGE_LABEL, SWARM_TASK_LABEL, service_name
from deployctl.immutable.swarm import swarm_active
from deployctl.lab.engine import ensure_engine
from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import release_images
from tests.conftest import REPO
from tests.integration.apps import free_port, has_gwbridge, join_swarm, leave_swarm, say

pytestmark = pytest.mark.integration

STAGE = "itswarmcli"
HOST = f"{STAGE}-web"
OTHER_STAGE = "itswarmclib"
"""A second stage, never deployed: with it, the config file differs by stage, so it is a runtime file (a Docker
config of the service), not baked into the image."""
DEADLINE = 900.0
INVENTORY = """\
# The test's Swarm stage: one container target run as a Swarm service behind the stage's proxy.
all:
  children:
    {stage}:
      children:
        web:
          children:
            web_containers:
              hosts:
                {host}:
                  stage_name: {stage}
                  deployctl_engine: {engine}
                  deployctl_proxy_port: {port}
                  deployctl_replicas: 3
"""


@dataclass(frozen=True)
class SwarmStage:
    root: Path
    client: DockerEngine
    port: int

    @property
    def target(self) -> ContainerTarget:
        return ContainerTarget(STAGE, HOST, "swarm", self.port, 3, self.root / ".deployctl", self.root / "images")


def copy_project(root: Path, port: int) -> None:
    """The playbooks, images, group variables and checks of the project, with the Swarm stage and another one."""
    root.mkdir(parents=True)
    for folder in ("playbooks", "images"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "inventories").mkdir()
    shutil.copytree(REPO / "inventories" / "group_vars", root / "inventories" / "group_vars")
    (root / "inventories" / f"{STAGE}.yml").write_text(
        INVENTORY.format(stage=STAGE, host=HOST, port=port, engine="swarm")
    )
    (root / "inventories" / f"{OTHER_STAGE}.yml").write_text(
        INVENTORY.format(stage=OTHER_STAGE, host=f"{OTHER_STAGE}-web", port=free_port(), engine="container")
    )
    (root / "tests").mkdir()  # verify runs the project's checks
    shutil.copytree(REPO / "tests" / "infra", root / "tests" / "infra")
    shutil.copy(REPO / "tests" / "conftest.py", root / "tests" / "conftest.py")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "deployctl.yml").write_text(
        f"stages: [{STAGE}, {OTHER_STAGE}]\ninventory_dir: inventories\nstate_dir: .deployctl\n"
    )


def remove_stage(stage: SwarmStage) -> None:
    """Whatever the stage has (only what carries its labels): plain replicas, then the service and the rest."""
    for name in plain_replicas(stage):
        stage.client.sdk.containers.get(name).remove(force=True)
    SwarmEngine(stage.client, say).remove(stage.target)


@pytest.fixture
def swarm_stage(tmp_path: Path) -> Iterator[SwarmStage]:
    """The project copy, and the engine as a swarm manager (joined here when it is none, left at the end)."""
    root = tmp_path / "project"
    port = free_port()
    copy_project(root, port)
    client = ensure_engine(root / ".deployctl", say)
    was_active = swarm_active(client)
    had_gwbridge = has_gwbridge(client)
    if not was_active:
        join_swarm(client, say)
    stage = SwarmStage(root, client, port)
    try:
        remove_stage(stage)
        yield stage
    finally:
        try:
            remove_stage(stage)
            remove_release_images(root, client)
        finally:
            if not was_active and swarm_active(client):
                leave_swarm(client, had_gwbridge)
    assert swarm_active(client) == was_active
    assert not client.sdk.containers.list(all=True, filters={"label": f"{STAGE_LABEL}={STAGE}"}, ignore_removed=True)


def remove_release_images(root: Path, client: DockerEngine) -> None:
    """The images the copy's releases built (recorded in its own ledger); one still in use is left."""
    ledger = open_ledger(root / ".deployctl" / "ledger.db")
    try:
        ids = {image.image_id for row in ledger.execute("SELECT id FROM releases") for image in
               release_images(ledger, row[0])}  # fmt: skip
    finally:
        ledger.close()
    for image_id in ids:
        with suppress(docker.errors.APIError):
            client.sdk.images.remove(image_id)


def cli(stage: SwarmStage, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    """The real CLI on the copy; asserts its exit code."""
    done = subprocess.run(
        [sys.executable, "-m", "deployctl", "--project", str(stage.root), *args],
        cwd=stage.root,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )
    sys.stderr.write(f"\n$ deployctl {' '.join(args)} -> {done.returncode}\n{done.stderr[-3000:]}")
    assert done.returncode == expect, f"deployctl {' '.join(args)} exited {done.returncode}:\n{done.stdout}"
    return done


def release_and_deploy(stage: SwarmStage) -> dict[str, Any]:
    """`release create` then `deploy` of that release: the deploy's JSON."""
    made = json.loads(cli(stage, "release", "create", "--format", "json").stdout)
    deployed = json.loads(cli(stage, "deploy", "--stage", STAGE, "--release", made["id"], "--format", "json").stdout)
    assert deployed["engine"] == "swarm" and deployed["deployment_outcome"] == "ok", deployed
    return deployed


def service(stage: SwarmStage) -> dict[str, Any]:
    return dict(stage.client.sdk.api.inspect_service(service_name(STAGE)))  # type: ignore[no-untyped-call]


def service_image_and_configs(stage: SwarmStage) -> tuple[str, set[str]]:
    container = service(stage)["Spec"]["TaskTemplate"]["ContainerSpec"]
    return str(container["Image"]), {c["ConfigName"] for c in container.get("Configs") or []}


def plain_replicas(stage: SwarmStage) -> list[str]:
    """The stage's containers of the plain-container engine (none may exist on a Swarm stage)."""
    labels = [f"{STAGE_LABEL}={STAGE}", f"{ENGINE_LABEL}=container"]
    return [str(c.name) for c in stage.client.sdk.containers.list(all=True, filters={"label": labels})]


def running_tasks(stage: SwarmStage) -> list[Any]:
    found = stage.client.sdk.containers.list(filters={"label": [f"{STAGE_LABEL}={STAGE}", "deployctl.role=app"]})
    return [c for c in found if SWARM_TASK_LABEL in c.labels]


def test_rollback_of_a_swarm_stage_returns_the_service_to_the_previous_release_and_verifies(
    swarm_stage: SwarmStage,
) -> None:
    first = release_and_deploy(swarm_stage)
    running_a = service_image_and_configs(swarm_stage)
    template = swarm_stage.root / "playbooks" / "templates" / "webapp.ini.j2"
    template.write_text(template.read_text() + "# release B\n")
    second = release_and_deploy(swarm_stage)
    assert second["release"]["id"] != first["release"]["id"]
    assert service_image_and_configs(swarm_stage) != running_a

    rolled = json.loads(cli(swarm_stage, "rollback", "--stage", STAGE, "--format", "json").stdout)

    assert rolled["engine"] == "swarm" and rolled["action"] == "rollback" and rolled["outcome"] == "deployed"
    # (A and B share their image: only the config differs. The ledger names the release of a rollback from its
    # image alone, so it records B here; the service's image and configs below are A's.)
    assert service_image_and_configs(swarm_stage) == running_a
    assert plain_replicas(swarm_stage) == []
    assert len(running_tasks(swarm_stage)) == 3
    cli(swarm_stage, "verify", "--stage", STAGE)  # the service's task containers are the replicas it checks


def test_drift_fix_of_a_swarm_stage_keeps_it_a_service_on_the_release_image(swarm_stage: SwarmStage) -> None:
    deployed = release_and_deploy(swarm_stage)
    running = service_image_and_configs(swarm_stage)
    clean = cli(swarm_stage, "drift", "--stage", STAGE, "--format", "json", expect=0)
    assert json.loads(clean.stdout)["outcome"] == "clean"
    task = running_tasks(swarm_stage)[0]
    assert task.exec_run(["touch", "/etc/hand-edit"], user="root").exit_code == 0
    drifted = json.loads(cli(swarm_stage, "drift", "--stage", STAGE, "--format", "json", expect=2).stdout)
    assert any(item["resource"] == "/etc/hand-edit" for item in drifted["items"]), drifted["items"]

    cli(swarm_stage, "drift", "--stage", STAGE, "--fix", "--format", "json", expect=0)

    image, configs = service_image_and_configs(swarm_stage)
    assert (image, configs) == running and image == deployed["image"]
    assert plain_replicas(swarm_stage) == []
    assert task.id not in {c.id for c in running_tasks(swarm_stage)}  # the hand-edited task was replaced
    rescan = json.loads(cli(swarm_stage, "drift", "--stage", STAGE, "--format", "json", expect=0).stdout)
    assert rescan["outcome"] == "clean"
