"""The immutable strategy through the CLI: the webapp baked once, rolled under load, rolled back."""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, deployctl

pytestmark = pytest.mark.integration

PROXY = {"dev": 18081, "qa": 18082}


def page(stage: str) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{PROXY[stage]}/", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())["config"]  # type: ignore[no-any-return]


def deploy(*args: str) -> tuple[int, list[dict[str, Any]] | dict[str, Any], str]:
    done = deployctl("deploy", *args, "--format", "json", check=False, timeout=900)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def variant(tmp_path: Path, version: str, *, broken: bool = False) -> Path:
    """A copy of the webapp playbook with another version, a changed app file (a new image), or a broken port."""
    folder = tmp_path / f"webapp-{version}"
    shutil.copytree(REPO / "playbooks", folder)
    book = folder / "webapp.yml"
    book.write_text(book.read_text().replace('app_version: "1.0.0"', f'app_version: "{version}"'))
    app = folder / "files" / "webapp.py"
    app.write_text(app.read_text() + f"\n# release {version}\n")
    if broken:  # listens where the health check does not look: every new replica turns unhealthy
        conf = folder / "templates" / "webapp.ini.j2"
        conf.write_text(conf.read_text().replace("port = {{ app_port }}", "port = 9999"))
    return book


@pytest.fixture(scope="module")
def deployed() -> dict[str, dict[str, Any]]:
    results = {}
    for stage in PROXY:
        code, result, err = deploy("--stage", stage)
        assert code == 0, err
        assert isinstance(result, dict)
        results[stage] = result
    return results


def test_one_image_serves_dev_and_qa_with_their_own_config(deployed: dict[str, dict[str, Any]]) -> None:
    assert deployed["dev"]["image"] == deployed["qa"]["image"]
    history = {
        stage: json.loads((REPO / ".deployctl" / "stages" / stage / "releases.json").read_text())["releases"][-1]
        for stage in PROXY
    }
    assert history["dev"]["spec"]["image_id"] == history["qa"]["spec"]["image_id"]
    assert (page("dev")["stage"], page("qa")["stage"]) == ("dev", "qa")


def test_rollout_under_load_fails_no_request(deployed: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    code, result, err = deploy("--stage", "dev", "--playbook", str(variant(tmp_path, "2.0.0")), "--load")
    assert code == 0, err
    assert isinstance(result, dict)
    assert result["image"] != deployed["dev"]["image"]
    assert len(result["swaps"]) == 3
    assert result["load"]["failed"] == 0, result["load"]["errors"]
    assert result["load"]["sent"] > 100
    assert page("dev")["version"] == "2.0.0"


def test_broken_release_rolls_back_by_itself_without_failed_requests(tmp_path: Path) -> None:
    code, result, err = deploy("--stage", "dev", "--playbook", str(variant(tmp_path, "3.0.0", broken=True)), "--load")
    assert code == 2
    assert isinstance(result, dict)
    assert result["rolled_back"] is True
    assert result["load"]["failed"] == 0, result["load"]["errors"]
    assert "rolled back" in err or "unhealthy" in err or result["reason"]
    assert page("dev")["version"] == "2.0.0"


def test_rollback_returns_to_the_previous_release_in_seconds() -> None:
    started = time.monotonic()
    done = deployctl("rollback", "--stage", "dev", "--format", "json", timeout=300)
    seconds = time.monotonic() - started
    result = json.loads(done.stdout)
    assert result["outcome"] == "deployed"
    assert page("dev")["version"] == "1.0.0"
    assert seconds < 60
