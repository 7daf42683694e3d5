"""testinfra checks of the webapp's container replicas (testinfra's docker backend).

In the test suite: every replica of dev and qa after `deployctl deploy`. `deployctl verify --stage S` runs
them on the stage's serving replicas instead (`--hosts docker://root@<replica>,...`). One test per replica,
so each result names its host.
"""

from __future__ import annotations

from typing import Any

import docker
import pytest
import testinfra

from tests.conftest import deployctl

pytestmark = [pytest.mark.integration, pytest.mark.infra_docker]

STAGES = ("dev", "qa")
APP_ROLE = "deployctl.role=app"
STAGE_LABEL = "deployctl.stage"


def _stage_replicas(client: docker.DockerClient, stage: str) -> list[str]:
    containers = client.containers.list(filters={"label": [APP_ROLE, f"{STAGE_LABEL}={stage}"]})
    return sorted(str(c.name) for c in containers)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per replica `--hosts` names (deployctl verify), else one per stage of the suite (dev, qa)."""
    if "target" in metafunc.fixturenames:
        given = metafunc.config.option.hosts
        targets = given.split(",") if given else list(STAGES)
        ids = [target.replace("docker://root@", "docker://") for target in targets]
        metafunc.parametrize("target", targets, ids=ids, scope="module")


@pytest.fixture(scope="module")
def client() -> docker.DockerClient:
    return docker.from_env()


@pytest.fixture(scope="module")
def replicas(request: pytest.FixtureRequest, client: docker.DockerClient, target: str) -> list[tuple[str, Any]]:
    """(stage, testinfra host) of the target: that replica, or every replica of the stage after deploying it."""
    if "://" in target:
        name = target.rsplit("@", 1)[-1]
        return [(str(client.containers.get(name).labels[STAGE_LABEL]), testinfra.get_host(target))]
    request.getfixturevalue("lab")
    deployctl("deploy", "--stage", target, timeout=900)  # a no-op when the stage already runs the webapp
    return [(target, testinfra.get_host(f"docker://root@{name}")) for name in _stage_replicas(client, target)]


def test_the_stage_runs_three_replicas(client: docker.DockerClient, replicas: list[tuple[str, Any]]) -> None:
    for stage, _ in replicas:
        assert len(_stage_replicas(client, stage)) == 3


def test_main_process_runs_as_the_app_user(replicas: list[tuple[str, Any]]) -> None:
    for _, host in replicas:
        _check_main_process(host)


def _check_main_process(host: Any) -> None:
    found = host.check_output("grep -l webapp.py /proc/[0-9]*/cmdline").split()  # the image has no ps or ss
    main = next(path.rsplit("/", 1)[0] for path in found if "/self/" not in path and "/thread-self/" not in path)
    command = host.check_output(f"tr '\\0' ' ' < {main}/cmdline").strip()
    assert command.endswith("/usr/bin/python3 /opt/webapp/webapp.py /etc/webapp/webapp.ini")
    assert host.file(main).user == "webapp"
    listening = host.check_output("cat /proc/net/tcp")
    assert ":1F90 00000000:0000 0A" in listening  # 0.0.0.0:8080 in state LISTEN


def test_config_is_the_stage_s_and_mounted_read_only(replicas: list[tuple[str, Any]]) -> None:
    for stage, host in replicas:
        config = host.file("/etc/webapp/webapp.ini")
        assert f"stage = {stage}" in config.content_string
        assert host.run("sh -c 'echo x >> /etc/webapp/webapp.ini'").rc != 0
        assert host.mount_point("/etc/webapp/webapp.ini").exists


def test_baked_files_users_and_packages(replicas: list[tuple[str, Any]]) -> None:
    for _, host in replicas:
        _check_baked(host)


def _check_baked(host: Any) -> None:
    assert host.user("webapp").exists
    app = host.file("/opt/webapp/webapp.py")
    assert (app.user, app.mode) == ("root", 0o755)
    assert (host.file("/var/log/webapp").user, host.file("/var/log/webapp").mode) == ("webapp", 0o750)
    assert host.package("curl").is_installed
    assert host.check_output("curl -fsS http://127.0.0.1:8080/health") == "ok"
    assert not host.file("/etc/systemd/system/webapp.service").exists  # no systemd in a container
