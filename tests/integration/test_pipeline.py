"""The delivery pipeline on the lab: one release made once, verified, promoted dev -> qa -> uat -> prod.

The test works on a copy of the project with its own ledger (the lab's state is shared), so earlier runs do
not leak in. Along the way: a promotion refused by the drift gate, two promotions at once (one refused by
the stage lock), and a promotion killed halfway whose lock and deployment the next promotion recovers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import testinfra

from deployctl.lab.state import LabState, ssh_config_path
from deployctl.ledger.db import open_ledger
from deployctl.ledger.locks import lock_holder
from deployctl.ledger.records import deployment_hosts, deployments, list_releases, release_images
from deployctl.pipeline.gates import current_deployment
from tests.conftest import REPO

pytestmark = pytest.mark.integration

STAGES = ("dev", "qa", "uat", "prod")
DEADLINE = 300.0


@pytest.fixture(scope="module")
def copy(lab: LabState, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The project copied with a fresh ledger; the lab state (and its images) stay the repository's."""
    root = tmp_path_factory.mktemp("pipeline") / "project"
    root.mkdir()
    for folder in ("playbooks", "inventories", "images"):
        shutil.copytree(REPO / folder, root / folder)
    (root / "tests").mkdir()
    shutil.copytree(REPO / "tests" / "infra", root / "tests" / "infra")
    shutil.copy(REPO / "tests" / "conftest.py", root / "tests" / "conftest.py")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "deployctl.yml").write_text(
        f"stages: [{', '.join(STAGES)}]\ninventory_dir: inventories\nstate_dir: {REPO / '.deployctl'}\n"
        "ledger: ledger.db\n"
    )
    yield root


def run(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI on the copy."""
    return subprocess.run(
        [sys.executable, "-m", "deployctl", "--project", str(copy), *args],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )


def ok(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run(copy, *args)
    assert done.returncode == 0, f"deployctl {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


def timed(copy: Path, figures: dict[str, float], name: str, *args: str) -> subprocess.CompletedProcess[str]:
    began = time.monotonic()
    done = ok(copy, *args)
    figures[name] = round(time.monotonic() - began, 1)
    return done


def start(copy: Path, *args: str) -> subprocess.Popen[str]:
    """The real CLI on the copy, in the background, in its own process group (so it can be killed whole)."""
    return subprocess.Popen(
        [sys.executable, "-m", "deployctl", "--project", str(copy), *args],
        cwd=copy,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def container_image_ids(copy: Path, stage: str) -> set[str]:
    """The image digests the stage's current deployment ran on its container targets."""
    ledger = open_ledger(copy / "ledger.db")
    try:
        current = current_deployment(deployments(ledger, stage))
        assert current is not None, f"{stage} has no current deployment"
        hosts = deployment_hosts(ledger, current.id)
        return {str(h.detail["image_id"]) for h in hosts if h.kind == "container"}
    finally:
        ledger.close()


def qa_vm(lab: LabState) -> Any:
    return testinfra.get_host("ssh://qa-vm1", ssh_config=str(ssh_config_path(REPO / ".deployctl")))


@pytest.fixture(scope="module")
def pipeline(copy: Path, lab: LabState) -> Iterator[dict[str, Any]]:
    """Release, deploy dev, verify dev, promote qa; then the refusals; then uat and prod (one kill on the way)."""
    figures: dict[str, float] = {}
    made = json.loads(timed(copy, figures, "release create", "release", "create", "--format", "json").stdout)
    release = made["id"]
    timed(copy, figures, "deploy dev", "deploy", "--stage", "dev", "--release", release)
    timed(copy, figures, "verify dev", "verify", "--stage", "dev")
    timed(copy, figures, "promote qa", "promote", "--stage", "qa")
    yield {"release": made, "figures": figures}
    sys.stderr.write(f"\npipeline figures (s): {json.dumps(figures)}\n")


def test_promoting_past_a_drifted_stage_is_refused_naming_the_gate(
    copy: Path, lab: LabState, pipeline: dict[str, Any]
) -> None:
    host = qa_vm(lab)
    changed = host.run("sudo sh -c 'echo \"# changed by hand\" >> /etc/webapp/webapp.ini'")
    assert changed.rc == 0, changed.stderr
    before = [d.id for d in deployments(open_ledger(copy / "ledger.db"), "uat")]
    refused = run(copy, "promote", "--stage", "uat")
    assert refused.returncode == 3, refused.stderr
    assert "promotion of qa to uat refused: gate 'drift' failed: qa has drift" in refused.stderr
    rows = deployments(open_ledger(copy / "ledger.db"), "uat")
    assert [(d.outcome, d.source_stage) for d in rows if d.id not in before] == [("refused", "qa")]
    # Promoting qa again converges it (the file comes back) and verifies it: the gates pass again.
    ok(copy, "promote", "--stage", "qa")
    assert "# changed by hand" not in host.run("sudo cat /etc/webapp/webapp.ini").stdout
    plan = json.loads(ok(copy, "promote", "--stage", "uat", "--dry-run", "--format", "json").stdout)
    assert plan["proceed"] and [g["passed"] for g in plan["gates"]] == [True, True, True]


def test_two_promotions_at_once_one_runs_the_other_is_refused_by_the_lock(copy: Path, pipeline: dict[str, Any]) -> None:
    began = time.monotonic()
    first, second = start(copy, "promote", "--stage", "uat"), start(copy, "promote", "--stage", "uat")
    results = [(p.wait(timeout=DEADLINE), *p.communicate()) for p in (first, second)]
    pipeline["figures"]["promote uat"] = round(time.monotonic() - began, 1)
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 5], results
    refusal = next(err for code, _, err in results if code == 5)
    assert "stage uat is locked: promote by" in refusal and "(pid " in refusal and " since " in refusal


def test_a_promotion_killed_halfway_is_recorded_and_its_lock_recovered(copy: Path, pipeline: dict[str, Any]) -> None:
    killed = start(copy, "promote", "--stage", "prod")
    ledger = open_ledger(copy / "ledger.db")
    deadline = time.monotonic() + DEADLINE
    while not any(d.outcome == "running" for d in deployments(ledger, "prod")):
        assert killed.poll() is None, killed.communicate()
        assert time.monotonic() < deadline, "the promotion never started deploying"
        time.sleep(0.2)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    left = next(d for d in deployments(ledger, "prod") if d.outcome == "running")
    assert left.pid == killed.pid
    holder = lock_holder(ledger, "prod")
    assert holder is not None and holder.pid == killed.pid
    status = {s["stage"]: s for s in json.loads(ok(copy, "status", "--format", "json").stdout)}
    assert "interrupted (its process is gone)" in status["prod"]["in_progress"]
    recovered = timed(copy, pipeline["figures"], "promote prod (after the kill)", "promote", "--stage", "prod")
    assert "taking over the lock of promote by" in recovered.stderr
    assert f"deployment #{left.id} (promote to prod) marked interrupted" in recovered.stderr
    outcomes = {d.id: d.outcome for d in deployments(ledger, "prod")}
    assert outcomes[left.id] == "interrupted"
    assert lock_holder(ledger, "prod") is None
    ledger.close()


def test_one_release_with_one_content_hash_and_one_image_digest_runs_in_every_stage(
    copy: Path, pipeline: dict[str, Any]
) -> None:
    ledger = open_ledger(copy / "ledger.db")
    releases = list_releases(ledger)
    release = pipeline["release"]
    assert [(r.id, r.content_hash) for r in releases] == [(release["id"], release["content_hash"])]
    digests = {i.image_id for i in release_images(ledger, release["id"])}
    assert digests == {image["image_id"] for image in release["images"]} and len(digests) == 1
    for stage in STAGES:
        current = current_deployment(deployments(ledger, stage))
        assert current is not None and current.release_id == release["id"], stage
        assert container_image_ids(copy, stage) == digests, stage
    status = {s["stage"]: s for s in json.loads(ok(copy, "status", "--format", "json").stdout)}
    assert {stage: status[stage]["release_id"] for stage in STAGES} == dict.fromkeys(STAGES, release["id"])
    assert all(status[stage]["verified"].startswith("passed") for stage in STAGES), status
    history = json.loads(ok(copy, "history", "--format", "json").stdout)
    events = [(e["stage"], e["event"].split(" #")[0], e["outcome"]) for e in history]
    assert events[:4] == [
        ("dev", "deploy", "ok"),
        ("dev", "verify", "passed"),
        ("qa", "promote", "ok"),
        ("qa", "verify", "passed"),
    ]
    ledger.close()
    drift = run(copy, "drift", "--all-stages", "--format", "json")
    assert drift.returncode == 0, drift.stdout[-3000:]
