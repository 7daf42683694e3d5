"""Which runs re-record a host's package baseline: package changes, including ones whose diffs are hidden."""

from __future__ import annotations

import pytest

from deployctl.modules.base import Diff
from deployctl.operations.recording import changed_packages
from deployctl.strategies.results import RunResult, TaskResult


def _run(status: str, diffs: tuple[Diff, ...], module: str = "apt") -> RunResult:
    task = TaskResult("web1", "play", "install", module, status, "", "site.yml:3", diffs)  # type: ignore[arg-type]
    return RunResult("site.yml", "dev", False, results=[task])


@pytest.mark.parametrize(
    ("status", "diffs", "module", "changed"),
    [
        ("changed", (Diff("package nginx", "", "1.22"),), "apt", True),
        ("changed", (Diff("apt lists", "2 h old", "updated"),), "apt", False),  # a cache refresh is not one
        ("changed", (), "apt", True),  # no_log / diff: false hid what changed: it may have been a package
        ("ok", (), "apt", False),
        ("changed", (), "copy", False),
    ],
)
def test_a_package_change_is_seen_even_when_its_diffs_are_hidden(
    status: str, diffs: tuple[Diff, ...], module: str, changed: bool
) -> None:
    assert changed_packages(_run(status, diffs, module), "web1") is changed
