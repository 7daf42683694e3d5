"""The drift gate reads `deployctl drift --format json` by its contract: exit 0 clean, 2 drift, 1 error."""

from __future__ import annotations

import json

import pytest

from deployctl.pipeline.drift import read_drift_answer


@pytest.mark.parametrize(
    ("exit_code", "stdout", "stderr", "state", "words"),
    [
        (0, json.dumps({"stages": ["qa"], "hosts": []}), "", "clean", "no drift in qa"),
        (2, json.dumps({"summary": {"hosts_drifted": 1, "items": 3}}), "", "drift", "(1 hosts drifted, 3 items)"),
        (2, json.dumps({"hosts_drifted": 2}), "", "drift", "(2 hosts drifted)"),
        (2, json.dumps([{"host": "qa-vm1"}]), "", "drift", "qa has drift"),
        (1, "", "deployctl: error: qa-vm2: connection refused\n", "error", "failed (exit 1): deployctl: error: qa-vm2"),
        # A usage error (no such command) also exits 2, but without a report: not drift, an error.
        (2, "", "Usage: deployctl\nError: No such command 'drift'.\n", "error", "without a JSON report: Error"),
        (0, "not json", "", "error", "without a JSON report"),
        (137, "", "", "error", "exit 137"),
    ],
)  # fmt: skip
def test_the_verdict_follows_the_documented_contract(
    exit_code: int, stdout: str, stderr: str, state: str, words: str
) -> None:
    verdict = read_drift_answer("qa", exit_code, stdout, stderr)
    assert verdict.state == state
    assert words in verdict.summary
