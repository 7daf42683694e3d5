"""The drift gate's verdict on a stage, from its drift scan's outcome and counts (the scan runs in-process)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

DriftState = Literal["clean", "drift", "error"]


@dataclass(frozen=True)
class DriftCheck:
    """The drift verdict on one stage, and a one-line summary of why."""

    stage: str
    state: DriftState
    summary: str


def drift_verdict(
    stage: str, outcome: DriftState, hosts_drifted: int, items: int, failures: Sequence[str] = ()
) -> DriftCheck:
    """The verdict on a finished scan: clean, drift (with its counts), or an error naming what could not be scanned."""
    if outcome == "error":
        return scan_failed(stage, "; ".join(failures) or "a host could not be scanned")
    if outcome == "clean":
        return DriftCheck(stage, "clean", f"no drift in {stage}")
    return DriftCheck(stage, "drift", f"{stage} has drift ({hosts_drifted} hosts drifted, {items} items)")


def scan_failed(stage: str, why: str) -> DriftCheck:
    """The verdict when the scan of `stage` could not be made: an error (a gate that fails, which --force can pass)."""
    return DriftCheck(stage, "error", f"the drift check of {stage} failed: {why}")
