"""Differential tests: each public role applied by ansible-core to one fresh node and by deployctl to its twin.

The two end states must be the same (every path either run touched: type, mode, owner, group, content hash;
packages; users and groups; enabled and active units), both second runs must change nothing, and a hand change
on the deployctl twin (a line added to a file whose content the role manages, or else a file whose line or block
it manages emptied, or else a package it installed removed) must be found by `deployctl drift` and cleared by `--fix`.
Paths that legitimately differ are named with their reason in corpus.py. A role that does not pass fails with
the first difference found.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from deployctl.dockerapi.engine import connect
from deployctl.dockerapi.types import EngineApi
from deployctl.lab.images import ensure_base_image, ensure_node_image
from deployctl.lab.nodes import KeyPair, generate_key
from tests.compat.corpus import CORPUS, NOISE, CompatRole
from tests.compat.twins import (
    REPO,
    RunResult,
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

pytestmark = pytest.mark.integration

REPORT = os.environ.get("DEPLOYCTL_COMPAT_REPORT")
"""A JSON-lines file each role's outcome is appended to (for the corpus table), when set."""


@pytest.fixture(scope="module")
def engine() -> EngineApi:
    """The engine, with the lab's node image built from images/ when missing or stale (as `lab up` does)."""
    client = connect(timeout=120)
    ensure_base_image(client, REPO / "images", lambda _: None)
    ensure_node_image(client, REPO / "images", lambda _: None)
    return client


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return generate_key(tmp_path_factory.mktemp("compat-key"), "deployctl-compat")


def record(role: str, **fields: object) -> None:
    if REPORT:
        with Path(REPORT).open("a") as report:
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
            return f"{section}: ansible-core only {only_left[:5]}, deployctl only {only_right[:5]}"
    return None


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


@pytest.mark.parametrize("role", CORPUS, ids=[role.name for role in CORPUS])
def test_role_ends_where_ansible_core_ends(role: CompatRole, engine: EngineApi, key: KeyPair, folder: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        twins = list(pool.map(lambda tool: start_twin(engine, role.name, tool, key), ("ansible", "deployctl")))
    ansible_twin, deployctl_twin = twins
    try:
        project = deployctl_project(role.name, deployctl_twin, key, folder)
        lint = deployctl_lint(project)
        with ThreadPoolExecutor(2) as pool:
            ansible_first_run = pool.submit(ansible_run, role.name, ansible_twin, key, folder)
            deployctl_first_run = pool.submit(deployctl_apply, project)
            ansible_first, deployctl_first = ansible_first_run.result(), deployctl_first_run.result()
        outcome: dict[str, object] = {
            "lint": lint_summary(lint),
            "ansible": summary(ansible_first),
            "deployctl": summary(deployctl_first),
            "ansible_reason": "" if ansible_first.ok else ansible_first.tail[-300:],
            "deployctl_reason": "" if deployctl_first.ok else deployctl_first.tail.splitlines()[0][:300],
        }
        record(role.name, stage="first run", **outcome)
        assert ansible_first.ok, f"ansible-core's first run failed ({summary(ansible_first)}):\n{ansible_first.tail}"
        assert deployctl_first.ok, f"deployctl's first run failed ({summary(deployctl_first)}):\n{deployctl_first.tail}"
        assert lint.ok, f"deployctl lint refused the case that ran:\n{lint.tail}"

        with ThreadPoolExecutor(2) as pool:
            ansible_second_run = pool.submit(ansible_run, role.name, ansible_twin, key, folder)
            deployctl_second_run = pool.submit(deployctl_apply, project)
            ansible_second, deployctl_second = ansible_second_run.result(), deployctl_second_run.result()
        record(role.name, stage="second run", ansible=summary(ansible_second), deployctl=summary(deployctl_second))
        assert (ansible_second.code, ansible_second.changed) == (0, 0), (
            f"ansible-core's second run:\n{ansible_second.tail}"
        )
        assert (deployctl_second.code, deployctl_second.changed) == (0, 0), (
            f"deployctl's second run:\n{deployctl_second.tail}"
        )

        ignored = tuple(difference.path for difference in (*NOISE, *role.differences))
        paths = sorted(
            changed_paths(ansible_twin.container, ignored) | changed_paths(deployctl_twin.container, ignored)
        )
        difference = first_difference(
            end_state(ansible_twin.container, paths), end_state(deployctl_twin.container, paths)
        )
        record(role.name, stage="end state", paths=len(paths), difference=difference)
        assert difference is None, f"the end states differ: {difference}"

        change = hand_change(deployctl_first)
        assert change, "the role manages no file's content and installs no package: nothing to change by hand"
        drifted = (change.kind, change.resource)
        deployed = deployctl_cli(project, "deploy", "--stage", "compat", "--playbook", "site.yml", "--format", "json")
        assert deployed.returncode == 0, f"deploy (the release drift compares with) failed:\n{deployed.stdout[-2000:]}"
        made = deployctl_twin.container.exec(list(change.command), user="root")
        assert made.exit_code == 0, f"the hand change {change.command} failed: {made.output}"
        drift = deployctl_cli(project, "drift", "--stage", "compat", "--format", "json")
        assert drifted in drift_items(drift.stdout), (
            f"deployctl drift did not find the hand change of {change.kind} {change.resource}:\n{drift.stdout[-2000:]}"
        )
        fixed = deployctl_cli(project, "drift", "--stage", "compat", "--fix", "--format", "json")
        after = deployctl_cli(project, "drift", "--stage", "compat", "--format", "json")
        record(
            role.name,
            stage="drift",
            changed=f"{change.kind} {change.resource}",
            fixed=fixed.returncode,
            after=after.returncode,
        )
        assert after.returncode == 0 and drifted not in drift_items(after.stdout), (
            f"--fix left drift:\n{after.stdout[-2000:]}"
        )
    finally:
        for twin in twins:
            twin.container.remove(force=True)
