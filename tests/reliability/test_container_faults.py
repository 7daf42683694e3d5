"""Faults of the container side on the lab: an image whose process crashes on start, and the Docker engine
restarted in the middle of a rollout.

A crashing release is rolled back by itself with no failed request under `--load`; an engine restart fails
the rollout (one line, recorded), every container of the stage comes back (restart policy `always`), the
lab is brought back by `lab up`, and the next deploy serves the stage with nothing half-registered in its
proxy.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from deployctl.dockerapi.engine import DockerEngine
from deployctl.immutable.proxy import find_proxy, read_stage_conf
from deployctl.immutable.resources import RELEASE_LABEL, ROLE_LABEL, STAGE_LABEL
from deployctl.lab.state import LabState
from tests.conftest import REPO, deployctl
from tests.reliability.conftest import assert_ledger_sound, ok, one_line_error, outcomes, run, start, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.reliability]

STAGE = "dev"
PROXY_PORT = 18081


def page() -> dict[str, Any]:
    """The config the dev stage's proxy serves now."""
    request = urllib.request.Request(f"http://127.0.0.1:{PROXY_PORT}/", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())["config"]  # type: ignore[no-any-return]


def variant(root: Path, version: str, *, crash: bool = False) -> Path:
    """The webapp playbook with another version (a new image); `crash`: its process exits as it starts."""
    folder = root / f"webapp-{version}"
    shutil.copytree(REPO / "playbooks", folder)
    book = folder / "webapp.yml"
    book.write_text(book.read_text().replace('app_version: "1.0.0"', f'app_version: "{version}"'))
    app = folder / "files" / "webapp.py"
    text = app.read_text() + f"\n# release {version}\n"
    if crash:
        text = text.replace('if __name__ == "__main__":', 'if __name__ == "__main__":\n    raise SystemExit("crash")')
    app.write_text(text)
    return book


@pytest.fixture
def deployed(copy: Path) -> Iterator[Path]:
    """dev deployed with the webapp as it is (the state each test starts from and must come back to)."""
    ok(copy, "deploy", "--stage", STAGE, timeout=900)
    yield copy


def routed_and_running(engine: docker.DockerClient) -> tuple[set[str], set[str], set[str]]:
    """The replicas the dev proxy's config routes to, the running replicas, and the releases they run."""
    proxy = find_proxy(DockerEngine(engine), STAGE)
    assert proxy is not None
    conf = read_stage_conf(proxy)
    replicas = engine.containers.list(filters={"label": [f"{STAGE_LABEL}={STAGE}", f"{ROLE_LABEL}=app"]})
    every = engine.containers.list(all=True, filters={"label": [f"{STAGE_LABEL}={STAGE}", f"{ROLE_LABEL}=app"]})
    routed = {c.name for c in every if c.name in conf}
    return routed, {c.name for c in replicas}, {c.labels.get(RELEASE_LABEL, "") for c in replicas}


def test_a_release_whose_process_crashes_on_start_is_rolled_back_with_no_failed_request(deployed: Path) -> None:
    before = page()["version"]
    done = run(deployed, "deploy", "--stage", STAGE, "--playbook", str(variant(deployed, "9.9.9", crash=True)),
               "--load", "--format", "json", timeout=900)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["rolled_back"] is True, result
    assert result["load"]["failed"] == 0, result["load"]["errors"]
    assert result["load"]["sent"] > 0
    assert page()["version"] == before
    ledger = deployed / "ledger.db"
    assert outcomes(ledger, STAGE)[-1] == ("deploy", "rolled_back")
    assert_ledger_sound(ledger)
    ok(deployed, "deploy", "--stage", STAGE, timeout=900)
    assert page()["version"] == before
    assert_ledger_sound(ledger)


def dockerd_pid() -> int:
    """The Docker engine's process (the lab's: `lab up` starts it)."""
    found = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True, check=True).stdout.split()
    assert len(found) == 1, found
    return int(found[0])


def test_the_engine_restarted_during_a_rollout(deployed: Path, engine: docker.DockerClient, lab: LabState) -> None:
    book = variant(deployed, "8.8.8")
    rolling = start(deployed, "deploy", "--stage", STAGE, "--playbook", str(book), "--format", "json")

    def new_replica() -> bool:
        assert rolling.poll() is None, rolling.communicate()
        found = engine.containers.list(filters={"label": [f"{STAGE_LABEL}={STAGE}", f"{ROLE_LABEL}=app"]})
        return len({c.labels.get(RELEASE_LABEL) for c in found}) > 1

    wait_for("the rollout to start a replica of the new release", new_replica, deadline=900)
    os.kill(dockerd_pid(), signal.SIGTERM)
    try:
        wait_for("dockerd to stop", lambda: subprocess.run(["pidof", "dockerd"], capture_output=True).returncode, 60)
        out, err = rolling.communicate(timeout=300)
    finally:  # the engine, then the lab VMs (their restart policy is `no`: vagrant starts them again)
        deployctl("lab", "up", timeout=900)
    assert rolling.returncode == 1, (rolling.returncode, out, err)
    assert one_line_error(err).startswith("deployctl: error: the Docker engine failed: "), err
    ledger = deployed / "ledger.db"
    assert outcomes(ledger, STAGE)[-1] == ("deploy", "failed")
    assert_ledger_sound(ledger)
    ok(deployed, "deploy", "--stage", STAGE, "--playbook", str(book), timeout=900)
    assert page()["version"] == "8.8.8"
    routed, running, releases = routed_and_running(docker.from_env(timeout=120))
    assert routed and routed == running, (routed, running)  # nothing half-registered, nothing left out
    assert len(releases) == 1, releases
    ok(deployed, "deploy", "--stage", STAGE, timeout=900)
    assert_ledger_sound(ledger)
