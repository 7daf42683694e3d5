"""The drift gate's verdict from a scan's outcome and counts: clean, drift with its counts, or an error naming why."""

from __future__ import annotations

import pytest

from deployctl.pipeline.drift import DriftState, drift_verdict, scan_failed


@pytest.mark.parametrize(
    ("outcome", "drifted", "items", "failures", "state", "words"),
    [
        ("clean", 0, 0, (), "clean", "no drift in qa"),
        ("drift", 1, 3, (), "drift", "qa has drift (1 hosts drifted, 3 items)"),
        ("error", 1, 2, ("qa/qa-vm2: connection refused",), "error", "failed: qa/qa-vm2: connection refused"),
        ("error", 0, 0, (), "error", "failed: a host could not be scanned"),
    ],
)  # fmt: skip
def test_the_verdict_follows_the_scan(
    outcome: DriftState, drifted: int, items: int, failures: tuple[str, ...], state: str, words: str
) -> None:
    verdict = drift_verdict("qa", outcome, drifted, items, failures)
    assert verdict.state == state
    assert words in verdict.summary


def test_a_scan_that_could_not_be_made_is_an_error_verdict() -> None:
    verdict = scan_failed("qa", "release r1 is not in the ledger")
    assert (verdict.state, verdict.summary) == (
        "error",
        "the drift check of qa failed: release r1 is not in the ledger",
    )
