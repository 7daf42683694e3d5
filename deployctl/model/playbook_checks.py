"""The host-time check of a playbook: render everything for every host before any host is contacted.

For each play and each of its hosts, the variables are the host's inventory variables, then the
play's (then the task's). Every task's conditions, loop, arguments and template file are rendered
with strict undefined variables, so a missing variable is reported with its file, line and field
before the run starts. What only the run can know is skipped: values that read a name in
`runtime_names`, a registered result, a loop variable whose loop is not yet known, an `ansible_*`
fact or one of Ansible's magic variables about the whole run (`hostvars`, `groups`...).
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from deployctl.errors import InputError
from deployctl.model.loading.actions import template_problem
from deployctl.model.loading.steps import TEMPLATED_PART
from deployctl.model.playbook import (
    CONTROLLER_FILE_DIRS,
    Play,
    Playbook,
    Task,
    UnsupportedContentError,
    find_task_file,
    leaf_tasks,
    task_file_candidates,
    task_variables,
)
from deployctl.model.runvars import magic_variables
from deployctl.model.setfact import templated_names
from deployctl.model.undefinedloop import skips_undefined_loop
from deployctl.model.unsupported import UnsupportedTask, play_unsupported
from deployctl.modules.base import Module
from deployctl.modules.params import ParamError, validate_params
from deployctl.modules.registry import find_module
from deployctl.templating import OMIT, Templar, TemplateError, UndefinedVariableError, is_templated

RUNTIME_MAGIC_NAMES = frozenset(
    {"hostvars", "groups", "group_names", "play_hosts", "inventory_dir", "inventory_file", "role_path"}
)
"""Ansible's magic variables that only the run provides; values reading them are not checked here."""

RUNTIME_PREFIX = "ansible_"
_AT_RUNTIME = object()
"""What `_HostCheck.render` gives for a value only the run can render."""


def check_playbook(
    playbook: Playbook,
    templar: Templar,
    host_vars: Mapping[str, Mapping[str, Any]],
    runtime_names: Collection[str],
    *,
    select: Callable[[str], Iterable[str]] | None = None,
    modules: Mapping[str, Module] | None = None,
) -> None:
    """Render every task of every play for each of its hosts; the first failure raises InputError.

    `host_vars` maps each host to its merged inventory variables; `select(pattern)` gives the hosts a
    play's pattern targets (all of `host_vars` when None). Rendered arguments are validated against
    their module (`modules`, else the registry), partially when some could not be rendered yet. An
    unsupported task that every targeted host certainly reaches refuses the run (UnsupportedContentError),
    as does one whose `when` conditions hold for a targeted host with what is known before the run (the
    host's and the play's variables: no facts, no registered results).
    """
    known = frozenset(runtime_names) | run_defined_names(playbook, modules) | RUNTIME_MAGIC_NAMES
    lenient = run_defines_unknown_names(playbook)
    for play in playbook.plays:
        targets = list(host_vars) if select is None else [host for host in select(play.hosts) if host in host_vars]
        found = list(play_unsupported(play))
        certain = [problem for use in found if use.certain for problem in use.task.unsupported]
        if targets and certain:
            raise UnsupportedContentError(certain)
        checks = [
            _HostCheck(
                playbook, templar, host, {**host_vars[host], **magic_variables(host, playbook)}, known, modules, lenient
            )
            for host in targets
        ]
        conditional = [use for use in found if use.only_when]
        reached = [problem for check in checks for use in conditional for problem in check.reached(play, use)]
        if reached:
            raise UnsupportedContentError(reached)
        for check in checks:
            check.play(play)


def content_problems(playbook: Playbook, templar: Templar) -> list[InputError]:
    """The checks that need no host, every problem listed: what the run evaluates as written (debug's `var`),
    and each template a templated `src` may pick (its syntax, filters, tests and lookups)."""
    problems: list[InputError] = []
    for task in _every_task(playbook):
        if task.unsupported:
            continue
        if task.module == "debug" and "var" in task.args:
            try:
                check_expression(templar, task, "var", str(task.args["var"]))
            except InputError as exc:
                problems.append(exc)
        for path in template_candidates(task, playbook.base_dir):
            try:
                check_template_file(templar, task, path, playbook.display(path))
            except InputError as exc:
                problems.append(exc)
    return problems


def template_candidates(task: Task, base_dir: Path) -> list[Path]:
    """The files a `template` task whose `src` is templated may render: the templated parts matching anything."""
    src = task.args.get("src")
    if task.module != "template" or not isinstance(src, str) or not is_templated(src):
        return []
    if task.loop_keyword == "with_first_found":
        return []  # the loader checked each file the run may pick
    pattern = TEMPLATED_PART.sub("*", src)
    folders = task_file_candidates(task, CONTROLLER_FILE_DIRS["template"], pattern, base_dir)
    if not Path(pattern).is_absolute():  # a wildcard only searches the templates folders
        folders = [folder / CONTROLLER_FILE_DIRS["template"] / pattern for folder in task.file_dirs or (base_dir,)]
    found: list[Path] = []
    for candidate in folders:
        for match in sorted(glob.glob(str(candidate))):  # noqa: PTH207 (the wildcard may be in any part)
            path = Path(match)
            if path.is_file() and path not in found:
                found.append(path)
    return found


def check_expression(templar: Templar, task: Task, name: str, expression: str) -> None:
    """A bare expression the run evaluates (debug's `var`): its syntax and the sandbox's rules, now."""
    try:
        templar.check_condition_syntax(expression)
    except TemplateError as exc:
        raise InputError(task.origin.source, task.line_of(name), f"{task.module}.{name}", exc.problem) from None


def check_template_file(templar: Templar, task: Task, path: Path, shown: str) -> None:
    """A template file's syntax, filters, tests and lookups, reported at its own line for the task that uses it."""
    try:
        templar.check_file_syntax(path, shown)
    except TemplateError as exc:
        raise template_problem(exc, task, shown) from None


def _every_task(playbook: Playbook) -> Iterator[Task]:
    """Every task of a playbook, with those of every loaded include candidate."""
    for play in playbook.plays:
        pending = list(play.all_tasks())
        while pending:
            task = pending.pop(0)
            yield task
            for included in task.includes.values():
                pending.extend([*leaf_tasks(included.steps), *included.handlers])


def run_defined_names(playbook: Playbook, modules: Mapping[str, Module] | None = None) -> frozenset[str]:
    """Variables only the run defines: registered results, set_fact keys, include_vars files' variables, the
    facts modules set (getent_passwd...)."""
    names: set[str] = set()
    for task in _every_task(playbook):
        if task.register:
            names.add(task.register)
        if task.module == "set_fact":
            names.update(name for name in task.args if not is_templated(name))
        if task.module == "include_vars":
            names.update([str(task.args["name"])] if task.args.get("name") else [])
            names.update(name for values in task.var_files.values() for name in values)
        module = None if task.is_action else find_module(task.module, modules)
        if module is not None and module.defines is not None:
            names.update(module.defines(task.args))
    return frozenset(names)


def run_defines_unknown_names(playbook: Playbook) -> bool:
    """Whether the run may define variables no one can name before it: a set_fact whose names are templates
    (`"{{ item.key }}": ...`). A value that reads an undefined variable is then left to the run."""
    return any(task.module == "set_fact" and templated_names(task.args) for task in _every_task(playbook))


class _HostCheck:
    """Checks one play for one host."""

    def __init__(
        self,
        playbook: Playbook,
        templar: Templar,
        host: str,
        variables: Mapping[str, Any],
        known: frozenset[str],
        modules: Mapping[str, Module] | None,
        lenient: bool = False,
    ) -> None:
        self.playbook = playbook
        self.lenient = lenient  # the run may define names unknown now: an undefined one is left to the run
        self.templar = templar
        self.host = host
        self.variables = variables
        self.known = known
        self.modules = modules
        self.context = f"host {host}"

    def play(self, play: Play) -> None:
        self.current = play
        if play.become_user is not None:
            line = play.keyword_lines.get("become_user", play.origin.line)
            variables = {**play.role_defaults, **self.variables, **play.vars, **play.role_vars}
            self.render(play.become_user, variables, self.known, (play.origin.source, line, "become_user"))
        for task in play.all_tasks():
            self.task(task)

    def reached(self, play: Play, use: UnsupportedTask) -> list[InputError]:
        """The problems of an unsupported task this host reaches: its `when` conditions hold with what is known now."""
        task = use.task
        if task.loop is not None:
            return []  # its conditions are evaluated for each item
        variables = task_variables(play, task, self.variables)
        for condition in use.when:
            if self.at_runtime(condition, variables, self.known, condition=True):
                return []
            try:
                if not self.templar.evaluate(condition, variables):
                    return []
            except TemplateError:
                return []  # the run reports it where the task is
        holds = " and ".join(use.when)
        return [
            InputError(problem.source, problem.line, problem.field, f"{problem.problem} (host {self.host}: {holds})")
            for problem in task.unsupported
        ]

    def at_runtime(
        self, value: Any, variables: Mapping[str, Any], known: frozenset[str], *, condition: bool = False
    ) -> bool:
        """Whether a value reads something only the run knows (directly or through other variables)."""
        try:
            if condition:
                names = self.templar.condition_names(value, variables)
            else:
                names = self.templar.referenced_names(value, variables)
        except TemplateError:
            return False  # rendering it reports the problem with its place
        return any(
            name in known or name.startswith(RUNTIME_PREFIX) or (self.lenient and name not in variables)
            for name in names
        )

    def fail(self, where: tuple[str, int, str | None], problem: str) -> InputError:
        source, line, field = where
        return InputError(source, line, field, f"{problem} ({self.context})")

    def render(
        self, value: Any, variables: Mapping[str, Any], known: frozenset[str], where: tuple[str, int, str]
    ) -> Any:
        if self.at_runtime(value, variables, known):
            return _AT_RUNTIME
        try:
            return self.templar.render(value, variables)
        except TemplateError as exc:
            raise self.fail(where, exc.problem) from None

    def task(self, task: Task) -> None:
        if task.unsupported:
            return  # it fails on a host that reaches it; one every host reaches was refused before
        variables = task_variables(self.current, task, self.variables)
        source = task.origin.source
        if task.become_user is not None:
            self.render(task.become_user, variables, self.known, (source, task.line_of("become_user"), "become_user"))
        if task.loop is None:
            self.body(task, variables, self.known)
            return
        keyword = task.loop_keyword or "loop"
        with_loop_var = self.known | {task.loop_var}
        try:
            rendered = self.render(task.loop, variables, self.known, (source, task.line_of(keyword), keyword))
        except InputError:
            if self.skips_undefined_loop(task, variables):
                return
            raise
        if rendered is _AT_RUNTIME:
            self.body(task, variables, with_loop_var)
            return
        try:
            items = task.loop_items(rendered)
        except InputError as exc:
            raise self.fail((source, task.line_of(keyword), keyword), exc.problem) from None
        for item in items:
            shown = repr(item)
            self.context = f"host {self.host}, {task.loop_var}={shown if len(shown) <= 60 else shown[:57] + '...'}"
            self.body(task, {**variables, task.loop_var: item}, self.known)
        self.context = f"host {self.host}"

    def skips_undefined_loop(self, task: Task, variables: Mapping[str, Any]) -> bool:
        """Whether a loop that failed to render reads an undefined variable and the task's `when` is false, or known
        only to the run: the run decides (deployctl.model.undefinedloop)."""
        try:
            self.templar.render(task.loop, variables)
        except UndefinedVariableError:
            if any(self.at_runtime(condition, variables, self.known, condition=True) for condition in task.when):
                return True
            return skips_undefined_loop(task, self.templar, variables)
        except TemplateError:
            return False
        return False

    def conditions(self, task: Task, keyword: str, variables: Mapping[str, Any], known: frozenset[str]) -> bool:
        """False when a condition known now is false (the task is skipped on this host)."""
        conditions = getattr(task, keyword) or ()
        result = True
        for condition in conditions:
            if self.at_runtime(condition, variables, known, condition=True):
                continue
            try:
                result = self.templar.evaluate(condition, variables) and result
            except TemplateError as exc:
                raise self.fail((task.origin.source, task.line_of(keyword), keyword), exc.problem) from None
            if not result and keyword == "when":
                return False
        return result

    def body(self, task: Task, variables: Mapping[str, Any], known: frozenset[str]) -> None:
        if not self.conditions(task, "when", variables, known):
            return
        if task.module == "debug" and "var" in task.args:
            try:
                check_expression(self.templar, task, "var", str(task.args["var"]))
            except InputError as exc:
                raise self.fail((exc.source, exc.line or task.origin.line, exc.field), exc.problem) from None
        if task.is_action or task.loop_keyword == "with_first_found":
            return  # rendered by the run (set_fact, include_vars... and first_found choices)
        source = task.origin.source
        args: dict[str, Any] = {}
        partial = False
        for name, value in task.args.items():
            rendered = self.render(value, variables, known, (source, task.line_of(name), f"{task.module}.{name}"))
            if rendered is _AT_RUNTIME:
                partial = True
                args[name] = value  # validated as a template, its type is checked when the run renders it
            elif not (isinstance(rendered, str) and rendered == OMIT):
                args[name] = rendered
        self.conditions(task, "changed_when", variables, known)
        self.conditions(task, "failed_when", variables, known)
        module = find_module(task.module, self.modules)
        if module is not None:
            try:
                validate_params(module, args, partial=partial)
            except ParamError as exc:
                where = (source, task.line_of(exc.field), f"{task.module}.{exc.field}")
                raise self.fail(where, exc.problem) from None
        self.controller_file(task, args, variables, known)

    def controller_file(
        self, task: Task, args: Mapping[str, Any], variables: Mapping[str, Any], known: frozenset[str]
    ) -> None:
        """The `copy`/`template` source must exist; a template file must render for this host."""
        src = args.get("src")
        if task.module not in CONTROLLER_FILE_DIRS or not isinstance(src, str) or is_templated(src):
            return
        base_dir = self.playbook.base_dir
        path = find_task_file(task, task.module, src, base_dir)
        if path is None:
            searched = ", ".join(
                self.playbook.display(p)
                for p in task_file_candidates(task, CONTROLLER_FILE_DIRS[task.module], src, base_dir)
            )
            where = (task.origin.source, task.line_of("src"), f"{task.module}.src")
            raise self.fail(where, f"file not found: {src!r} (searched {searched})")
        if task.module != "template":
            return
        shown = self.playbook.display(path)
        if is_templated(task.args.get("src")):  # the loader checked a `src` written out
            try:
                check_template_file(self.templar, task, path, shown)
            except InputError as exc:
                raise InputError(exc.source, exc.line, None, f"{exc.problem}, {self.context}") from None
        if self.at_runtime(path, variables, known):
            return
        try:
            self.templar.render_file(path, variables, shown)
        except TemplateError as exc:
            problem = f"{exc.problem} (task {task.name!r} at {task.origin}, {self.context})"
            raise InputError(exc.template or shown, exc.line, None, problem) from None
