"""Read the answer of `deployctl drift --stage S --format json` (docs/drift.md): exit 0 clean, 2 drift, 1 error.

The drift command is another piece of deployctl, called as a subprocess so the two stay decoupled: this
module only reads its documented contract (exit code and JSON on stdout) into a verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

DriftState = Literal["clean", "drift", "error"]
CLEAN_EXIT = 0
DRIFT_EXIT = 2
COUNT_KEYS = ("hosts_drifted", "items")


@dataclass(frozen=True)
class DriftCheck:
    """The drift verdict on one stage, and a one-line summary of why."""

    stage: str
    state: DriftState
    summary: str


def _counts(payload: Any) -> dict[str, int]:
    """The drift counts the report gives (top level, or under `summary`), when it gives them."""
    found: dict[str, int] = {}
    for scope in (payload, payload.get("summary") if isinstance(payload, dict) else None):
        if isinstance(scope, dict):
            for key in COUNT_KEYS:
                value = scope.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    found.setdefault(key, value)
    return found


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def read_drift_answer(stage: str, exit_code: int, stdout: str, stderr: str) -> DriftCheck:
    """The verdict from the drift command's exit code and JSON report; anything undocumented is an error."""
    if exit_code not in (CLEAN_EXIT, DRIFT_EXIT):
        return DriftCheck(stage, "error", f"the drift check of {stage} failed (exit {exit_code}): {_last_line(stderr)}")
    try:
        payload = json.loads(stdout)
    except json.JSONDecodeError:
        return DriftCheck(
            stage,
            "error",
            f"the drift check of {stage} exited {exit_code} without a JSON report: {_last_line(stderr or stdout)}",
        )
    if exit_code == CLEAN_EXIT:
        return DriftCheck(stage, "clean", f"no drift in {stage}")
    counts = _counts(payload)
    detail = ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())
    return DriftCheck(stage, "drift", f"{stage} has drift" + (f" ({detail})" if detail else ""))
