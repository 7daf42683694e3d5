"""A project whose hosts are this machine: applied, scanned and fixed over the local transport."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

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
    - name: app config
      template: src=app.ini.j2 dest={{ root }}/app.ini mode=0644
"""


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


@pytest.fixture(autouse=True)
def local_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    """An apply reaches every host of the inventory on this machine (the local transport)."""
    retained = lambda: RetainedConnections(local_transport)  # noqa: E731 (the class's stand-in)
    monkeypatch.setattr("deployctl.operations.converge.RetainedConnections", retained)


@pytest.fixture
def local_project(tmp_path: Path) -> LocalProject:
    """Stages dev and qa, one host each writing a config file into its own folder."""
    root = tmp_path / "project"
    (root / "inventories").mkdir(parents=True)
    (root / "templates").mkdir()
    (root / "deployctl.yml").write_text("stages: [dev, qa]\n")
    (root / "site.yml").write_text(PLAYBOOK)
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
