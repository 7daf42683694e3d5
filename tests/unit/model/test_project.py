"""deployctl.yml: stages in pipeline order, folders, and errors with line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.errors import DeployctlError, InputError
from deployctl.model.project import find_project, load_project


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "deployctl.yml").write_text(text)
    return tmp_path


def test_loads_stages_and_folders(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, "stages: [dev, prod]\nstate_dir: state\n"))
    assert project.stages == ("dev", "prod")
    assert project.state_dir == tmp_path.resolve() / "state"
    assert project.inventory_path("prod") == tmp_path.resolve() / "inventories" / "prod.yml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("inventory_dir: x\n", "deployctl.yml:1: stages: missing"),
        ("stages: []\n", "deployctl.yml:1: stages: must be a non-empty list"),
        ("stages:\n  - dev\n  - dev\n", "deployctl.yml:3: stages: stage 'dev' is listed twice"),
        ("stages:\n  - dev\n  - Prod!\n", "deployctl.yml:3: stages: 'Prod!' is not a stage name"),
        ("stages: [dev]\nstagse: [x]\n", "deployctl.yml:2: stagse: unknown key"),
        ("stages: [dev\n", "deployctl.yml:2: invalid YAML"),
    ],
)
def test_errors_name_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        load_project(write(tmp_path, text))
    assert str(raised.value).startswith(message)


def test_find_project_walks_up(tmp_path: Path) -> None:
    write(tmp_path, "stages: [dev]\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_project(nested).root == tmp_path.resolve()


def test_find_project_outside_any_project(tmp_path: Path) -> None:
    with pytest.raises(DeployctlError, match=r"no deployctl\.yml"):
        find_project(tmp_path)


def test_redact_setting_defaults_on_and_reads_its_names(tmp_path: Path) -> None:
    assert load_project(write(tmp_path, "stages: [dev]\n")).redaction.is_secret("db_password")
    rules = load_project(write(tmp_path, "stages: [dev]\nredact:\n  also: [pin_code]\n  never: [api_key]\n")).redaction
    assert rules.is_secret("pin_code") and not rules.is_secret("api_key") and rules.is_secret("db_password")
    off = load_project(write(tmp_path, "stages: [dev]\nredact:\n  variables: false\n")).redaction
    assert not off.is_secret("db_password")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("redact: yes\n", "deployctl.yml:2: redact: must be a mapping"),
        ("redact:\n  variables: maybe\n", "deployctl.yml:3: redact.variables: must be true or false"),
        ("redact:\n  also: pin\n", "deployctl.yml:3: redact.also: must be a list of variable names"),
        ("redact:\n  never: [a-b]\n", "deployctl.yml:3: redact.never: must be a list of variable names"),
        ("redact:\n  names: [x]\n", "deployctl.yml:3: redact.names: unknown key; known: variables, also, never"),
    ],
)
def test_redact_errors_name_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        load_project(write(tmp_path, "stages: [dev]\n" + text))
    assert str(raised.value).startswith(message)


def test_ssh_settings_are_read_with_units(tmp_path: Path) -> None:
    text = (
        "stages: [dev]\nssh:\n  connect_timeout: 5\n  command_timeout: 0\n  idle_timeout: 90.5\n  output_limit: 8MiB\n"
    )
    settings = load_project(write(tmp_path, text)).ssh
    assert (settings.connect_timeout, settings.command_timeout, settings.idle_timeout) == (5.0, 0.0, 90.5)
    assert settings.output_limit == 8 * 1024 * 1024


def test_ssh_settings_default_to_limits_that_end_a_dead_host(tmp_path: Path) -> None:
    settings = load_project(write(tmp_path, "stages: [dev]\n")).ssh
    assert (settings.connect_timeout, settings.command_timeout, settings.idle_timeout) == (10.0, 3600.0, 120.0)
    assert settings.output_limit == 64 * 1024 * 1024


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  idle_timeout: soon\n", "deployctl.yml:3: ssh.idle_timeout: must be a number of seconds, got 'soon'"),
        ("  command_timeout: -1\n", "deployctl.yml:3: ssh.command_timeout: must be a number of seconds, got -1"),
        ("  connect_timeout: 0\n", "deployctl.yml:3: ssh.connect_timeout: must be more than 0 seconds"),
        ("  output_limit: 64MB\n", "deployctl.yml:3: ssh.output_limit: must be a size like 64MiB"),
        ("  timeout: 3\n", "deployctl.yml:3: ssh.timeout: unknown SSH setting; known: connect_timeout"),
        ("  - 3\n", "deployctl.yml:2: ssh: must be a mapping of SSH settings"),
    ],
)
def test_ssh_settings_errors_name_line_and_field(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        load_project(write(tmp_path, f"stages: [dev]\nssh:\n{body}"))
    assert str(raised.value).startswith(message)
