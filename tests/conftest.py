"""Shared fixtures: the real lab, brought up (or reused) once per test session through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deployctl.lab.state import LabState, require_lab_state, ssh_config_path
from deployctl.model.project import Project, load_project

REPO = Path(__file__).resolve().parent.parent


def deployctl(*args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in the repository, as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "deployctl", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"deployctl {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def pytest_configure(config: pytest.Config) -> None:
    """testinfra's SSH backend reads the lab's ssh-config, which `deployctl lab up` writes."""
    if getattr(config.option, "ssh_config", None) is None:
        config.option.ssh_config = str(ssh_config_path(load_project(REPO).state_dir))


_SKIPPED_IN_CI: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """In CI nothing may skip: a test that cannot run there (no root, no lab) is a failure, not a pass."""
    if os.environ.get("CI") and report.skipped:
        _SKIPPED_IN_CI.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _SKIPPED_IN_CI:
        sys.stderr.write("\nCI: these tests skipped, which CI does not allow:\n  " + "\n  ".join(_SKIPPED_IN_CI) + "\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def project() -> Project:
    return load_project(REPO)


@pytest.fixture(scope="session")
def lab(project: Project) -> Iterator[LabState]:
    """The lab, up: `deployctl lab up` builds what is missing and reuses what runs. Never skips."""
    done = deployctl("lab", "up", "--format", "json", check=False, timeout=1500)
    log = project.state_dir / "test-lab-up.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(done.stderr)
    if done.returncode != 0:
        pytest.fail(f"`deployctl lab up` failed ({done.returncode}); the lab is required:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout)
    sys.stderr.write(f"\nlab up: {json.dumps(report['steps'])}\n")
    os.environ.setdefault("DEPLOYCTL_TEST_LAB", "1")
    yield require_lab_state(project.state_dir)


WEBAPP_STAGES = ("dev", "qa")


@pytest.fixture(scope="session")
def webapp(lab: LabState) -> dict[str, dict[str, object]]:
    """The demo webapp applied (mutable strategy) to dev and qa through the real CLI; JSON results by stage."""
    results = {}
    for stage in WEBAPP_STAGES:
        done = deployctl("apply", "playbooks/webapp.yml", "--stage", stage, "--format", "json", check=False)
        assert done.returncode == 0, f"apply to {stage} failed:\n{done.stdout[-4000:]}\n{done.stderr}"
        results[stage] = json.loads(done.stdout)
    return results
