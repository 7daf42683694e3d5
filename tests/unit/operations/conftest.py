"""Projects whose VMs are this machine (every operation test runs over the local transport), and a fake rollout
engine for container stages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from deployctl.immutable.engines import ContainerTarget, RollOptions
from deployctl.immutable.recipe import ImageRelease, RuntimeFile, ServiceSpec
from deployctl.immutable.rollout import RolloutResult
from deployctl.model.connection import SshEndpoint
from deployctl.model.project import Project, load_project
from deployctl.operations.apply import apply, plan_apply
from deployctl.strategies.hostrun import RunOptions
from deployctl.transport.base import Transport
from deployctl.transport.local import LocalTransport
from deployctl.transport.retained import RetainedConnections

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: the app's config
      copy: content="port={{ port }}\\n" dest={{ root }}/app.conf mode=0644
"""

TEMPLATE_PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: app config
      template: src=app.ini.j2 dest={{ root }}/app.ini mode=0644
"""
IMAGE = ImageRelease(
    app="webapp",
    image="deployctl/webapp:abc",
    image_id="sha256:" + "a" * 64,
    context_hash="abc",
    service=ServiceSpec(name="webapp", command=("python3", "/app/app.py"), port=8000, user="nobody"),
)


def write_vm_project(root: Path, target: Path, port: int = 8000) -> Project:
    """A project with one stage, `test`, whose only host (a VM) is this machine; the playbook writes in `target`."""
    (root / "inventories").mkdir(parents=True, exist_ok=True)
    (root / "playbooks").mkdir(exist_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    (root / "deployctl.yml").write_text("stages: [test]\n")
    (root / "playbooks" / "webapp.yml").write_text(PLAYBOOK)
    write_vm_inventory(root, target, port)
    return load_project(root)


def write_vm_inventory(root: Path, target: Path, port: int) -> None:
    (root / "inventories" / "test.yml").write_text(
        f"all:\n  vars:\n    root: {target}\n    port: {port}\n  hosts:\n    local1:\n"
    )


def write_container_project(root: Path, config: str = "a") -> Project:
    """A project with one stage, `dev`, whose only host is a container target; `config` is a stage variable."""
    (root / "inventories").mkdir(parents=True, exist_ok=True)
    (root / "playbooks").mkdir(exist_ok=True)
    (root / "deployctl.yml").write_text("stages: [dev]\n")
    (root / "playbooks" / "webapp.yml").write_text("- hosts: all\n  tasks:\n    - debug:\n        msg: hello\n")
    (root / "inventories" / "dev.yml").write_text(
        "all:\n  hosts:\n    dev-web:\n      deployctl_strategy: immutable\n      deployctl_proxy_port: 18080\n"
        f"      deployctl_replicas: 2\n      config: {config}\n"
    )
    return load_project(root)


@pytest.fixture(autouse=True)
def local_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every VM of an inventory is this machine (the local transport)."""
    monkeypatch.setattr(
        "deployctl.operations.converge.RetainedConnections",
        lambda: RetainedConnections(lambda endpoint: LocalTransport(endpoint.name)),
    )


@dataclass
class FakeEngine:
    """A rollout engine that records its calls and answers with a rollout to `image` (no Docker engine)."""

    image: str = IMAGE.image
    calls: list[tuple[str, ContainerTarget, Any]] = field(default_factory=list)

    def deploy(
        self, target: ContainerTarget, release: ImageRelease, files: list[RuntimeFile], opts: RollOptions
    ) -> RolloutResult:
        self.calls.append(("deploy", target, release))
        return RolloutResult(target.stage, release.image, None, "deployed", target.replicas, 0.5, engine=target.engine)

    def rollback(self, target: ContainerTarget, to: str | None, opts: RollOptions) -> RolloutResult:
        self.calls.append(("rollback", target, to))
        return RolloutResult(
            target.stage,
            self.image,
            "previous",
            "deployed",
            target.replicas,
            0.5,
            engine=target.engine,
            action="rollback",
        )


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEngine]:
    """`engine_for` answers with one FakeEngine, whatever the target's engine."""
    engine = FakeEngine()
    monkeypatch.setattr("deployctl.immutable.engines.engine_for", lambda _target, _client, _say: engine)
    yield engine


@dataclass(frozen=True)
class LocalProject:
    """The project, and each stage's folder its one host writes into."""

    project: Project
    targets: dict[str, Path]

    def config(self, stage: str) -> Path:
        """The file the playbook templates on the stage's host."""
        return self.targets[stage] / "app.ini"


def local_transport(endpoint: SshEndpoint) -> Transport:
    """Every host is this machine."""
    return LocalTransport(endpoint.name)


@pytest.fixture
def local_project(tmp_path: Path) -> LocalProject:
    """Stages dev and qa, one host each writing a config file into its own folder."""
    root = tmp_path / "project"
    (root / "inventories").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "deployctl.yml").write_text("stages: [dev, qa]\n")
    (root / "site.yml").write_text(TEMPLATE_PLAYBOOK)
    (root / "templates" / "app.ini.j2").write_text("[app]\nport = 8000\nstage = {{ stage }}\n")
    targets = {}
    for stage in ("dev", "qa"):
        targets[stage] = tmp_path / stage
        targets[stage].mkdir()
        (root / "inventories" / f"{stage}.yml").write_text(
            f"all:\n  vars:\n    root: {targets[stage]}\n    stage: {stage}\n  hosts:\n    {stage}-local1:\n"
        )
    return LocalProject(load_project(root), targets)


def apply_stage(local: LocalProject, stage: str) -> None:
    """Apply the playbook to the stage, recorded (a release, a deployment and the host's package baseline)."""
    plan = plan_apply(local.project, local.project.root / "site.yml", stage, None)
    result = apply(plan, RunOptions())
    assert result.exit_code == 0, result
