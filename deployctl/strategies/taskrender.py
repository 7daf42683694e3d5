"""Render a play's tasks for one host: variables in Ansible's precedence, conditions, loop items, module
parameters (with the controller's source file for copy and template), and the files includes pick."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployctl.booleans import parse_bool
from deployctl.errors import DeployctlError
from deployctl.lookups import LookupFailure, LookupUsageError
from deployctl.model.environment import BadEnvironmentError, merged_environment
from deployctl.model.inventory import InventoryHost
from deployctl.model.playbook import (
    Included,
    Play,
    Playbook,
    Task,
    find_task_file,
    first_found,
    include_vars_values,
    included_content,
    task_variables,
)
from deployctl.model.runvars import template_variables
from deployctl.model.undefinedloop import skips_undefined_loop
from deployctl.modules.base import Module
from deployctl.modules.params import validate_params
from deployctl.modules.registry import find_module
from deployctl.strategies.hostfacts import HostFacts, TaskVariables
from deployctl.templating import Templar, UndefinedVariableError

CONTROLLER_SOURCES = ("copy", "template", "unarchive")


class TaskError(DeployctlError):
    """A task failed on a host for a reason the user can read (bad value, missing file...)."""


@dataclass(frozen=True)
class TaskSwitches:
    """A task's bool keywords that Ansible templates (`become`, `ignore_errors`, `check_mode`), as they hold on one
    host."""

    become: bool
    ignore_errors: bool
    check: bool


class TaskRenderer:
    """Renders one host's tasks: its inventory and run variables, its gathered facts, and what its tasks defined."""

    def __init__(
        self,
        host: InventoryHost,
        playbook: Playbook,
        templar: Templar,
        run_vars: Mapping[str, Any],
        host_facts: HostFacts,
        modules: Mapping[str, Module] | None = None,
    ) -> None:
        self.host = host
        self.playbook = playbook
        self.templar = templar
        self.run_vars = run_vars
        self.host_facts = host_facts
        self.modules = modules

    def scope(self, play: Play, task: Task, variables: TaskVariables) -> dict[str, Any]:
        """Variables for a task with Ansible's precedence (see `task_variables`), include params on top."""
        scope = task_variables(
            play,
            task,
            self.host.vars,
            facts=self.host_facts.gathered,
            magic=self.run_vars,
            included=variables.included,
            host_facts=variables.registered,
        )
        return {**scope, **variables.params} if variables.params else scope

    def when(self, task: Task, scope: Mapping[str, Any]) -> bool:
        """Whether every `when` condition of the task holds."""
        return all(self.templar.evaluate(condition, scope) for condition in task.when)

    def switches(self, play: Play, task: Task, scope: Mapping[str, Any], check: bool) -> TaskSwitches:
        """The task's `become`, `ignore_errors` and `check_mode` on this host (`check`: the run's check mode)."""
        ignore_errors = self.flag(task.ignore_errors, "ignore_errors", scope)
        become = play.become if task.become is None else self.flag(task.become, "become", scope)
        return TaskSwitches(
            become=become,
            ignore_errors=ignore_errors,
            check=check if task.check_mode is None else self.flag(task.check_mode, "check_mode", scope),
        )

    def flag(self, value: bool | str, keyword: str, scope: Mapping[str, Any]) -> bool:
        """A bool keyword's value here: a template rendered, then read as Ansible reads a bool (or the task fails)."""
        if isinstance(value, bool):
            return value
        rendered = self.templar.render(value, scope)
        found = parse_bool(rendered)
        if found is None:
            raise TaskError(
                f"Error processing keyword {keyword!r}: The value {rendered!r} could not be converted to 'bool'."
            )
        return found

    def module(self, task: Task) -> Module:
        """The module a task runs."""
        module = find_module(task.module, self.modules)
        if module is None:  # the loader refuses unknown modules; this is a bug if it happens
            raise AssertionError(f"unknown module {task.module}")
        return module

    def params(self, task: Task, module: Module, scope: Mapping[str, Any], *, with_content: bool) -> dict[str, Any]:
        """The task's rendered, validated parameters; `with_content`, the copied or templated file's content too."""
        args = self.templar.render(dict(task.args), scope)
        params = validate_params(module, args)
        if module.name in CONTROLLER_SOURCES and params.get("src") and not _on_host(params):
            source = find_task_file(task, module.name, str(params["src"]), self.playbook.base_dir)
            if source is None:
                raise TaskError(f"{module.name} src {params['src']!r} not found")
            params["_src_name"] = Path(str(params["src"])).name
            if with_content:
                if module.name == "template":
                    dest = str(params["dest"]) if params.get("dest") is not None else None
                    variables = template_variables(str(params["src"]), source, dest, scope)
                    params["_content"] = self.templar.render_file(source, variables, self.playbook.display(source))
                else:
                    params["_content"] = source.read_bytes()
        return params

    def environment(self, task: Task, scope: Mapping[str, Any]) -> dict[str, str]:
        """The variables the task's commands run with (`environment:`, inner levels over outer), as text."""
        if not task.environment:
            return {}
        try:
            return merged_environment(task.environment, lambda layer: self.templar.render(layer, scope))
        except BadEnvironmentError as exc:
            raise TaskError(f"environment: {exc}") from None

    def loop_items(self, task: Task, scope: Mapping[str, Any]) -> list[Any] | None:
        """The items of the task's loop (`with_first_found`: the first file found); None when the loop reads an
        undefined variable and the task's `when` is false without the loop variable: the task is skipped here
        (deployctl.model.undefinedloop)."""
        try:
            rendered = self.templar.render(task.loop, scope)
        except UndefinedVariableError:
            if skips_undefined_loop(task, self.templar, scope):
                return None
            raise
        if task.loop_keyword != "with_first_found":
            return task.loop_items(rendered, self.playbook.base_dir)
        try:
            return list(first_found(task, task.loop_items(rendered), self.playbook.base_dir))
        except (LookupFailure, LookupUsageError) as exc:
            raise TaskError(str(exc)) from None

    def included(self, task: Task, scope: Mapping[str, Any]) -> Included:
        """The content an include_tasks or include_role picks for this host."""
        name = "" if task.module == "include_role" else str(self.templar.render(task.args.get("file", ""), scope))
        found = included_content(task, name, self.playbook.base_dir)
        if found is None:
            raise TaskError(f"include_tasks: no file {name!r} (among {', '.join(task.includes) or 'none'})")
        if found.problem is not None:
            raise TaskError(f"included content cannot run: {found.problem}")
        return found

    def vars_to_include(self, task: Task, scope: Mapping[str, Any]) -> tuple[Path, dict[str, Any]]:
        """The file an include_vars task loads for this host, and the variables it defines."""
        name = str(self.templar.render(task.args.get("file", ""), scope))
        path = find_task_file(task, task.module, name, self.playbook.base_dir) if name else None
        if path is None:
            raise TaskError(f"include_vars: no file {name!r}")
        values = include_vars_values(task, path, self.playbook.display(path))
        return path, ({str(task.args["name"]): dict(values)} if task.args.get("name") else dict(values))


def _on_host(params: Mapping[str, Any]) -> bool:
    """Whether `src` names a file on the host (unarchive's remote_src, or its older `copy: false`)."""
    return bool(params.get("remote_src")) or params.get("copy") is False
