"""testinfra checks of the webapp's containers (testinfra's docker backend) after `deployctl deploy`."""

from __future__ import annotations

from typing import Any

import docker
import pytest
import testinfra

from tests.conftest import deployctl

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("lab")]

STAGES = ("dev", "qa")


@pytest.fixture(scope="module")
def replicas() -> dict[str, list[str]]:
    """The running replicas of each stage, after deploying the webapp there (a no-op when it already runs)."""
    for stage in STAGES:
        deployctl("deploy", "--stage", stage, timeout=900)
    client = docker.from_env()
    found = {}
    for stage in STAGES:
        containers = client.containers.list(filters={"label": ["deployctl.role=app", f"deployctl.stage={stage}"]})
        found[stage] = sorted(str(c.name) for c in containers)
    return found


def hosts(replicas: dict[str, list[str]]) -> list[tuple[str, Any]]:
    return [(stage, testinfra.get_host(f"docker://root@{name}")) for stage in STAGES for name in replicas[stage]]


def test_three_replicas_per_stage(replicas: dict[str, list[str]]) -> None:
    assert {stage: len(names) for stage, names in replicas.items()} == dict.fromkeys(STAGES, 3)


def test_main_process_runs_as_the_app_user(replicas: dict[str, list[str]]) -> None:
    for _, host in hosts(replicas):  # the image has no ps or ss: read /proc
        found = host.check_output("grep -l webapp.py /proc/[0-9]*/cmdline").split()
        main = next(path.rsplit("/", 1)[0] for path in found if "/self/" not in path and "/thread-self/" not in path)
        command = host.check_output(f"tr '\\0' ' ' < {main}/cmdline").strip()
        assert command.endswith("/usr/bin/python3 /opt/webapp/webapp.py /etc/webapp/webapp.ini")
        assert host.file(main).user == "webapp"
        listening = host.check_output("cat /proc/net/tcp")
        assert ":1F90 00000000:0000 0A" in listening  # 0.0.0.0:8080 in state LISTEN


def test_config_is_the_stage_s_and_mounted_read_only(replicas: dict[str, list[str]]) -> None:
    for stage, host in hosts(replicas):
        config = host.file("/etc/webapp/webapp.ini")
        assert f"stage = {stage}" in config.content_string
        assert host.run("sh -c 'echo x >> /etc/webapp/webapp.ini'").rc != 0
        assert host.mount_point("/etc/webapp/webapp.ini").exists


def test_baked_files_users_and_packages(replicas: dict[str, list[str]]) -> None:
    for _, host in hosts(replicas):
        assert host.user("webapp").exists
        app = host.file("/opt/webapp/webapp.py")
        assert (app.user, app.mode) == ("root", 0o755)
        assert (host.file("/var/log/webapp").user, host.file("/var/log/webapp").mode) == ("webapp", 0o750)
        assert host.package("curl").is_installed
        assert host.check_output("curl -fsS http://127.0.0.1:8080/health") == "ok"
        assert not host.file("/etc/systemd/system/webapp.service").exists  # no systemd in a container
