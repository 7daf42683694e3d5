"""Which facts a play's tasks will read, known before they run, so one round trip reads them all.

The play is walked in run order on the controller from what the run knows now: set_fact, include_vars
and includes (and their `when`) are evaluated as the run will, so later tasks render with their values.
What cannot be evaluated now (it reads a command's registered output...) is left out, and its facts are
read when the task runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from deployctl.errors import DeployctlError
from deployctl.facts.base import Fact
from deployctl.lookups import LookupFailure, LookupUsageError
from deployctl.model.factreads import reads_facts
from deployctl.model.playbook import Block, Included, Play, Step, Task
from deployctl.model.setfact import set_fact_values
from deployctl.strategies.hostfacts import TaskVariables
from deployctl.strategies.taskrender import TaskError, TaskRenderer
from deployctl.templating import TemplateError, mark_unsafe

LOOKAHEAD_ERRORS = (DeployctlError, TemplateError, KeyError, TypeError, LookupFailure, LookupUsageError)
"""What rendering a task ahead of its turn may raise: it then waits for the run."""


@dataclass
class _Walk:
    """The controller-side state the lookahead carries through a play, and the facts it found."""

    variables: TaskVariables
    facts: list[Fact[Any]] = field(default_factory=list)


class Lookahead:
    """Walks a play ahead of the run for one host, with the run's variables (read, never changed)."""

    def __init__(self, render: TaskRenderer, variables: TaskVariables, selects: Callable[[Task], bool]) -> None:
        self.render = render
        self.variables = variables
        self.selects = selects

    def reads_facts(self, play: Play) -> bool:
        """Whether the play can read a gathered fact (see deployctl.model.factreads); else none is gathered."""
        render = self.render
        return reads_facts(play, render.templar, render.playbook.base_dir, {**render.host.vars, **render.run_vars})

    def play_facts(self, play: Play) -> list[Fact[Any]]:
        """The facts of every task whose arguments can be rendered with what is known now."""
        walk = _Walk(self.variables.copy())
        for _section, steps in play.section_steps():
            self._steps(play, steps, walk)
        self._steps(play, play.handlers, walk, handlers=True)
        return walk.facts

    def _steps(self, play: Play, steps: Sequence[Step], walk: _Walk, *, handlers: bool = False) -> None:
        for step in steps:
            if isinstance(step, Block):
                self._steps(play, (*step.block, *step.rescue, *step.always), walk)
            elif handlers or self.selects(step):
                self._task(play, step, walk)

    def _task(self, play: Play, task: Task, walk: _Walk) -> None:
        """One task of the lookahead: its facts, or what it defines for the tasks after it."""
        render = self.render
        scope = render.scope(play, task, walk.variables)
        try:
            items: list[Any] | None = [None] if task.loop is None else render.loop_items(task, scope)
        except LOOKAHEAD_ERRORS:
            items = []
        if items is None:
            pass  # skipped here: its loop reads an undefined variable and its `when` is false
        elif task.module in ("include_tasks", "include_role"):
            self._include(play, task, scope, items, walk)
        elif task.module in ("set_fact", "include_vars"):
            self._definitions(task, scope, items, walk)
        elif not task.is_action and not task.delegate_to and not task.unsupported:
            module = render.module(task)
            for item in items:
                try:
                    item_scope = scope if task.loop is None else {**scope, task.loop_var: item}
                    walk.facts.extend(module.facts(render.params(task, module, item_scope, with_content=False)))
                except LOOKAHEAD_ERRORS:
                    continue  # depends on what the run registers; read when the task runs
        if task.register and task.module != "set_fact" and task.register not in self.variables.registered:
            walk.variables.registered.pop(task.register, None)  # known only once the task has run on the host

    def _definitions(self, task: Task, scope: Mapping[str, Any], items: list[Any], walk: _Walk) -> None:
        """set_fact and include_vars in the lookahead: their values for the later tasks, unless unknown."""
        render = self.render
        for item in items or [None]:
            item_scope = scope if task.loop is None else {**scope, task.loop_var: item}
            try:
                if not items or not render.when(task, item_scope):
                    raise TaskError("not known now")
                if task.module == "set_fact":
                    values = set_fact_values(task.args, partial(render.templar.render, variables=item_scope))
                    walk.variables.registered.update(mark_unsafe(values))
                else:
                    walk.variables.included.update(render.vars_to_include(task, item_scope)[1])
            except LOOKAHEAD_ERRORS:
                if task.module == "set_fact":
                    for name in task.args:
                        walk.variables.registered.pop(name, None)

    def _include(self, play: Play, task: Task, scope: Mapping[str, Any], items: list[Any], walk: _Walk) -> None:
        """An include in the lookahead: the file (or role) it picks, or every candidate when that is unknown."""
        saved = walk.variables.params
        for index, item in enumerate(items or [None]):
            extra = {} if task.loop is None else {task.loop_var: item}
            if task.index_var:
                extra[task.index_var] = index
            walk.variables.params = {**saved, **task.vars, **extra}
            try:
                if not self.render.when(task, {**scope, **extra}):
                    continue
                chosen: list[Included] = [self.render.included(task, {**scope, **extra})] if items else []
            except LOOKAHEAD_ERRORS:
                chosen = []
            for included in chosen or list(task.includes.values()):
                self._steps(play, included.steps, walk)
        walk.variables.params = saved
