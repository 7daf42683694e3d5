"""Shared fixtures: the real lab, brought up (or reused) once per test session through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from deployctl.lab.state import LabState, require_lab_state, ssh_config_path
from deployctl.model.project import Project, load_project

if TYPE_CHECKING:  # imported when roles are selected: verify copies this file without tests/compat
    from tests.compat.corpus import CompatRole
    from tests.compat.roleruns import RoleRuns

REPO = Path(__file__).resolve().parent.parent


_RUN = subprocess.run
"""Bound at import: the background's `lab up` runs while unit tests may patch `subprocess.run` for a moment."""


def deployctl(
    *args: str, check: bool = True, timeout: float = 900, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in the repository, as a user would (in `env`, else this process's environment)."""
    done = _RUN(
        [sys.executable, "-m", "deployctl", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
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
    _BACKGROUND.stop()
    if _SKIPPED_IN_CI:
        sys.stderr.write("\nCI: these tests skipped, which CI does not allow:\n  " + "\n  ".join(_SKIPPED_IN_CI) + "\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_RUN_FIRST = {"unit": 0, "compat": 1}
"""Order of the suite's folders: the unit tests, then the corpus' roles, then the tests on the lab."""


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Unit tests first, while the lab comes up and the corpus' roles run in the background."""
    items.sort(key=lambda item: _RUN_FIRST.get(_suite_folder(item.path), len(_RUN_FIRST)))


def _suite_folder(path: Path) -> str:
    """The folder right under tests/ that holds the test file (`unit`, `compat`, `integration`...)."""
    try:
        parts = path.resolve().relative_to(REPO).parts
    except ValueError:
        return ""
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else ""


class _Background:
    """What the session starts once it knows its tests: `deployctl lab up`, then the corpus' role runs."""

    def __init__(self) -> None:
        self.lab_up: Future[subprocess.CompletedProcess[str]] | None = None
        self.compat: RoleRuns | None = None
        self.thread: threading.Thread | None = None

    def start(self, lab: bool, roles: list[CompatRole]) -> None:
        if lab:
            self.lab_up = Future()
        if roles:
            from tests.compat.roleruns import RoleRuns

            self.compat = RoleRuns(roles)
        if lab or roles:
            environment = dict(os.environ)  # as it is before any test runs
            self.thread = threading.Thread(
                target=self._run, args=(environment,), name="session-background", daemon=True
            )
            self.thread.start()

    def _run(self, environment: dict[str, str]) -> None:
        if self.lab_up is not None:
            try:
                up = deployctl("lab", "up", "--format", "json", check=False, timeout=1500, env=environment)
                self.lab_up.set_result(up)
            except BaseException as error:  # the lab fixture reports it
                self.lab_up.set_exception(error)
        if self.compat is not None:
            self.compat.start()

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.join()
        if self.compat is not None:
            self.compat.stop()


_BACKGROUND = _Background()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the lab and the selected corpus roles in the background (not for a collect-only run)."""
    if session.config.option.collectonly:
        return
    lab = any("lab" in getattr(item, "fixturenames", ()) for item in session.items)
    roles = [
        item.callspec.params["role"]
        for item in session.items
        if isinstance(item, pytest.Function) and item.originalname == "test_role_ends_where_ansible_core_ends"
    ]
    _BACKGROUND.start(lab, roles)


@pytest.fixture(scope="session")
def compat_runs() -> RoleRuns:
    """The selected corpus roles' runs, started at the start of the session."""
    assert _BACKGROUND.compat is not None, "the corpus' runs start with the session that selects them"
    return _BACKGROUND.compat


@pytest.fixture(scope="session")
def project() -> Project:
    return load_project(REPO)


@pytest.fixture(scope="session")
def lab(project: Project) -> Iterator[LabState]:
    """The lab, up: `deployctl lab up` builds what is missing and reuses what runs. Never skips."""
    started = _BACKGROUND.lab_up
    up = ("lab", "up", "--format", "json")
    done = started.result() if started is not None else deployctl(*up, check=False, timeout=1500)
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
