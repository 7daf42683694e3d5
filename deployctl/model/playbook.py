"""Ansible playbooks as deployctl runs them: plays, blocks, tasks and roles, typed and frozen.

deployctl.model.loading builds them from YAML (checked at load time, every error with its file, line and
field); the strategies read them. Besides the types: a task's variables with Ansible's precedence
(`task_variables`), and where a task's controller files, included files and include_vars files are found.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployctl.errors import InputError
from deployctl.lookups import LOOKUP_SITE_VAR, LookupSite
from deployctl.lookups import first_found as first_found_lookup
from deployctl.model.inventory import Origin
from deployctl.model.loops import LoopError, loop_terms, with_items
from deployctl.templating import Templar
from deployctl.yamlsource import LocatedMap, load_yaml_file


@dataclass(frozen=True)
class ActionSpec:
    """A controller-side action (set_fact, include_tasks...): its free-form parameter and its parameters.

    `any_keys`: every argument is a variable name (set_fact).
    """

    free_form: str | None
    params: tuple[str, ...]
    required: tuple[str, ...] = ()
    any_keys: bool = False


ACTIONS: Mapping[str, ActionSpec] = {
    "set_fact": ActionSpec(None, ("cacheable",), any_keys=True),
    "include_vars": ActionSpec("file", ("file", "name")),
    "include_tasks": ActionSpec("file", ("file", "apply"), ("file",)),
    "include_role": ActionSpec(
        None, ("name", "tasks_from", "vars_from", "defaults_from", "handlers_from", "public", "apply"), ("name",)
    ),
    "debug": ActionSpec(None, ("msg", "var", "verbosity")),
    "fail": ActionSpec(None, ("msg",)),
    "assert": ActionSpec(None, ("that", "fail_msg", "msg", "success_msg", "quiet"), ("that",)),
    "meta": ActionSpec("free_form", ("free_form",), ("free_form",)),
}
"""Actions the run performs on the controller (no module, no host change)."""
FIRST_FOUND_DIRS = {"include_vars": "vars", "include_tasks": "tasks", "copy": "files", "template": "templates"}


@dataclass(frozen=True)
class RoleScope:
    """The role a task comes from: its name, folder, and variables at their Ansible precedence.

    `defaults` and `vars` hold its dependencies' then its own (its own win); `params` are the
    role entry's `vars` and extra keys (or include_role's `vars`), above everything but extra vars.
    """

    name: str
    path: Path
    defaults: Mapping[str, Any]
    vars: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)

    def magic_variables(self) -> dict[str, str]:
        """Ansible's variables about the role: its name (`ansible_role_name` too: no collection prefix for a
        role folder) and its folder's absolute path, `..` folded."""
        path = os.path.normpath(self.path.absolute())
        return {"role_name": self.name, "ansible_role_name": self.name, "role_path": path}


@dataclass(frozen=True)
class Task:
    """One task (or handler): its module and raw arguments, and the keywords deployctl honours.

    `args` are as written (possibly templated), with aliases resolved to parameter names and inline
    `key=value` strings parsed; `arg_lines` and `keyword_lines` give the line of each argument and
    keyword. `when`, `changed_when` and `failed_when` are bare Jinja expressions. `tags` are the
    task's own followed by those inherited from its play. `become`/`become_user` None inherit the play's.
    `no_log`, `diff`, `become`, `ignore_errors` and `check_mode` (inherited from the play and blocks) are bools,
    or a template giving one per host (rendered at run time, as Ansible templates these keywords).
    """

    name: str
    module: str
    args: Mapping[str, Any]
    when: tuple[str, ...]
    loop: Any | None
    loop_keyword: str | None
    loop_var: str
    register: str | None
    notify: tuple[str, ...]
    listen: tuple[str, ...]
    tags: tuple[str, ...]
    become: bool | str | None
    become_user: str | None
    changed_when: tuple[str, ...] | None
    failed_when: tuple[str, ...] | None
    ignore_errors: bool | str
    vars: Mapping[str, Any]
    origin: Origin
    arg_lines: Mapping[str, int]
    keyword_lines: Mapping[str, int]
    role: RoleScope | None = None
    file_dirs: tuple[Path, ...] = ()
    check_mode: bool | str | None = None
    delegate_to: str | None = None
    includes: Mapping[str, Included] = field(default_factory=dict)
    var_files: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    index_var: str | None = None
    no_log: bool | str = False
    diff: bool | str = True
    timeout: int | None = None
    """Ansible's `timeout:`: seconds the task's commands may take together, instead of ssh.command_timeout."""
    environment: tuple[Any, ...] = ()
    """`environment:` layers, outermost (play) first: mappings or templates giving one (deployctl.model.environment)."""
    run_once: bool = False
    """Run on the first host of the batch only; its result and registered value are every host's."""
    unsupported: tuple[InputError, ...] = ()
    """Why deployctl cannot run the task (a module, parameter or keyword it does not support): loading goes
    on, and a host that reaches the task fails with these problems."""

    @property
    def unsupported_message(self) -> str:
        """The problems of an unsupported task, as a host that reaches it reports them."""
        return "; ".join(str(problem) for problem in self.unsupported)

    @property
    def lookup_site(self) -> LookupSite:
        """Where this task's lookups and files are found: its folders, and its kind's subfolder (`vars/`...)."""
        return LookupSite(self.file_dirs, FIRST_FOUND_DIRS.get(self.module, "files"))

    @property
    def is_action(self) -> bool:
        """Whether the task is a controller-side action (set_fact, include_tasks...) rather than a module."""
        return self.module in ACTIONS

    def line_of(self, keyword: str) -> int:
        """The line of a keyword (`when`, `loop`...) or argument, else the task's own line."""
        return self.keyword_lines.get(keyword, self.arg_lines.get(keyword, self.origin.line))

    def loop_items(self, rendered: Any, base_dir: Path | None = None) -> list[Any]:
        """The items of a rendered `loop` (must be a list) or `with_<lookup>` (shaped as that lookup does)."""
        keyword = self.loop_keyword or "loop"
        if self.loop_keyword == "with_first_found":
            return loop_terms(rendered)
        if self.loop_keyword not in (None, "loop"):
            site = LookupSite(self.file_dirs or ((base_dir,) if base_dir else ()), "files")
            try:
                return with_items(self.loop_keyword, rendered, site)
            except LoopError as exc:
                raise InputError(self.origin.source, self.line_of(keyword), keyword, str(exc)) from None
        if not isinstance(rendered, list | tuple):
            raise InputError(
                self.origin.source,
                self.line_of(keyword),
                keyword,
                f"must be a list, got {type(rendered).__name__} {rendered!r}",
            )
        return list(rendered)


@dataclass(frozen=True)
class Block:
    """A `block` with its `rescue` and `always` parts; its keywords are already passed down to its tasks."""

    name: str
    block: tuple[Step, ...]
    rescue: tuple[Step, ...]
    always: tuple[Step, ...]
    origin: Origin


Step = Task | Block


@dataclass(frozen=True)
class Included:
    """One candidate of a dynamic include: its steps and handlers, or why it cannot run."""

    steps: tuple[Step, ...] = ()
    handlers: tuple[Task, ...] = ()
    problem: InputError | None = None


def leaf_tasks(steps: Sequence[Step]) -> list[Task]:
    """The tasks of steps, blocks opened (block, rescue, always), in order."""
    found: list[Task] = []
    for step in steps:
        if isinstance(step, Block):
            found.extend(leaf_tasks((*step.block, *step.rescue, *step.always)))
        else:
            found.append(step)
    return found


def task_variables(
    play: Play,
    task: Task,
    inventory: Mapping[str, Any],
    *,
    facts: Mapping[str, Any] | None = None,
    magic: Mapping[str, Any] | None = None,
    included: Mapping[str, Any] | None = None,
    host_facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A task's variables with Ansible's precedence, lowest first.

    Role defaults (the play's roles, then the task's own role), inventory, gathered facts, magic
    variables, play vars and vars_files, role vars (the play's, then the task's role), block and task
    vars, include_vars, set_fact and registered results, role params. The task's LookupSite rides along
    (under a name no content uses) so that its lookups find files as Ansible does.
    """
    role = task.role
    return {
        LOOKUP_SITE_VAR: task.lookup_site,
        **play.role_defaults,
        **(role.defaults if role else {}),
        **inventory,
        **(facts or {}),
        **(magic or {}),
        **play.vars,
        **play.role_vars,
        **(role.vars if role else {}),
        **task.vars,
        **(included or {}),
        **(host_facts or {}),
        **(role.params if role else {}),
        **(role.magic_variables() if role else {}),
    }


@dataclass(frozen=True)
class Play:
    """One play: its hosts pattern, variables, rollout settings, task sections and handlers.

    `vars` holds the play's `vars` then each `vars_files` file in order (files win, as in Ansible);
    `var_origins` says where each came from. Ansible runs `pre_tasks`, `tasks` and `post_tasks` in
    that order and flushes notified handlers after each section. `serial` is empty for "all hosts
    at once", else batch sizes (numbers or "30%" strings), the last one repeating.
    `pre_tasks`, `tasks` (the roles' first) and `post_tasks` hold every task with blocks opened;
    `steps` the same sections with their blocks. `handlers` include the roles'. `role_defaults` and
    `role_vars` are those of every role the play imports, visible to all its tasks as in Ansible.
    """

    name: str
    hosts: str
    vars: Mapping[str, Any]
    var_origins: Mapping[str, Origin]
    become: bool
    become_user: str | None
    serial: tuple[int | str, ...]
    max_fail_percentage: float | None
    pre_tasks: tuple[Task, ...]
    tasks: tuple[Task, ...]
    post_tasks: tuple[Task, ...]
    handlers: tuple[Task, ...]
    tags: tuple[str, ...]
    gather_facts: bool
    origin: Origin
    keyword_lines: Mapping[str, int]
    steps: Mapping[str, tuple[Step, ...]] = field(default_factory=dict)
    role_defaults: Mapping[str, Any] = field(default_factory=dict)
    role_vars: Mapping[str, Any] = field(default_factory=dict)

    def section_steps(self) -> tuple[tuple[str, tuple[Step, ...]], ...]:
        """The sections' steps (tasks and blocks) in run order."""
        return tuple((name, self.steps.get(name, tasks)) for name, tasks in self.sections())

    def sections(self) -> tuple[tuple[str, tuple[Task, ...]], ...]:
        """The task sections in run order (handlers are flushed after each)."""
        return (("pre_tasks", self.pre_tasks), ("tasks", self.tasks), ("post_tasks", self.post_tasks))

    def all_tasks(self) -> tuple[Task, ...]:
        """Every task in run order, then the handlers."""
        return (*self.pre_tasks, *self.tasks, *self.post_tasks, *self.handlers)


@dataclass(frozen=True)
class ContentUse:
    """A file or folder the playbook's content reads (a vars file, a role, a `src`), and where it names it."""

    path: Path
    source: str
    line: int | None
    field: str


@dataclass(frozen=True)
class Playbook:
    """A playbook file: where it is, the name errors show for it, its folder, its plays and the files they use."""

    path: Path
    source: str
    base_dir: Path
    plays: tuple[Play, ...]
    uses: tuple[ContentUse, ...] = ()

    def display(self, path: Path) -> str:
        """How errors show a file of the playbook's folder: beside the playbook's display name."""
        return display_path(path, self.base_dir, self.source)

    def templar(self) -> Templar:
        """A Templar whose includes resolve like Ansible's: `templates/`, then the playbook's folder."""
        return Templar([self.base_dir / "templates", self.base_dir], LookupSite((self.base_dir,)))


def display_path(path: Path, base_dir: Path, source: str) -> str:
    """How errors name a file of the playbook's folder: beside `source` as the user wrote it, else in full."""
    try:
        return str(Path(source).parent / path.relative_to(base_dir))
    except ValueError:
        return str(path)


CONTROLLER_FILE_DIRS = {"copy": "files", "template": "templates"}


def controller_file_candidates(base_dir: Path, module: str, name: str) -> list[Path]:
    """Where Ansible looks for a `copy`/`template` src: `files/` or `templates/`, then the playbook's folder."""
    path = Path(name)
    if path.is_absolute():
        return [path]
    return [base_dir / CONTROLLER_FILE_DIRS.get(module, "files") / path, base_dir / path]


def find_controller_file(base_dir: Path, module: str, name: str) -> Path | None:
    """The first existing candidate for a `copy`/`template` src, or None."""
    return next((path for path in controller_file_candidates(base_dir, module, name) if path.exists()), None)


def task_file_candidates(task: Task, kind: str, name: str, base_dir: Path) -> list[Path]:
    """Where a task's file is looked for: `<dir>/<kind>/name` then `<dir>/name` for each of its file dirs."""
    return LookupSite(task.file_dirs or (base_dir,)).candidates(name, kind)


def find_task_file(task: Task, module: str, name: str, base_dir: Path) -> Path | None:
    """The `copy`/`template` src (or include file) of a task: the role's folder first, then the playbook's."""
    kind = FIRST_FOUND_DIRS.get(module, CONTROLLER_FILE_DIRS.get(module, "files"))
    return next((path for path in task_file_candidates(task, kind, name, base_dir) if path.is_file()), None)


def included_content(task: Task, file_name: str, base_dir: Path) -> Included | None:
    """What an `include_role` (by its name) or `include_tasks` (by its rendered file name) brings, if loaded."""
    if task.module == "include_role":
        return task.includes[str(task.args["name"])]
    path = find_task_file(task, task.module, file_name, base_dir)
    return task.includes.get(str(path)) if path is not None else None


def first_found(task: Task, items: Sequence[Any], base_dir: Path) -> list[str]:
    """The first existing file among `with_first_found` items, with the first_found lookup's resolver.

    Returns the found path, or nothing with `skip: true`; else raises LookupFailure.
    """
    site = task.lookup_site if task.file_dirs else LookupSite((base_dir,), task.lookup_site.kind)
    return first_found_lookup(site, items)


def include_vars_values(task: Task, path: Path, display: str) -> dict[str, Any]:
    """The variables include_vars loads from `path`: as the load validated them, else read now (a file
    the load could not foresee, found by a lookup or in a templated folder)."""
    values = task.var_files.get(str(path))
    if values is not None:
        return dict(values)
    content = load_yaml_file(path, display)
    if content is not None and not isinstance(content, LocatedMap):
        raise InputError(display, getattr(content, "line", 1), None, "a vars file must be a mapping of variables")
    return dict(plain_data(content or {}))


def plain_data(value: Any) -> Any:
    """YAML data without its line bookkeeping: plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    return value


class UnsupportedContentError(InputError):
    """Content that deployctl cannot run: the first problem, and every problem found in the whole tree."""

    def __init__(self, problems: Sequence[InputError]) -> None:
        first = problems[0]
        super().__init__(first.source, first.line, first.field, first.problem)
        self.problems = tuple(problems)
        if len(problems) > 1:
            rest = "\n".join(f"  {problem}" for problem in problems[1:])
            self.message = f"{self.message}\n{len(problems) - 1} more problem(s) in this content:\n{rest}"

    def __str__(self) -> str:
        return self.message
