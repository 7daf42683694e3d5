"""What a plan says it leaves is what reading the host after it gives (this machine, local transport)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from deployctl.facts.base import batch
from deployctl.modules.base import Module, Plan
from deployctl.modules.copy import COPY
from deployctl.modules.file import FILE
from deployctl.modules.params import validate_params
from deployctl.strategies.actions import compose_steps
from deployctl.transport.base import shell
from deployctl.transport.local import LocalTransport


def read(module: Module, params: Mapping[str, Any]) -> dict[str, Any]:
    facts = batch(list(module.facts(params)))
    return facts.split(LocalTransport().run(shell(facts.script())).stdout)


def plan_and_apply(module: Module, args: Mapping[str, Any]) -> tuple[Plan, dict[str, Any]]:
    params = validate_params(module, args)
    plan = module.plan(params, read(module, params))
    for step in compose_steps(plan.actions):
        assert LocalTransport().run(step.command, stdin=step.stdin).ok
    return plan, read(module, params)


def comparable(info: Any) -> Any:
    """A file fact without what a plan cannot know (ids: the fact shows names; a folder's size)."""
    size = None if info.type == "directory" else info.size
    return (info.type, info.mode, info.owner, info.group, size, info.sha256, info.content)


@pytest.mark.parametrize(
    ("module", "args"),
    [
        (FILE, {"path": "{tmp}/made", "state": "directory", "owner": "root", "group": "root", "mode": "0750"}),
        (COPY, {"content": "x=1\n", "dest": "{tmp}/conf", "owner": "root", "group": "root", "mode": "0640"}),
        (COPY, {"content": "y\n", "dest": "{tmp}/old", "owner": "root", "group": "root", "mode": "600"}),
    ],
)
def test_a_plan_leaves_what_the_host_shows_after_it(tmp_path: Path, module: Module, args: dict[str, str]) -> None:
    (tmp_path / "old").write_text("before\n")
    plan, after = plan_and_apply(module, {key: value.replace("{tmp}", str(tmp_path)) for key, value in args.items()})
    assert plan.leaves
    for key, value in plan.leaves.items():
        assert comparable(value) == comparable(after[key]), key


def test_a_write_without_its_attributes_leaves_nothing_known(tmp_path: Path) -> None:
    plan, _ = plan_and_apply(COPY, {"content": "x\n", "dest": str(tmp_path / "conf")})
    assert plan.leaves == {}
