"""The variables of every stage's target hosts for a play, as the mutable strategy builds them.

`compile_play` needs them all: what differs between them is what the image must not contain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.model.inventory import load_inventories
from deployctl.model.playbook import Play, Playbook
from deployctl.model.project import Project
from deployctl.model.runvars import play_variables, run_variables

STRATEGY_VARIABLE = "deployctl_strategy"
IMMUTABLE = "immutable"


def stage_variables(
    project: Project, playbook: Playbook, play: Play, stages: Sequence[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Each host the play targets, in every stage (all by default, in pipeline order) -> its merged variables."""
    variables: dict[str, dict[str, Any]] = {}
    for inventory in load_inventories(project, list(stages) if stages else None).values():
        targeted = [host.name for host in inventory.select(play.hosts)]
        for host in inventory.select(play.hosts):
            magic = run_variables(inventory, playbook, host, check=False, diff=False)
            play_magic = play_variables(play, targeted, targeted)
            variables[host.name] = {**host.vars, **magic, **play_magic, **play.vars}
    return variables


def uses_immutable_strategy(variables: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether the hosts' variables choose the immutable strategy (`deployctl_strategy: immutable`)."""
    return any(str(scope.get(STRATEGY_VARIABLE, "")).strip().lower() == IMMUTABLE for scope in variables.values())
