"""One rollout interface: the engine is chosen once from `deployctl_engine`, and deploy, rollback, drift's
`--fix` and verify's replica list all reach the Swarm engine for a Swarm stage (never the plain containers)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from deployctl.cli.main import main
from deployctl.drift.model import DriftItem, HostScan
from deployctl.errors import InputError
from deployctl.immutable.engines import (
    ContainerEngine,
    ContainerTarget,
    RollOptions,
    SwarmEngine,
    container_target,
    engine_for,
)
from deployctl.immutable.recipe import ImageRelease, RuntimeFile, ServiceSpec
from deployctl.immutable.resources import ENGINE_LABEL, RELEASE_LABEL, ROLE_LABEL, STAGE_LABEL, SWARM_TASK_LABEL
from deployctl.immutable.rollout import RolloutResult
from deployctl.immutable.swarm import service_definition
from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import begin_deployment, finish_deployment
from deployctl.model.inventory import InventoryHost, load_inventories
from deployctl.model.project import Project, load_project
from deployctl.model.records import HostOutcome
from deployctl.operations.drift import fix_containers
from deployctl.operations.release import record_release
from deployctl.release.verification import serving_replicas
from tests.unit.dockerapi.fakeengine import FakeContainer, FakeEngine

HOST = "dev-web"
PLAYBOOK = "- hosts: all\n  tasks:\n    - debug:\n        msg: hello\n"
IMAGE = ImageRelease(
    app="webapp",
    image="deployctl/webapp:abc",
    image_id="sha256:" + "a" * 64,
    context_hash="abc",
    service=ServiceSpec(name="webapp", command=("python3", "/app/app.py"), port=8000, user="nobody"),
)


def write_project(root: Path, engine: str = "swarm") -> Project:
    """A project with one stage whose only host is a container target of the given engine."""
    (root / "inventories").mkdir(parents=True, exist_ok=True)
    (root / "playbooks").mkdir(exist_ok=True)
    (root / "deployctl.yml").write_text("stages: [dev]\n")
    (root / "playbooks" / "webapp.yml").write_text(PLAYBOOK)
    write_inventory(root, engine)
    return load_project(root)


def write_inventory(root: Path, engine: str) -> None:
    (root / "inventories" / "dev.yml").write_text(
        "all:\n"
        "  hosts:\n"
        f"    {HOST}:\n"
        "      deployctl_strategy: immutable\n"
        "      deployctl_proxy_port: 18080\n"
        "      deployctl_replicas: 2\n"
        f"      deployctl_engine: {engine}\n"
    )


def inventory_host(project: Project) -> InventoryHost:
    return load_inventories(project, ["dev"])["dev"].hosts[HOST]


def target_of(project: Project) -> ContainerTarget:
    return container_target(inventory_host(project), "dev", project.state_dir, project.root / "images")


def result(engine: str, action: str = "deploy") -> RolloutResult:
    return RolloutResult("dev", IMAGE.image, None, "deployed", 2, 1.0, engine=engine, action=action)  # type: ignore[arg-type]


@dataclass
class Calls:
    """The engine methods called, by `<engine>.<method>`, with their arguments."""

    made: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.made]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Both engines' deploy, rollback and replace replaced by recorders (no Docker engine is touched)."""
    seen = Calls()
    for engine_class, name in ((ContainerEngine, "container"), (SwarmEngine, "swarm")):
        for method in ("deploy", "rollback", "replace"):

            def record(
                _self: object, *args: Any, _name: str = f"{name}.{method}", _engine: str = name
            ) -> RolloutResult:
                seen.made.append((_name, args))
                return result(_engine, "rollback" if _name.endswith("rollback") else "deploy")

            monkeypatch.setattr(engine_class, method, record)
    return seen


def test_engine_for_picks_swarm_from_the_inventory(tmp_path: Path) -> None:
    project = write_project(tmp_path, "swarm")
    target = target_of(project)
    assert (target.engine, target.proxy_port, target.replicas, target.host) == ("swarm", 18080, 2, HOST)
    assert isinstance(engine_for(target, object(), print), SwarmEngine)  # type: ignore[arg-type]


def test_engine_for_picks_the_container_engine_by_default(tmp_path: Path) -> None:
    project = write_project(tmp_path, "container")
    (tmp_path / "inventories" / "dev.yml").write_text(
        (tmp_path / "inventories" / "dev.yml").read_text().replace("      deployctl_engine: container\n", "")
    )
    target = target_of(project)
    assert target.engine == "container"
    assert isinstance(engine_for(target, object(), print), ContainerEngine)  # type: ignore[arg-type]


def test_an_unknown_engine_is_refused_with_its_file_line_and_field(tmp_path: Path) -> None:
    project = write_project(tmp_path, "swarn")
    with pytest.raises(InputError) as refused:
        target_of(project)
    assert refused.value.source.endswith("dev.yml") and refused.value.line == 7
    assert refused.value.field == "deployctl_engine"
    assert "'swarn'" in refused.value.problem and "container or swarm" in refused.value.problem


def test_a_forced_update_asks_swarm_to_replace_the_tasks() -> None:
    from deployctl.dockerapi.engine import task_template
    from deployctl.immutable.replica import spec_for_release

    definition = service_definition(
        "dev", spec_for_release(IMAGE, ()), [], "net", replicas=2, parallelism=1, delay=0, monitor=1, health=None,
        force_update=3,
    )  # fmt: skip
    assert definition.force_update == 3
    assert task_template(definition)["ForceUpdate"] == 3


def _deployed(project: Project, connection: sqlite3.Connection) -> str:
    """Record a release of the project and a successful deployment of it to dev; the release id."""
    row = record_release(connection, project, project.root / "playbooks" / "webapp.yml")
    deployment = begin_deployment(connection, "dev", row.id, "deploy", "immutable")
    finish_deployment(connection, deployment, "ok", [HostOutcome(HOST, "container", "deployed", {})])
    return row.id


def test_rollback_of_a_swarm_stage_goes_to_the_swarm_engine(
    tmp_path: Path, calls: Calls, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bug: `deployctl rollback` always used the plain-container engine. The target is the one the running
    release names (here swarm), even when the working tree's inventory says otherwise since."""
    project = write_project(tmp_path, "swarm")
    connection = open_ledger(project.ledger)
    _deployed(project, connection)
    connection.close()
    write_inventory(tmp_path, "container")  # edited after the release: the stage still runs the swarm one
    monkeypatch.setattr("deployctl.operations.context.engine_factory", lambda _project, _say: lambda: object())
    try:
        main(["--project", str(tmp_path), "rollback", "--stage", "dev", "--format", "json"])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert calls.names() == ["swarm.rollback"]
    target, to, options = calls.made[0][1]
    assert (target.engine, target.host, to, options) == ("swarm", HOST, None, RollOptions())
    payload = json.loads(out)
    assert payload["engine"] == "swarm" and payload["action"] == "rollback"


def test_drift_fix_of_a_swarm_target_replaces_its_tasks_with_the_recorded_image(
    tmp_path: Path, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    """drift --fix used the container engine and rebuilt the image: it now uses the target's engine and the
    release's recorded image (by digest), and never builds."""
    project = write_project(tmp_path, "swarm")
    connection = open_ledger(project.ledger)
    release_id = _deployed(project, connection)
    recorded: list[tuple[str, str]] = []

    def recorded_image(_client: object, _connection: object, release: str, play: str) -> ImageRelease:
        recorded.append((release, play))
        return IMAGE

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("drift --fix must not build an image")

    files = [RuntimeFile(dest="/etc/webapp.ini", content=b"port=8000\n")]
    monkeypatch.setattr("deployctl.lab.engine.ensure_engine", lambda _dir, _say: object())
    monkeypatch.setattr("deployctl.operations.release.recorded_image_release", recorded_image)
    monkeypatch.setattr("deployctl.immutable.build.render_runtime_files", lambda _image, _book, _scope: files)
    monkeypatch.setattr("deployctl.immutable.build.build_release", never)
    monkeypatch.setattr("deployctl.immutable.build.compile_with_base", never)
    task = "deployctl-dev-app.1.abcdef"
    item = DriftItem("dev", task, "container", "immutable", "file", "/etc/hand-edit", "absent", "present")
    scan = HostScan("dev", task, "container", "immutable", HOST, release_id, "drifted", items=(item,))

    lines = fix_containers(project, "dev", release_id, HOST, [scan], connection)

    assert recorded == [(release_id, "all")]
    assert calls.names() == ["swarm.replace"]
    target, image, given_files, replicas = calls.made[0][1]
    assert (target.engine, image, list(given_files), list(replicas)) == ("swarm", IMAGE, files, [task])
    assert lines[-1] == f"fix: dev/{HOST}: 2 replicas replaced (deployed)"
    row = connection.execute("SELECT action, outcome FROM deployments ORDER BY id DESC LIMIT 1").fetchone()
    assert tuple(row) == ("fix", "ok")
    connection.close()


def test_drift_fix_of_a_swarm_replica_count_redeploys_through_the_swarm_engine(
    tmp_path: Path, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(tmp_path, "swarm")
    connection = open_ledger(project.ledger)
    release_id = _deployed(project, connection)
    monkeypatch.setattr("deployctl.lab.engine.ensure_engine", lambda _dir, _say: object())
    monkeypatch.setattr("deployctl.operations.release.recorded_image_release", lambda *_args: IMAGE)
    monkeypatch.setattr("deployctl.immutable.build.render_runtime_files", lambda *_args: [])
    item = DriftItem("dev", HOST, "container", "immutable", "replicas", "replicas", "2", "1")
    scan = HostScan("dev", HOST, "container", "immutable", HOST, release_id, "drifted", items=(item,))
    fix_containers(project, "dev", release_id, HOST, [scan], connection)
    connection.close()
    assert calls.names() == ["swarm.deploy"]
    assert calls.made[0][1][1] == IMAGE


def app_container(name: str, labels: dict[str, str], status: str = "running") -> FakeContainer:
    state = {"Status": status, "Health": {"Status": "healthy"}}
    return FakeContainer(name, labels, status, {"State": state, "Config": {"Image": IMAGE.image}})


def _labels(engine: str, task: bool) -> dict[str, str]:
    labels = {STAGE_LABEL: "dev", ROLE_LABEL: "app", RELEASE_LABEL: IMAGE.image, ENGINE_LABEL: engine}
    return {**labels, SWARM_TASK_LABEL: "svc1"} if task else labels


def test_status_of_a_swarm_stage_reports_its_running_task_containers(tmp_path: Path) -> None:
    """verify found no replica on a Swarm stage: the status dropped task containers. It now lists them."""
    project = write_project(tmp_path, "swarm")
    found = [
        app_container("deployctl-dev-app.1.aaa", _labels("swarm", True)),
        app_container("deployctl-dev-app.2.bbb", _labels("swarm", True)),
        app_container("deployctl-dev-app.3.ccc", _labels("swarm", True), status="exited"),
        app_container("deployctl-dev-app-0f0f0f", _labels("container", False)),
    ]
    client = FakeEngine(containers=found)
    target = target_of(project)
    status = engine_for(target, client, print).status(target, probe=False)
    assert [(r.name, r.in_upstream) for r in status.replicas] == [
        ("deployctl-dev-app.1.aaa", True),
        ("deployctl-dev-app.2.bbb", True),
        ("deployctl-dev-app.3.ccc", False),
    ]
    assert serving_replicas(client, [target]) == ["deployctl-dev-app.1.aaa", "deployctl-dev-app.2.bbb"]


def test_status_of_a_container_stage_leaves_task_containers_out(tmp_path: Path) -> None:
    project = write_project(tmp_path, "container")
    found = [
        app_container("deployctl-dev-app.1.aaa", _labels("swarm", True)),
        app_container("deployctl-dev-app-0f0f0f", _labels("container", False)),
    ]
    target = target_of(project)
    status = engine_for(target, FakeEngine(containers=found), print).status(target, probe=False)
    assert [(r.name, r.in_upstream) for r in status.replicas] == [("deployctl-dev-app-0f0f0f", False)]
