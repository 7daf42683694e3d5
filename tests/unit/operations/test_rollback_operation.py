"""The rollback operation names the release the stage returns to from the stage's history, not the image alone:
two releases can share an image (a change of the stage's config files only keeps it)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from deployctl.ledger.db import open_ledger
from deployctl.ledger.records import (
    DeploymentRow,
    HostOutcome,
    begin_deployment,
    deployments,
    finish_deployment,
    get_deployment,
)
from deployctl.operations.release import record_release
from deployctl.operations.rollback import returned_release, rollback
from tests.unit.operations.conftest import IMAGE, FakeEngine, write_container_project

X, Y = "deployctl/webapp:x", "deployctl/webapp:y"


def row(deployment_id: int, release_id: str | None, outcome: str = "ok", action: str = "deploy") -> DeploymentRow:
    return DeploymentRow(
        deployment_id,
        "dev",
        release_id,
        action,
        "immutable",
        "t",
        "t",
        outcome,
        "",
        None,
        None,
        False,
        "",
        "me",
        1,
        "m",
    )


def ran(image: str) -> list[HostOutcome]:
    return [HostOutcome("dev-web", "container", "deployed", {"image": image, "image_id": f"sha256:{image[-1]}"})]


VM_ONLY = [HostOutcome("web1", "vm", "ok", {})]


@pytest.mark.parametrize(
    ("history", "image", "expected"),
    [
        ([(row(1, "A"), ran(X)), (row(2, "B"), ran(X))], X, "A"),  # B changed only config: back to A
        ([(row(1, "A"), ran(X)), (row(2, "B"), ran(Y))], X, "A"),
        ([(row(1, "A"), ran(X)), (row(2, "B"), ran(X)), (row(3, "B"), ran(X))], X, "A"),  # B redeployed
        ([(row(1, "A"), ran(X)), (row(2, "B"), ran(X)), (row(3, "A", action="rollback"), ran(X))], X, "B"),  # again
        ([(row(1, "A"), ran(X)), (row(2, "B"), ran(X)), (row(3, "C"), VM_ONLY)], X, "A"),  # an apply: not containers
        ([(row(1, "A"), ran(X)), (row(2, "B", "failed"), ran(Y))], X, "A"),  # failed: not what the stage runs
        ([(row(1, "A"), ran(X)), (row(2, "B"), ran(Y))], "sha256:x", "A"),  # by digest
        ([(row(1, "A"), ran(X))], X, "A"),  # only the current one ran it
        ([(row(1, "A"), ran(X)), (row(2, "B"), ran(Y))], "deployctl/webapp:z", None),
        ([], X, None),
    ],
)
def test_the_release_returned_to_comes_from_the_stages_history(
    history: list[tuple[DeploymentRow, list[HostOutcome]]], image: str, expected: str | None
) -> None:
    assert returned_release(history, image) == expected


def _deployed(ledger: object, release_id: str, image: str) -> None:
    deployment = begin_deployment(ledger, "dev", release_id, "deploy", "immutable")  # type: ignore[arg-type]
    detail = {"image": image, "image_id": IMAGE.image_id}
    finish_deployment(ledger, deployment, "ok", [HostOutcome("dev-web", "container", "deployed", detail)])  # type: ignore[arg-type]


def test_a_rollback_between_two_releases_of_one_image_names_each_in_turn(
    tmp_path: Path, fake_engine: FakeEngine
) -> None:
    """The bug: the rollback named the newest release that ran the image, the one the stage had just left."""
    root = tmp_path / "project"
    project = write_container_project(root, config="a")
    with closing(open_ledger(project.ledger)) as ledger:
        first = record_release(ledger, project, root / "playbooks" / "webapp.yml")
        write_container_project(root, config="b")  # the stage's config only: the image stays the same
        second = record_release(ledger, project, root / "playbooks" / "webapp.yml")
        assert first.id != second.id
        _deployed(ledger, first.id, IMAGE.image)
        _deployed(ledger, second.id, IMAGE.image)

    back = rollback(project, "dev", None, lambda: object(), lambda _line: None)
    again = rollback(project, "dev", None, lambda: object(), lambda _line: None)

    assert [(call, target.host, to) for call, target, to in fake_engine.calls] == [
        ("rollback", "dev-web", None),
        ("rollback", "dev-web", None),
    ]
    assert (back.ok, back.release_id, again.release_id) == (True, first.id, second.id)
    with closing(open_ledger(project.ledger)) as ledger:
        recorded = get_deployment(ledger, back.deployment_id)
        assert recorded is not None and (recorded.action, recorded.outcome) == ("rollback", "ok")
        assert [d.release_id for d in deployments(ledger, "dev")] == [first.id, second.id, first.id, second.id]
