"""The corpus' role runs: each public role applied by ansible-core to one fresh node and by deployctl to its twin.

`RoleRuns` starts the selected roles PARALLEL_ROLES at a time in the background as soon as the test session
knows which it selected (tests/conftest.py), so that they run while the unit tests do; each role's test in
test_roles.py waits for its own outcome.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from deployctl.dockerapi.engine import connect
from deployctl.dockerapi.types import EngineApi
from deployctl.lab.images import ensure_base_image, ensure_node_image
from deployctl.lab.nodes import KeyPair, generate_key
from tests.compat.corpus import NOISE, CompatRole, Outcome
from tests.compat.twins import (
    REPO,
    RunResult,
    Twin,
    ansible_run,
    changed_paths,
    deployctl_apply,
    deployctl_cli,
    deployctl_lint,
    deployctl_project,
    drift_items,
    end_state,
    hand_change,
    start_twin,
)

REPORT = os.environ.get("DEPLOYCTL_COMPAT_REPORT")
"""A JSON-lines file each role's outcome is appended to (for the corpus table), when set."""
PARALLEL_ROLES = 2
"""Roles run at once: CI's machine has 2 cores, and a role's runs mostly wait on its nodes' apt and systemd."""
_REPORT_LOCK = threading.Lock()


def record(role: str, **fields: object) -> None:
    if REPORT:
        with _REPORT_LOCK, Path(REPORT).open("a") as report:
            report.write(json.dumps({"role": role, **fields}) + "\n")


def summary(result: RunResult) -> str:
    return f"exit {result.code}, changed {result.changed}"


def lint_summary(lint: RunResult) -> str:
    """`clean`, or the count of problems and the first one."""
    if lint.ok:
        return "clean"
    lines = lint.tail.splitlines()
    return f"{lines[0]} first: {lines[1].strip()}" if len(lines) > 1 else f"exit {lint.code}: {lint.tail}"


def first_difference(left: dict[str, list[str]], right: dict[str, list[str]]) -> str | None:
    """The first section where the ansible twin (left) and the deployctl twin (right) differ, with a sample."""
    for section in ("packages", "passwd", "group", "enabled", "active", "paths"):
        only_left = sorted(set(left.get(section, [])) - set(right.get(section, [])))
        only_right = sorted(set(right.get(section, [])) - set(left.get(section, [])))
        if only_left or only_right:
            return (
                f"{section}: ansible-core only ({len(only_left)}) {only_left[:8]}, "
                f"deployctl only ({len(only_right)}) {only_right[:8]}"
            )
    return None


def first_run_failure(ansible: RunResult, deployctl: RunResult, lint: RunResult) -> Outcome | None:
    """Which tool's first run failed and why (both when both did), then whether lint refused what ran."""
    runs = (("ansible-core", ansible), ("deployctl", deployctl))
    failures = [f"{tool}: {run.tail}" for tool, run in runs if not run.ok]
    if failures:
        return Outcome("first run", "\n".join(failures))
    if not lint.ok:
        return Outcome("lint", f"deployctl lint refused the case that ran: {lint.tail}")
    return None


def second_run_failure(ansible: RunResult, deployctl: RunResult) -> Outcome | None:
    """A second run that failed or changed something, ansible-core's first."""
    for tool, run in (("ansible-core", ansible), ("deployctl", deployctl)):
        if (run.code, run.changed) != (0, 0):
            return Outcome("second run", f"{tool}'s second run: {summary(run)}: {run.tail}")
    return None


def run_both(role: str, ansible_twin: Twin, project: Path, key: KeyPair, folder: Path) -> tuple[RunResult, RunResult]:
    """ansible-core on its twin and deployctl on its own, at the same time."""
    with ThreadPoolExecutor(2) as pool:
        ansible = pool.submit(ansible_run, role, ansible_twin, key, folder)
        deployctl = pool.submit(deployctl_apply, project)
        return ansible.result(), deployctl.result()


def drift_failure(project: Path, deployctl_twin: Twin, first_run: RunResult) -> Outcome | None:
    """After a deploy drift is clean; a hand change of what the role manages is found, and --fix clears it."""
    deployed = deployctl_cli(project, "deploy", "--stage", "compat", "--playbook", "site.yml", "--format", "json")
    if deployed.returncode != 0:
        return Outcome("drift", f"deploy (the release drift compares with) failed: {deployed.stdout[-2000:]}")
    clean = deployctl_cli(project, "drift", "--stage", "compat", "--format", "json")
    if clean.returncode != 0:
        return Outcome("drift", f"drift right after the deploy: exit {clean.returncode}: {clean.stdout[-2000:]}")
    change = hand_change(first_run)
    if change is None:
        return Outcome("drift", "the role manages no file's content and installs no package: nothing to change by hand")
    made = deployctl_twin.container.exec(list(change.command), user="root")
    if made.exit_code != 0:
        return Outcome("drift", f"the hand change {change.command} failed: {made.output}")
    found = (change.kind, change.resource)
    scan = deployctl_cli(project, "drift", "--stage", "compat", "--format", "json")
    if scan.returncode != 2 or found not in drift_items(scan.stdout):
        return Outcome(
            "drift",
            f"drift did not find the hand change of {change.kind} {change.resource}: exit {scan.returncode}: "
            f"{scan.stdout[-2000:]}",
        )
    deployctl_cli(project, "drift", "--stage", "compat", "--fix", "--format", "json")
    after = deployctl_cli(project, "drift", "--stage", "compat", "--format", "json")
    if after.returncode != 0 or found in drift_items(after.stdout):
        return Outcome("drift", f"--fix left drift: exit {after.returncode}: {after.stdout[-2000:]}")
    return None


def run_role(role: CompatRole, engine: EngineApi, key: KeyPair, folder: Path) -> Outcome:
    """Every stage of one role on two fresh twins (removed after), up to the first that fails."""
    with ThreadPoolExecutor(2) as pool:
        twins = list(pool.map(lambda tool: start_twin(engine, role.name, tool, key), ("ansible", "deployctl")))
    ansible_twin, deployctl_twin = twins
    try:
        project = deployctl_project(role.name, deployctl_twin, key, folder)
        lint = deployctl_lint(project)
        ansible_first, deployctl_first = run_both(role.name, ansible_twin, project, key, folder)
        record(
            role.name,
            stage="first run",
            lint=lint_summary(lint),
            ansible=summary(ansible_first),
            deployctl=summary(deployctl_first),
        )
        failure = first_run_failure(ansible_first, deployctl_first, lint)
        if failure is None:
            ansible_second, deployctl_second = run_both(role.name, ansible_twin, project, key, folder)
            record(role.name, stage="second run", ansible=summary(ansible_second), deployctl=summary(deployctl_second))
            failure = second_run_failure(ansible_second, deployctl_second)
        if failure is None:
            ignored = tuple(difference.path for difference in (*NOISE, *role.differences))
            paths = sorted(
                changed_paths(ansible_twin.container, ignored) | changed_paths(deployctl_twin.container, ignored)
            )
            difference = first_difference(
                end_state(ansible_twin.container, paths), end_state(deployctl_twin.container, paths)
            )
            record(role.name, stage="end state", paths=len(paths), difference=difference)
            failure = None if difference is None else Outcome("end state", f"the end states differ: {difference}")
        if failure is None:
            failure = drift_failure(project, deployctl_twin, deployctl_first)
        outcome = failure or Outcome(None)
        record(role.name, stage="outcome", status=outcome.status, reason=outcome.reason[:2000])
        return outcome
    finally:
        for twin in twins:
            twin.container.remove(force=True)


class RoleRuns:
    """The selected roles' runs: the engine and the node image made ready, then PARALLEL_ROLES roles at a time."""

    def __init__(self, roles: list[CompatRole]) -> None:
        self.roles = roles
        self.folder = Path(tempfile.mkdtemp(prefix="deployctl-compat-"))
        self.pool = ThreadPoolExecutor(PARALLEL_ROLES, thread_name_prefix="compat-role")
        self.runs: dict[str, Future[Outcome]] = {}
        self.ready = threading.Event()
        self.failure: BaseException | None = None

    def start(self) -> None:
        """Make the engine and images ready (blocking), then submit every role; a failure fails every role."""
        try:
            engine = connect(timeout=120)
            ensure_base_image(engine, REPO / "images", lambda _: None)
            ensure_node_image(engine, REPO / "images", lambda _: None)
            (self.folder / "key").mkdir()
            key = generate_key(self.folder / "key", "deployctl-compat")
            for role in self.roles:
                folder = self.folder / role.name
                folder.mkdir()
                self.runs[role.name] = self.pool.submit(run_role, role, engine, key, folder)
        except BaseException as error:  # reported by every role's test
            self.failure = error
        finally:
            self.ready.set()

    def outcome(self, role: str) -> Outcome:
        """The role's outcome, once it ran (raises what stopped the runs from starting)."""
        self.ready.wait()
        if self.failure is not None:
            raise RuntimeError(f"the corpus' runs could not start: {self.failure!r}") from self.failure
        return self.runs[role].result()

    def stop(self) -> None:
        """Cancel what has not started, wait for what runs (its twins are removed), remove the folder."""
        self.ready.wait()
        self.pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)
