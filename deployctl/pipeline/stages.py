"""The pipeline's order of stages, from `stages:` in deployctl.yml."""

from __future__ import annotations

from collections.abc import Sequence

from deployctl.errors import DeployctlError


def previous_stage(stages: Sequence[str], stage: str) -> str:
    """The stage a release is promoted to `stage` from; an error for the first stage (or an unknown one)."""
    if stage not in stages:
        raise DeployctlError(f"unknown stage {stage!r}; the stages are {', '.join(stages)}")
    index = list(stages).index(stage)
    if index == 0:
        raise DeployctlError(
            f"{stage} is the first stage of the pipeline ({' -> '.join(stages)}): nothing to promote from; "
            f"use `deployctl deploy --stage {stage}`"
        )
    return stages[index - 1]
