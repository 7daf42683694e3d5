"""The drift gate's edge: ask `deployctl drift --stage S --format json` in a subprocess (docs/drift.md)."""

from __future__ import annotations

import subprocess
import sys

from deployctl.model.project import Project
from deployctl.pipeline.drift import DriftCheck, read_drift_answer

DRIFT_TIMEOUT = 600.0


def drift_command(project: Project, stage: str) -> list[str]:
    """The drift command for one stage of the project, as a list of words."""
    return [
        sys.executable,
        "-m",
        "deployctl",
        "--project",
        str(project.root),
        "drift",
        "--stage",
        stage,
        "--format",
        "json",
    ]


def check_drift(project: Project, stage: str) -> DriftCheck:
    """Run the drift command on `stage` and read its verdict (a timeout or a crash is an error verdict)."""
    try:
        done = subprocess.run(
            drift_command(project, stage), capture_output=True, text=True, timeout=DRIFT_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return DriftCheck(stage, "error", f"the drift check of {stage} did not answer within {DRIFT_TIMEOUT:.0f} s")
    return read_drift_answer(stage, done.returncode, done.stdout, done.stderr)
