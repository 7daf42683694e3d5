"""testinfra checks of the demo webapp on VMs (SSH backend).

In the test suite: on dev and qa after `deployctl apply`. `deployctl verify --stage S` runs them on the
stage's VMs instead (`--hosts ssh://...` with its own `--ssh-config`), as they are.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.infra_ssh]

testinfra_hosts = ["ssh://dev-vm1", "ssh://qa-vm1", "ssh://qa-vm2"]


@pytest.fixture(scope="module", autouse=True)
def _webapp_applied(request: pytest.FixtureRequest) -> None:
    """Without `--hosts` (the test suite), apply the webapp to dev and qa first; with it, check what runs."""
    if request.config.option.hosts is None:
        request.getfixturevalue("webapp")


def test_service_is_active_enabled_and_listening(host) -> None:  # type: ignore[no-untyped-def]
    service = host.service("webapp")
    assert service.is_running
    assert service.is_enabled
    assert host.socket("tcp://0.0.0.0:8080").is_listening


def test_config_is_rendered_for_the_stage(host) -> None:  # type: ignore[no-untyped-def]
    stage = host.backend.get_hostname().split("-")[0]
    with host.sudo():  # the config folder is root:webapp 0750
        config = host.file("/etc/webapp/webapp.ini")
        assert (config.user, config.group, config.mode) == ("root", "webapp", 0o640)
        assert f"stage = {stage}" in config.content_string
        assert f"greeting = Hello from {stage}" in config.content_string


def test_user_log_directory_and_package(host) -> None:  # type: ignore[no-untyped-def]
    user = host.user("webapp")
    assert user.exists
    assert user.shell == "/usr/sbin/nologin"
    log_dir = host.file("/var/log/webapp")
    assert log_dir.is_directory
    assert (log_dir.user, log_dir.mode) == ("webapp", 0o750)
    assert host.package("curl").is_installed


def test_health_endpoint_answers(host) -> None:  # type: ignore[no-untyped-def]
    assert host.check_output("curl -fsS http://127.0.0.1:8080/health") == "ok"
