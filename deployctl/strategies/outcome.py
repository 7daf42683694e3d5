"""What running a task once gave on a host, before it becomes a TaskResult: its status, message, plan and
output; a loop's outcomes combined; `failed_when` and `changed_when` applied; the value `register` keeps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployctl.model.playbook import Task
from deployctl.modules.base import Plan
from deployctl.strategies.results import Status
from deployctl.templating import Templar, mark_unsafe

OUTPUT_LIMIT = 64 * 1024
"""At most this much of a command's stdout and stderr is kept in results."""


@dataclass
class Outcome:
    """A task's status on a host, why, the plan it ran (if any) and its output (what `register` sees)."""

    status: Status
    message: str
    plan: Plan | None = None
    output: dict[str, Any] = field(default_factory=dict)


def clip(text: str) -> str:
    """`text`, cut at OUTPUT_LIMIT characters."""
    return text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "\n[... cut]"


COMMAND_CHECK_MESSAGE = "Command would have run if not in check mode"


def check_outcome(plan: Plan, output: Mapping[str, Any]) -> Outcome:
    """A change's outcome in check mode: changed, as planned; a command that would run is not run, and, as in
    Ansible, is skipped (or changed when a `creates`/`removes` guard let it through) with empty output."""
    if not plan.captures_output:
        return Outcome("changed", plan.summary, plan, dict(output))
    empty = {"rc": 0, "stdout": "", "stderr": "", "stdout_lines": [], "stderr_lines": []}
    empty.update({"start": None, "end": None, "delta": None})
    status: Status = "changed" if plan.guarded else "skipped"
    return Outcome(status, COMMAND_CHECK_MESSAGE, plan, {**output, **empty})


def registered_value(outcome: Outcome, skipped: bool = False) -> dict[str, Any]:
    """What `register` keeps of a task run once: its output, status flags and message."""
    value = {**outcome.output, "changed": outcome.status == "changed", "failed": outcome.status == "failed"}
    if skipped or outcome.status == "skipped":
        value["skipped"] = True  # as in Ansible: a task that ran has no `skipped` key
    return {**value, "msg": outcome.message}


def loop_outcome(task: Task, outcomes: Sequence[Outcome], loop_items: Sequence[Any]) -> tuple[Outcome, dict[str, Any]]:
    """A loop's outcome from its items' outcomes, and what `register` keeps of it (`results` per item)."""
    results = [_item_value(o, item, task.loop_var) for o, item in zip(outcomes, loop_items, strict=True)]
    all_skipped = all(o.status == "skipped" for o in outcomes)
    message = "All items skipped" if all_skipped else "All items completed"
    registered = {"results": results, "changed": any(r["changed"] for r in results), "msg": message}
    failed = [o for o in outcomes if o.status in ("failed", "unreachable")]
    kept = {**registered, "failed": bool(failed), "skipped": all_skipped}
    if not outcomes:
        kept["skipped_reason"] = "No items in the list"
    if any(o.status == "unreachable" for o in outcomes):
        return Outcome("unreachable", failed[0].message), kept
    if failed:
        return Outcome("failed", failed[0].message, output=registered), kept
    if not outcomes or all(o.status == "skipped" for o in outcomes):
        message = "no items" if not outcomes else "skipped for every item"
        return Outcome("skipped", message, output=registered), kept
    changed = [o for o in outcomes if o.status == "changed"]
    message = "; ".join(o.message for o in changed) if changed else f"{len(outcomes)} items unchanged"
    if task.is_action:
        message = "; ".join(o.message for o in outcomes)
    return Outcome("changed" if changed else "ok", message, output=registered), kept


def _item_value(outcome: Outcome, item: Any, loop_var: str) -> dict[str, Any]:
    """What a loop's `results` keep of one item, as Ansible keeps it."""
    value = {**outcome.output, "item": item, loop_var: item, "ansible_loop_var": loop_var}
    value.update(changed=outcome.status == "changed", failed=outcome.status == "failed")
    if outcome.status == "skipped":
        value["skipped"] = True
    return value


def judge(task: Task, scope: Mapping[str, Any], outcome: Outcome, templar: Templar) -> Outcome:
    """Apply `failed_when` and `changed_when`, which see the registered result of this task."""
    if task.failed_when is None and task.changed_when is None:
        return outcome
    if outcome.status == "skipped":
        return outcome
    result = registered_value(outcome)
    judged = {**scope, **({task.register: mark_unsafe(result)} if task.register else {})}
    status = outcome.status
    message = outcome.message
    if task.changed_when is not None and status in ("ok", "changed"):
        status = "changed" if all(templar.evaluate(c, judged) for c in task.changed_when) else "ok"
    if task.failed_when is not None and outcome.status != "unreachable":
        failing = all(templar.evaluate(c, judged) for c in task.failed_when)
        if failing:
            status, message = "failed", f"failed_when matched: {' and '.join(task.failed_when)}"
        elif status == "failed":
            status = "changed" if outcome.plan is not None and outcome.plan.changed else "ok"
    return Outcome(status, message, outcome.plan, outcome.output)
