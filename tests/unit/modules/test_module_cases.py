"""Golden cases for every module planner: parameters and facts in, the exact plan out (no host).

Each tests/unit/modules/cases/<module>/<case>.json holds:
- `params`: the task's arguments, validated with validate_params as the engine does;
- `facts`: fact key -> the fact's value in JSON form (exactly the facts the module asks for);
- `expect`: `changed`, `summary` (a substring), `failed` (a substring, for plans that cannot run),
  `refused` (`{"field": ..., "problem": substring}`: the arguments are refused before planning, at load
  time when literal, so the case gives no facts),
  `actions` (argv lists, `{"argv": [...], "stdin": "..."}` or `{"put": path, "content": text,
  "mode": "0644"}`, with `owner` and `group` when the put sets them on its temporary file and `validate`
  when the new content must pass that command), `invalidates`,
  and optionally `diffs`, `result` (a subset) and `captures_output`;
- `facts_after`: for changing plans, the facts that applying the plan changes; re-planning on the
  facts with these applied must be a no-op (idempotence). A plan that Ansible also reports as a
  change on every run sets `"idempotent": false` with a `"why"`.
- `module` (optional): the module name when it differs from the directory (aliases).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pytest

from deployctl.modules.base import Action, Module, Plan, PutFile, RunCommand
from deployctl.modules.params import ParamError, validate_params
from deployctl.modules.registry import MODULES, find_module

CASES = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES.glob("*/*.json"))


@runtime_checkable
class FixtureFact(Protocol):
    """What the fixtures need from a fact: its key and its value from JSON."""

    @property
    def key(self) -> str: ...

    def value_from_json(self, data: Any) -> Any: ...


def load_case(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def module_for(path: Path, case: Mapping[str, Any]) -> Module:
    module = find_module(case.get("module", path.parent.name))
    assert module is not None, f"no module {case.get('module', path.parent.name)}"
    return module


def facts_for(module: Module, params: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The fixture's facts, parsed by the facts the module asks for (which must be exactly these)."""
    wanted: dict[str, FixtureFact] = {}
    for fact in module.facts(params):
        assert isinstance(fact, FixtureFact), f"{fact.key}: facts give value_from_json for fixtures"
        wanted[fact.key] = fact
    assert sorted(wanted) == sorted(data), "the fixture must give exactly the facts the module asks for"
    return {key: wanted[key].value_from_json(value) for key, value in data.items()}


def action_json(action: Action) -> Any:
    """An action in the fixtures' JSON form."""
    if isinstance(action, PutFile):
        attributes = (("owner", action.owner), ("group", action.group), ("validate", action.validate))
        owners = {key: value for key, value in attributes if value is not None}
        return {"put": action.path, "content": action.content.decode("utf-8"), "mode": action.mode, **owners}
    assert isinstance(action, RunCommand)
    if action.stdin is not None:
        return {"argv": list(action.argv), "stdin": action.stdin.decode("utf-8")}
    return list(action.argv)


def plan_case(path: Path, facts_data: Mapping[str, Any]) -> tuple[Module, Plan]:
    case = load_case(path)
    module = module_for(path, case)
    params = validate_params(module, case["params"])
    return module, module.plan(params, facts_for(module, params, facts_data))


def test_every_module_has_cases_including_a_no_change() -> None:
    names = {module.name for module in MODULES.values()}
    with_cases = {path.parent.name for path in CASE_FILES}
    assert names <= with_cases
    for name in names:
        unchanged = [
            path
            for path in CASE_FILES
            if path.parent.name == name
            and not load_case(path)["expect"]["changed"]
            and "failed" not in load_case(path)["expect"]
            and "refused" not in load_case(path)["expect"]
        ]
        assert unchanged, f"{name} has no no-change case"


@pytest.mark.parametrize("path", CASE_FILES, ids=[f"{path.parent.name}/{path.stem}" for path in CASE_FILES])
def test_case(path: Path) -> None:
    case = load_case(path)
    expect = case["expect"]
    if "refused" in expect:
        with pytest.raises(ParamError) as refused:
            validate_params(module_for(path, case), case["params"])
        assert refused.value.field == expect["refused"]["field"]
        assert expect["refused"]["problem"] in refused.value.problem, refused.value.problem
        assert case["facts"] == {} and not expect["changed"]
        return
    _, plan = plan_case(path, case["facts"])

    if "failed" in expect:
        assert plan.failed is not None and expect["failed"] in plan.failed, plan.failed
        assert not plan.changed and plan.actions == ()
        return
    assert plan.failed is None, plan.failed
    assert plan.changed == expect["changed"], plan.summary
    assert expect["summary"] in plan.summary, plan.summary
    assert [action_json(action) for action in plan.actions] == expect.get("actions", [])
    assert list(plan.invalidates) == expect.get("invalidates", [])
    assert plan.captures_output == expect.get("captures_output", False)
    if "diffs" in expect:
        assert [{"resource": d.resource, "before": d.before, "after": d.after} for d in plan.diffs] == expect["diffs"]
    for key, value in expect.get("result", {}).items():
        assert plan.result.get(key) == value, key
    if plan.changed:
        assert plan.diffs or plan.captures_output or not plan.invalidates, "a change to a resource shows a diff"


IDEMPOTENCE_CASES = [path for path in CASE_FILES if load_case(path)["expect"]["changed"]]


@pytest.mark.parametrize(
    "path", IDEMPOTENCE_CASES, ids=[f"{path.parent.name}/{path.stem}" for path in IDEMPOTENCE_CASES]
)
def test_replanning_after_apply_changes_nothing(path: Path) -> None:
    case = load_case(path)
    if not case.get("idempotent", True):
        assert case.get("why"), "a case that is not idempotent says why"
        assert "facts_after" not in case
        return
    assert "facts_after" in case, "a changing case gives the facts after applying it"
    unknown = set(case["facts_after"]) - set(case["facts"])
    assert not unknown, f"facts_after names facts the case does not read: {unknown}"
    _, replan = plan_case(path, {**case["facts"], **case["facts_after"]})
    assert replan.failed is None, replan.failed
    assert not replan.changed, f"not idempotent: {replan.summary} {replan.actions}"
