"""A host's changes held back to run together in one script, and the results held back with them (pure).

A changed task whose outcome no later step reads before the batch runs (no `register`, no `changed_when` or
`failed_when`, no `ignore_errors` or rescue, no loop, no timeout, not delegated, not run once, not a handler)
joins the batch instead of running alone. Every result from then on, the batch's own and those of the tasks
planned after them, is held back: when the batch runs, the results of the changes that ran and of the tasks
between them are given out in order, and a failure drops what came after it (those tasks did not run, as
when a host fails). See deployctl.strategies.hostrun for when a batch runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deployctl.model.playbook import Task
from deployctl.modules.base import Module, Plan
from deployctl.strategies.changescript import BatchedChange, ChangeResult
from deployctl.strategies.outcome import Outcome, clip
from deployctl.strategies.results import TaskResult

Finish = Callable[[Outcome], TaskResult]
"""Turns a held-back change's outcome into its task's result (as the runner builds results)."""


def joins_batch(task: Task, *, handler: bool, ignores_errors: bool, rescuable: bool) -> bool:
    """Whether a changed task's outcome can wait for the batch: nothing reads it before the batch runs."""
    return not (
        handler
        or ignores_errors
        or rescuable
        or task.register
        or task.changed_when is not None
        or task.failed_when is not None
        or task.loop is not None
        or task.timeout is not None
        or task.delegate_to
        or task.run_once
    )


@dataclass
class HeldChange:
    """One task's change in the batch: what ran, how its result is built, where its result is held."""

    task: Task
    module: Module
    plan: Plan
    change: BatchedChange
    command: str
    finish: Finish
    slot: int


@dataclass
class ChangeBatch:
    """The changes waiting to run on one host (all with one `become`), and the results held back behind them."""

    become: tuple[bool, str | None] = (False, None)
    changes: list[HeldChange] = field(default_factory=list)
    held: list[TaskResult | None] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return bool(self.changes)

    def add(self, change: HeldChange) -> None:
        """Hold a change; its result's slot is taken now, filled when the batch has run."""
        change.slot = len(self.held)
        self.held.append(None)
        self.changes.append(change)

    def hold(self, result: TaskResult) -> None:
        """Hold the result of a task planned after the batch's first change."""
        self.held.append(result)

    def close(self, results: list[ChangeResult], failure: Outcome | None) -> tuple[list[TaskResult], bool]:
        """The results to give out once the batch ran (`results`, one per change that ran; `failure` for the
        first change that has none when the batch could not finish), and whether every change succeeded."""
        succeeded = True
        last_slot = len(self.held) - 1
        for index, held in enumerate(self.changes):
            if index < len(results):
                outcome = change_outcome(held.plan, results[index], held.command)
            else:
                outcome = failure or Outcome("failed", f"{held.plan.summary}: the batch stopped before it ran")
            self.held[held.slot] = held.finish(outcome)
            if outcome.status != "changed":
                succeeded = False
                last_slot = held.slot
                break
        given = [result for result in self.held[: last_slot + 1] if result is not None]
        self.changes.clear()
        self.held.clear()
        return given, succeeded


def change_outcome(plan: Plan, result: ChangeResult, command: str) -> Outcome:
    """A change's outcome from its last step's result (`command` the line that ran), alone or in a batch."""
    output: dict[str, Any] = dict(plan.result)
    if not plan.captures_output:
        if result.exit_code != 0:
            reason = (result.stderr or result.stdout).strip().splitlines()
            return Outcome("failed", f"{plan.summary}: exit {result.exit_code}: {reason[-1] if reason else ''}")
        return Outcome("changed", plan.summary, plan, output)
    output.update(
        rc=result.exit_code,
        stdout=clip(result.stdout.rstrip("\n")),
        stderr=clip(result.stderr.rstrip("\n")),
        stdout_lines=clip(result.stdout).splitlines(),
        stderr_lines=clip(result.stderr).splitlines(),
        cmd=command,
    )
    if result.exit_code != 0:
        problem = result.stderr.strip().splitlines()
        detail = problem[-1] if problem else "no output"
        return Outcome("failed", f"non-zero return code {result.exit_code}: {detail}", plan, output)
    return Outcome("changed", plan.summary, plan, output)
