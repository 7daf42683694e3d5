"""The validated Stage: got from the project by name, with its place in the pipeline order."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import InputError
from deployctl.model.project import Project, load_project
from deployctl.model.stage import Stage


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "deployctl.yml").write_text("# pipeline\nstages: [dev, staging, prod]\n")
    return load_project(tmp_path)


def test_a_stage_knows_its_place_in_the_pipeline(project: Project) -> None:
    staging = project.stage("staging")
    assert (staging.name, staging.position, staging.first, str(staging)) == ("staging", 1, False, "staging")
    assert project.stage("dev").first
    assert project.stage("staging") == staging


def test_an_unknown_stage_is_the_one_line_error_of_require_stage(project: Project) -> None:
    with pytest.raises(InputError) as raised:
        project.stage("qa")
    assert str(raised.value) == "deployctl.yml:2: stages: unknown stage 'qa'; the stages are dev, staging, prod"
    with pytest.raises(InputError) as required:
        project.require_stage("qa")
    assert str(required.value) == str(raised.value)
    assert project.require_stage("prod") == "prod"


def test_stages_sort_in_pipeline_order_not_by_name(project: Project) -> None:
    assert project.pipeline() == (Stage(0, "dev"), Stage(1, "staging"), Stage(2, "prod"))
    assert sorted([project.stage("prod"), project.stage("dev"), project.stage("staging")]) == list(project.pipeline())


def test_a_stage_names_its_inventory(project: Project) -> None:
    assert project.inventory_path(project.stage("prod")) == project.inventory_path("prod")
    assert project.inventory_path(project.stage("prod")).name == "prod.yml"


def test_a_stage_is_frozen(project: Project) -> None:
    stage = project.stage("dev")
    with pytest.raises(AttributeError):
        stage.name = "prod"  # type: ignore[misc]
