"""The harness's judge of a run (per-host change counts by host kind) and its timed runs' controller cost."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import runners
from fleet import BenchHost
from runners import CommandRun, judge, run_timed, tree_rss_bytes
from workloads import SVC, Scenario

from deployctl.lab.nodes import KeyPair


class FakeRunner:
    """A tool whose per-host counts are given."""

    name = "fake"

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def prepare(self, folder: Path, hosts: list[BenchHost], key: KeyPair) -> None:
        return None

    def command(self, scenario: Scenario) -> list[str]:
        return []

    def environment(self) -> dict[str, str]:
        return {}

    def round_trips(self, run: CommandRun) -> int | None:
        return None

    def changed_per_host(self, scenario: Scenario, run: CommandRun) -> dict[str, int]:
        return self.counts

    def after_run(self) -> None:
        return None


HOSTS = [BenchHost("bench-1", "c1", 1, systemd=True), BenchHost("bench-2", "c2", 2, systemd=False)]
RUN = CommandRun(("tool",), 0, "", "", 1.0)


def test_judge_wants_each_host_kind_its_own_count() -> None:
    report = judge(FakeRunner({"bench-1": 10, "bench-2": 9}), SVC, "first", RUN, HOSTS)
    assert report.ok


def test_judge_names_the_host_with_the_wrong_count_and_the_missing_one() -> None:
    report = judge(FakeRunner({"bench-2": 10}), SVC, "first", RUN, HOSTS)
    assert report.problems == ["no result for 1 host(s): bench-1", "wrong changed counts: bench-2=10 (want 9)"]


def test_run_timed_keeps_exit_code_output_and_cpu() -> None:
    code = "import sys; sum(range(10**6)); print('out'); print('err', file=sys.stderr); sys.exit(3)"
    run = run_timed([sys.executable, "-c", code], cwd=Path.cwd(), env={})
    assert (run.exit_code, run.stdout, run.stderr, run.timed_out) == (3, "out\n", "err\n", False)
    assert run.cpu_seconds > 0


def test_run_timed_reports_a_run_past_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runners, "COMMAND_TIMEOUT", 0.2)
    run = run_timed([sys.executable, "-c", "import time; time.sleep(30)"], cwd=Path.cwd(), env={})
    assert run.timed_out
    assert run.exit_code == -1


def test_tree_memory_counts_this_process() -> None:
    assert tree_rss_bytes(os.getpid()) > 0
    assert tree_rss_bytes(2**22 + 7) == 0  # no such process
