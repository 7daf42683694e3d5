"""Rollout planning (batches of `parallelism`), and the names and labels of a stage's resources."""

from __future__ import annotations

import pytest

from deployctl.errors import DeployctlError
from deployctl.immutable.resources import (
    app_container_name,
    check_stage,
    is_rollout_resource,
    is_stage_resource,
    network_name,
    proxy_name,
    service_name,
    stage_labels,
)
from deployctl.immutable.rollout import Batch, plan_batches

OLD = ("a", "b", "c")


@pytest.mark.parametrize(
    ("old", "replicas", "parallelism", "batches"),
    [
        # one at a time: each new replica retires one old one
        (OLD, 3, 1, [Batch(1, ("a",)), Batch(1, ("b",)), Batch(1, ("c",))]),
        # two at a time: the last batch is smaller
        (OLD, 3, 2, [Batch(2, ("a", "b")), Batch(1, ("c",))]),
        # all at once (a rollback), or a parallelism larger than the stage
        (OLD, 3, 3, [Batch(3, OLD)]),
        (OLD, 3, 10, [Batch(3, OLD)]),
        # scale up: the extra replicas retire nothing
        (OLD, 5, 2, [Batch(2, ("a", "b")), Batch(2, ("c",)), Batch(1, ())]),
        # scale down: the last batch retires what is left
        (OLD, 2, 1, [Batch(1, ("a",)), Batch(1, ("b", "c"))]),
        (("a", "b", "c", "d", "e"), 1, 1, [Batch(1, ("a", "b", "c", "d", "e"))]),
        # first deploy: nothing serves yet, every replica starts at once
        ((), 3, 1, [Batch(3, ())]),
    ],
)
def test_plan_batches(old: tuple[str, ...], replicas: int, parallelism: int, batches: list[Batch]) -> None:
    planned = plan_batches(old, replicas, parallelism)
    assert planned == batches
    assert sum(b.start for b in planned) == replicas
    assert [name for b in planned for name in b.retire] == list(old)


@pytest.mark.parametrize(("replicas", "parallelism", "field"), [(0, 1, "replicas"), (3, 0, "parallelism")])
def test_plan_batches_refuses_nonsense(replicas: int, parallelism: int, field: str) -> None:
    with pytest.raises(DeployctlError, match=field):
        plan_batches(OLD, replicas, parallelism)


def test_names_of_a_stages_resources() -> None:
    assert network_name("qa") == "deployctl-qa"
    assert proxy_name("qa") == "deployctl-qa-proxy"
    assert service_name("qa") == "deployctl-qa-app"
    assert app_container_name("qa", "0a1b2c") == "deployctl-qa-app-0a1b2c"
    assert app_container_name("qa").startswith("deployctl-qa-app-")
    assert app_container_name("qa") != app_container_name("qa")


@pytest.mark.parametrize("stage", ["dev", "prod", "eu-west.2", "qa_1"])
def test_stage_names_that_name_containers(stage: str) -> None:
    assert check_stage(stage) == stage


@pytest.mark.parametrize("stage", ["", "Prod", "-qa", "qa/1", "a b", "x" * 41])
def test_stage_names_that_cannot_name_containers(stage: str) -> None:
    with pytest.raises(DeployctlError, match="stage name"):
        check_stage(stage)


def test_labels_say_stage_role_and_release() -> None:
    labels = stage_labels("qa", "app", "deployctl/webapp:abc", {"deployctl.engine": "container"})
    assert labels == {
        "deployctl.stage": "qa",
        "deployctl.role": "app",
        "deployctl.release": "deployctl/webapp:abc",
        "deployctl.engine": "container",
    }
    assert is_stage_resource(labels, "qa", "app") and is_rollout_resource(labels, "qa")
    assert not is_stage_resource(labels, "qa", "proxy") and not is_rollout_resource(labels, "dev")


def test_the_labs_machines_are_never_a_rollouts_resource() -> None:
    lab_node = {"deployctl.lab": "1", "deployctl.role": "lab-node", "deployctl.stage": "dev"}
    assert is_stage_resource(lab_node, "dev")
    assert not is_rollout_resource(lab_node, "dev")
    assert not is_rollout_resource({"deployctl.stage": "dev", "deployctl.engine": "container"} | {"x": "y"}, "qa")
    assert not is_rollout_resource(None, "dev")
