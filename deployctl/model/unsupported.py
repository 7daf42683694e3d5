"""Where a playbook's unsupported tasks are, and what must hold for a host to reach each one.

A task deployctl cannot run (see `Task.unsupported`) blocks a run only where it will run: one that every
targeted host certainly reaches (no `when` of its own or inherited, not in a rescue or a handler, not in
a candidate of an include whose file name is templated) refuses the run before any host is touched;
the others fail only on a host that reaches them, and lint lists them with the condition that reaches them.
One reached whenever its `when` conditions hold (`only_when`) is refused before the run for each targeted
host on which those conditions hold already with the host's and the play's variables (see playbook_checks).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from deployctl.model.playbook import Block, Play, Playbook, Step, Task
from deployctl.templating import is_templated


@dataclass(frozen=True)
class UnsupportedTask:
    """An unsupported task and the conditions under which a host reaches it (none: certainly reached)."""

    task: Task
    unless: tuple[str, ...]
    when: tuple[str, ...] = ()
    """The conditions among `unless` that are `when` expressions (the others are what the run does)."""

    @property
    def certain(self) -> bool:
        """Whether every host the play targets reaches the task."""
        return not self.unless

    @property
    def only_when(self) -> bool:
        """Whether a host reaches the task whenever its `when` conditions hold (no rescue, handler, include choice)."""
        return len(self.when) == len(self.unless)


def play_unsupported(play: Play) -> Iterator[UnsupportedTask]:
    """Every unsupported task of a play (sections, handlers, loaded include candidates), with its conditions."""
    for _section, steps in play.section_steps():
        yield from _steps(steps, (), ())
    for handler in play.handlers:
        yield from _task(handler, ("a task notifies it",), ())


def playbook_unsupported(playbook: Playbook) -> list[UnsupportedTask]:
    """Every unsupported task of every play of a playbook."""
    return [found for play in playbook.plays for found in play_unsupported(play)]


def _steps(steps: Sequence[Step], guards: tuple[str, ...], when: tuple[str, ...]) -> Iterator[UnsupportedTask]:
    """`guards`: what must happen for a host to reach the steps; `when`: those of them that are conditions."""
    for step in steps:
        if isinstance(step, Block):
            yield from _steps(step.block, guards, when)
            yield from _steps(step.rescue, (*guards, f"a task of block {step.name!r} fails"), when)
            yield from _steps(step.always, guards, when)
        else:
            yield from _task(step, guards, when)


def _task(task: Task, guards: tuple[str, ...], when: tuple[str, ...]) -> Iterator[UnsupportedTask]:
    new = tuple(condition for condition in task.when if condition not in guards)
    own, own_when = (*guards, *new), (*when, *new)
    if task.unsupported:
        yield UnsupportedTask(task, own, own_when)
    file_name = task.args.get("file")
    templated = task.module == "include_tasks" and (not isinstance(file_name, str) or is_templated(file_name))
    for path, included in task.includes.items():
        chosen = (*own, f"{task.module} at {task.origin} picks {path}") if templated else own
        yield from _steps(included.steps, chosen, own_when)
        for handler in included.handlers:
            yield from _task(handler, (*chosen, "a task notifies it"), own_when)
