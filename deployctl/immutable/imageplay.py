"""A play as its image gets it: its tasks in order (roles' and included files' opened, the actions that can
be evaluated at build time evaluated), and each task's variables in every stage the image is promoted
through (StageScopes), rendered with the values all stages share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from deployctl.facts.ansible import ANSIBLE_FACTS_KEY, IMAGE_FACTS, fact_variables
from deployctl.immutable.compileoutput import CompileError, CompileOutput, joined_names, task_error
from deployctl.immutable.scopes import StageScopes
from deployctl.lookups import LOOKUP_SITE_VAR, LookupFailure, LookupSite, LookupUsageError
from deployctl.model.factreads import reads_facts
from deployctl.model.playbook import (
    Block,
    Play,
    Playbook,
    Task,
    find_task_file,
    first_found,
    include_vars_values,
    included_content,
)
from deployctl.model.playbook import Step as PlayStep
from deployctl.model.setfact import set_fact_values
from deployctl.model.undefinedloop import skips_undefined_loop
from deployctl.modules.base import Module
from deployctl.modules.params import ParamError, validate_params
from deployctl.modules.registry import find_module
from deployctl.templating import TemplateError, UndefinedVariableError

CONTENT_MODULES = ("copy", "template")
SILENT_ACTIONS = ("debug", "meta")
"""Actions with nothing to bake and nothing lost (messages, handler flushes)."""


def image_fact_variables(base_facts: Mapping[str, Any]) -> dict[str, Any]:
    """The `ansible_*` facts an image has whatever host runs it (its OS), from the base image's facts.

    Facts of the running host (hostname, addresses, memory...) are left out: they stay stage-specific.
    """
    gathered = base_facts.get(ANSIBLE_FACTS_KEY)
    if not isinstance(gathered, Mapping):
        return {}
    return fact_variables({name: gathered[name] for name in IMAGE_FACTS if name in gathered})


class ImagePlay:
    """One play's tasks and variables as the image sees them; what cannot be decided at build time is noted in `out`."""

    def __init__(
        self,
        playbook: Playbook,
        play: Play,
        stage_vars: Mapping[str, Mapping[str, Any]],
        base_facts: Mapping[str, Any] | None,
        out: CompileOutput,
    ) -> None:
        self.playbook = playbook
        self.play = play
        self.templar = playbook.templar()
        if not stage_vars:
            raise CompileError("no stage variables: give the variables of every stage the image is promoted through")
        self.stage_vars = {key: {**scope, **play.vars} for key, scope in stage_vars.items()}
        self.scopes = StageScopes(self.templar, self.stage_vars)
        self.registered = {task.register for task in play.all_tasks() if task.register}
        self.image_vars = image_fact_variables(base_facts or {}) if play.gather_facts else {}
        self.included: dict[str, Any] = {}
        self.scope_cache: dict[tuple[int, int, int, LookupSite], StageScopes] = {}
        self.noting = False
        self.out = out

    def module(self, task: Task) -> Module:
        """The module a task runs."""
        module = find_module(task.module)
        if module is None:  # the loader refuses unknown modules
            raise AssertionError(f"unknown module {task.module}")
        return module

    def tasks(self, noting: bool = False) -> Iterator[Task]:
        """The play's tasks in order as the image gets them: roles' and included files' opened, actions done.

        include_vars and set_fact values common to every stage feed the later tasks; include_tasks and
        include_role pick their file with those values and the base image's facts. With `noting`, what
        cannot be decided at build time (a rescue, a stage-specific include) is reported.
        """
        self.included = {}
        self.noting = noting
        for _section, steps in self.play.section_steps():
            yield from self.walk(steps)

    def walk(self, steps: tuple[PlayStep, ...]) -> Iterator[Task]:
        """The tasks of `steps` as the image gets them (see `tasks`)."""
        for step in steps:
            if isinstance(step, Block):
                yield from self.walk(step.block)
                for task in self.leaves(step.rescue):
                    self.quiet_note(task, "rescue: runs only when a task of its block fails on a running host")
                yield from self.walk(step.always)
                continue
            if "never" in step.tags:
                continue
            if step.delegate_to:
                self.quiet_note(step, "delegate_to localhost: runs on the machine that deploys, not in the image")
            elif isinstance(step.check_mode, str):
                self.quiet_note(step, "check_mode from a template: decided per host at run time, not baked")
            elif step.check_mode:
                self.quiet_note(step, "check_mode: reports only, nothing to bake")
            elif step.is_action and not step.unsupported:
                yield from self.action(step)
            else:
                yield step

    def leaves(self, steps: tuple[PlayStep, ...]) -> Iterator[Task]:
        """Every task of `steps`, blocks opened, for what is only reported."""
        for step in steps:
            if isinstance(step, Block):
                yield from self.leaves((*step.block, *step.rescue, *step.always))
            else:
                yield step

    def quiet_note(self, task: Task, reason: str) -> None:
        """Note the task when this walk reports (`tasks(noting=True)`)."""
        if self.noting:
            self.out.note(task, reason)

    def action(self, task: Task) -> Iterator[Task]:
        """Evaluate an action at build time with the values every stage shares, or report it."""
        if task.module in SILENT_ACTIONS:
            return
        scopes = self.task_scopes(task)
        values = {
            key: value for key, value in task.args.items() if key not in ("name",) or task.module != "include_vars"
        }
        specific = scopes.specific_names(values) | (scopes.specific_names(task.loop) if task.loop else set())
        if task.when:
            specific |= set().union(*(scopes.specific_names(f"{{{{ {c} }}}}") for c in task.when))
        if specific:
            self.quiet_note(task, f"{task.module} reads stage-specific variables ({joined_names(specific)})")
            return
        if task.module in ("fail", "assert"):
            self.quiet_note(task, f"{task.module}: a check of a running host, not evaluated at build time")
            return
        try:
            common = {**scopes.common}
            items: list[Any] = [None]
            if task.loop is not None:
                items = self.loop_items(task, common)
                if task.loop_keyword == "with_first_found":
                    items = list(first_found(task, items, self.playbook.base_dir))
            for item in items:
                scope = common if task.loop is None else {**common, task.loop_var: item}
                if task.when and not all(self.templar.evaluate(c, scope) for c in task.when):
                    continue  # for each item, as in Ansible
                yield from self.run_action(task, scope)
        except TemplateError as exc:
            raise task_error(task, str(exc)) from None
        except (LookupFailure, LookupUsageError) as exc:
            raise task_error(task, str(exc), task.loop_keyword) from None

    def run_action(self, task: Task, scope: Mapping[str, Any]) -> Iterator[Task]:
        """set_fact and include_vars feed the later tasks; an include yields the tasks of what it picks."""
        if task.module == "set_fact":
            self.included.update(set_fact_values(task.args, lambda value: self.templar.render(value, scope)))
            return
        if task.module == "include_vars":
            name = str(self.templar.render(task.args.get("file", ""), scope))
            path = find_task_file(task, task.module, name, self.playbook.base_dir)
            if path is None:
                raise task_error(task, f"include_vars: no file {name!r}", "file")
            values = include_vars_values(task, path, self.playbook.display(path))
            self.included.update({str(task.args["name"]): values} if task.args.get("name") else values)
            return
        name = "" if task.module == "include_role" else str(self.templar.render(task.args.get("file", ""), scope))
        found = included_content(task, name, self.playbook.base_dir)
        if found is None:
            raise task_error(task, f"include_tasks: no file {task.args.get('file')!r} for this image", "file")
        if found.problem is not None:
            raise task_error(task, f"included content cannot run: {found.problem}")
        yield from self.walk(found.steps)

    def reads_facts(self) -> bool:
        """Whether the play can read an `ansible_*` fact with any stage's variables (deployctl.model.factreads)."""
        base_dir = self.playbook.base_dir
        return any(reads_facts(self.play, self.templar, base_dir, scope) for scope in self.stage_vars.values())

    def runtime_vars(self, task: Task, extra: Mapping[str, Any]) -> dict[str, Any]:
        """The variables a deploy-time file needs on top of a stage's: the task's, and its role's and
        the image's that no stage defines (a stage's value wins over a role default, as in Ansible)."""
        role = task.role
        low = {**self.play.role_defaults, **(role.defaults if role else {}), **self.image_vars}
        unset = {name: value for name, value in low.items() if all(name not in s for s in self.stage_vars.values())}
        high = {
            **self.play.role_vars,
            **(role.vars if role else {}),
            **task.vars,
            **self.included,
            **(role.params if role else {}),
            **(role.magic_variables() if role else {}),
        }
        return {**unset, **high, **extra}

    def task_scopes(self, task: Task) -> StageScopes:
        """The stages' variables for a task: role defaults beneath, base image facts, role/task/included vars above."""
        role = task.role
        site = task.lookup_site
        key = (id(role), id(task.vars), hash(repr(sorted(self.included.items(), key=lambda kv: kv[0]))), site)
        if key not in self.scope_cache:
            low = {**self.play.role_defaults, **(role.defaults if role else {})}
            high = {
                LOOKUP_SITE_VAR: site,
                **self.play.role_vars,
                **(role.vars if role else {}),
                **task.vars,
                **self.included,
                **(role.params if role else {}),
                **(role.magic_variables() if role else {}),
            }
            self.scope_cache[key] = StageScopes(
                self.templar,
                {name: {**low, **scope, **self.image_vars, **high} for name, scope in self.stage_vars.items()},
            )
        return self.scope_cache[key]

    def items(self, task: Task, scopes: StageScopes) -> list[dict[str, Any]] | str:
        """Each loop item's extra variables ([{}] without a loop), or why the loop cannot be known at build time."""
        if task.loop is None:
            return [{}]
        specific = scopes.specific_names(task.loop)
        if specific:
            return f"its loop reads stage-specific variables ({joined_names(specific)})"
        if scopes.reads(task.loop) & self.registered:
            return "its loop reads a registered result, known only on a running host"
        try:
            items = self.loop_items(task, scopes.common)
        except TemplateError as exc:
            raise task_error(task, str(exc), task.loop_keyword) from None
        return [{task.loop_var: item} for item in items]

    def loop_items(self, task: Task, scope: Mapping[str, Any]) -> list[Any]:
        """The items of the task's loop rendered in `scope`; none when the loop reads an undefined variable and the
        task's `when` is false there: the task is skipped (deployctl.model.undefinedloop)."""
        try:
            rendered = self.templar.render(task.loop, scope)
        except UndefinedVariableError:
            if skips_undefined_loop(task, self.templar, scope):
                return []
            raise
        return task.loop_items(rendered, self.playbook.base_dir)

    def render_args(
        self, task: Task, module: Module, scopes: StageScopes, extra: Mapping[str, Any], skip: set[str]
    ) -> dict[str, Any]:
        """Render and validate a task's arguments (except `skip`) with the variables common to all stages."""
        args = {key: value for key, value in task.args.items() if key not in skip}
        try:
            rendered = self.templar.render(args, {**scopes.common, **extra})
            return validate_params(module, rendered)
        except ParamError as exc:
            raise task_error(task, f"{exc.field}: {exc.problem}", exc.field) from None
        except TemplateError as exc:
            raise task_error(task, str(exc)) from None

    def source_file(self, task: Task, module: Module, params: Mapping[str, Any]) -> Path | None:
        """The controller file a copy/template task reads (`src`), or None."""
        if module.name not in CONTENT_MODULES or not params.get("src"):
            return None
        source = find_task_file(task, module.name, str(params["src"]), self.playbook.base_dir)
        if source is None:
            raise task_error(task, f"{module.name} src {params['src']!r} not found", "src")
        return source
