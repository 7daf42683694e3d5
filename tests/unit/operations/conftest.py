"""A project whose VMs are this machine (the local transport), and a fake Docker engine for container stages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from deployctl.immutable.engines import ContainerTarget, RollOptions
from deployctl.immutable.recipe import ImageRelease, RuntimeFile, ServiceSpec
from deployctl.immutable.rollout import RolloutResult
from deployctl.model.project import Project, load_project
from deployctl.transport.local import LocalTransport
from deployctl.transport.retained import RetainedConnections

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: the app's config
      copy: content="port={{ port }}\\n" dest={{ root }}/app.conf mode=0644
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


@pytest.fixture
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
