"""The deploy operation: a release to a VM stage over the local transport, and to a container stage through a
fake rollout engine; both recorded as one deployment of the release."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from deployctl.dockerapi.types import ImageInfo
from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import deployment_hosts, deployments, list_releases, save_release_image
from deployctl.model.records import ReleaseImage
from deployctl.operations.context import stage_context
from deployctl.operations.deploy import DeployOptions, PromotionOrigin, deploy, deploy_release
from deployctl.operations.release import record_release
from deployctl.operations.targets import stage_targets
from deployctl.release.images import image_release_to_json, load_release
from tests.unit.dockerapi.fakeengine import FakeEngine as DockerEngineFake
from tests.unit.operations.conftest import IMAGE, FakeEngine, write_container_project, write_vm_project


def no_engine() -> Any:
    raise AssertionError("a stage without container targets never reaches the Docker engine")


@pytest.mark.usefixtures("local_hosts")
def test_deploy_of_a_vm_stage_records_the_release_it_made_and_every_host(tmp_path: Path) -> None:
    project = write_vm_project(tmp_path / "project", tmp_path / "target", port=8001)
    lines: list[str] = []
    done = deploy(project, "test", DeployOptions(), no_engine, lines.append)
    assert done.ok and done.strategy == "mutable" and done.rollouts == ()
    assert done.vms is not None and done.vms.exit_code == 0
    assert (tmp_path / "target" / "app.conf").read_text() == "port=8001\n"
    with closing(open_ledger(project.ledger)) as ledger:
        [release] = list_releases(ledger)
        [deployment] = deployments(ledger, "test")
        hosts = deployment_hosts(ledger, deployment.id)
    assert done.release == release and release.playbook == "playbooks/webapp.yml"
    assert (deployment.id, deployment.action, deployment.outcome) == (done.deployment_id, "deploy", "ok")
    assert deployment.release_id == release.id
    assert [(h.host, h.status) for h in hosts] == [("local1", "changed")]
    assert f"test: applying release {release.id} to local1" in lines


@pytest.mark.usefixtures("local_hosts")
def test_deploy_of_a_named_release_uses_its_snapshot_not_the_working_tree(tmp_path: Path) -> None:
    project = write_vm_project(tmp_path / "project", tmp_path / "target", port=8001)
    with closing(open_ledger(project.ledger)) as ledger:
        first = record_release(ledger, project, project.root / "playbooks" / "webapp.yml")
    write_vm_project(tmp_path / "project", tmp_path / "target", port=9999)  # edited since
    done = deploy(project, "test", DeployOptions(), no_engine, lambda _line: None, release=first.id)
    assert done.ok and done.release == first
    assert (tmp_path / "target" / "app.conf").read_text() == "port=8001\n"


def test_a_promotion_rolls_the_recorded_image_through_the_engine_and_records_its_gates(
    tmp_path: Path, fake_engine: FakeEngine
) -> None:
    project = write_container_project(tmp_path)
    client = DockerEngineFake(images={IMAGE.image: ImageInfo(IMAGE.image_id, {}, {})})
    with closing(open_ledger(project.ledger)) as ledger:
        row = record_release(ledger, project, project.root / "playbooks" / "webapp.yml")
        save_release_image(
            ledger, ReleaseImage(row.id, "all", IMAGE.image, IMAGE.image_id, "abc", "now", image_release_to_json(IMAGE))
        )
        loaded = load_release(project, row)
        targets = stage_targets(loaded, stage_context(project, "dev", loaded.project))
        promotion = PromotionOrigin(
            source_stage="qa", gates='[{"gate": "release"}]', forced=True, force_reason="hotfix"
        )
        done = deploy_release(ledger, loaded, targets, DeployOptions(), lambda: client, lambda _line: None, promotion)
        [deployment] = deployments(ledger, "dev")
        [host] = deployment_hosts(ledger, deployment.id)
    assert done.ok and done.strategy == "immutable" and done.vms is None
    assert [(call, target.host, image) for call, target, image in fake_engine.calls] == [("deploy", "dev-web", IMAGE)]
    assert (deployment.action, deployment.outcome, deployment.release_id) == ("promote", "ok", row.id)
    assert (deployment.source_stage, deployment.forced, deployment.force_reason) == ("qa", True, "hotfix")
    assert deployment.gates == '[{"gate": "release"}]'
    assert (host.host, host.kind, host.detail["image_id"]) == ("dev-web", "container", IMAGE.image_id)
