"""Loading a playbook: its YAML checked and expanded into the typed model of deployctl.model.playbook.

deployctl supports a subset of Ansible's keywords; any other keyword or module is refused by name,
never ignored, and every such problem in the content (plays, roles, included files) is listed at
once. What can be checked without a host is checked here: keywords, modules and their parameters
(templated values are checked per host by `playbook_checks.check_playbook`), handlers named by
`notify`, Jinja syntax, vars_files, and the controller files that `copy` and `template` read.

Static constructs are expanded here, as Ansible's parser does: `roles:` and `import_role` (with
their meta dependencies, defaults, vars and handlers), `import_tasks`, `import_playbook`, and the
keywords a `block` passes down to its tasks. Dynamic ones stay tasks that the run resolves:
`include_tasks`, `include_role` and `include_vars` (their candidate files, found by turning the
templated parts of the name into wildcards, are loaded and validated now), `set_fact`, `debug`,
`fail`, `assert` and `meta`.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from deployctl.booleans import parse_bool
from deployctl.errors import InputError
from deployctl.lookups import LookupSite, split_names
from deployctl.model.environment import BadEnvironmentError, environment_layers
from deployctl.model.inventory import Origin
from deployctl.model.loops import WITH_LOOPS
from deployctl.model.playbook import (
    ACTIONS,
    CONTROLLER_FILE_DIRS,
    ActionSpec,
    Block,
    ContentUse,
    Included,
    Play,
    Playbook,
    RoleScope,
    Step,
    Task,
    UnsupportedContentError,
    display_path,
    find_task_file,
    leaf_tasks,
    plain_data,
    task_file_candidates,
)
from deployctl.model.project import project_roles_path
from deployctl.model.roles import RoleFolder, find_role, role_search_dirs
from deployctl.model.taskargs import parse_inline_args
from deployctl.modules.base import Module
from deployctl.modules.params import ParamError, validate_params
from deployctl.modules.registry import canonical_name, find_module
from deployctl.templating import Templar, TemplateError, UnsupportedLookupError, is_templated
from deployctl.yamlsource import LocatedList, LocatedMap, load_yaml_file

PLAY_KEYWORDS = (
    "name",
    "hosts",
    "vars",
    "vars_files",
    "become",
    "become_user",
    "serial",
    "max_fail_percentage",
    "gather_facts",
    "tags",
    "roles",
    "pre_tasks",
    "tasks",
    "post_tasks",
    "handlers",
    "no_log",
    "diff",
    "environment",
    "run_once",
)
TASK_KEYWORDS = (
    "name",
    "args",
    "when",
    "loop",
    *WITH_LOOPS,
    "loop_control",
    "register",
    "notify",
    "tags",
    "become",
    "become_user",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "check_mode",
    "delegate_to",
    "vars",
    "no_log",
    "diff",
    "timeout",
    "environment",
    "run_once",
)
HANDLER_KEYWORDS = (*TASK_KEYWORDS, "listen")
BLOCK_KEYWORDS = (
    "name",
    "block",
    "rescue",
    "always",
    "when",
    "tags",
    "become",
    "become_user",
    "ignore_errors",
    "check_mode",
    "delegate_to",
    "vars",
    "no_log",
    "diff",
    "environment",
    "run_once",
)
INCLUDE_KEYWORDS = (
    "name",
    "args",
    "when",
    "loop",
    *WITH_LOOPS,
    "loop_control",
    "register",
    "tags",
    "vars",
    "no_log",
    "ignore_errors",
    "timeout",
)
"""The task keywords ansible-core takes on include_tasks / include_role (`apply` gives the others to their tasks)."""
APPLY_KEYWORDS = tuple(word for word in BLOCK_KEYWORDS if word not in ("name", "block", "rescue", "always"))
ROLE_ENTRY_KEYWORDS = ("role", "name", "vars", "tags", "when", "become", "become_user", "environment", "run_once")
LOOP_KEYWORDS = ("loop", *WITH_LOOPS)
LOOP_CONTROL_KEYS = ("loop_var", "label", "index_var", "pause")
SECTIONS = ("pre_tasks", "tasks", "post_tasks")
LOCAL_HOSTS = ("localhost", "127.0.0.1")
"""What `delegate_to` may name: the machine deployctl runs on."""


STATIC_IMPORTS: Mapping[str, ActionSpec] = {
    "import_tasks": ActionSpec("file", ("file",), ("file",)),
    "import_role": ActionSpec(None, ("name", "tasks_from", "vars_from", "defaults_from", "handlers_from"), ("name",)),
}
META_ACTIONS = ("flush_handlers", "noop", "end_host")
ANSIBLE_PLAY_KEYWORDS = frozenset(
    {
        "any_errors_fatal",
        "become_exe",
        "become_flags",
        "become_method",
        "check_mode",
        "collections",
        "connection",
        "debugger",
        "diff",
        "environment",
        "fact_path",
        "force_handlers",
        "gather_subset",
        "gather_timeout",
        "ignore_errors",
        "ignore_unreachable",
        "module_defaults",
        "no_log",
        "order",
        "port",
        "remote_user",
        "run_once",
        "strategy",
        "throttle",
        "timeout",
        "vars_prompt",
    }
)
ANSIBLE_TASK_KEYWORDS = frozenset(
    {
        "action",
        "any_errors_fatal",
        "async",
        "become_exe",
        "become_flags",
        "become_method",
        "collections",
        "connection",
        "debugger",
        "delay",
        "delegate_facts",
        "diff",
        "environment",
        "ignore_unreachable",
        "listen",
        "local_action",
        "module_defaults",
        "no_log",
        "poll",
        "port",
        "remote_user",
        "rescue",
        "always",
        "retries",
        "run_once",
        "throttle",
        "timeout",
        "until",
        "include",
    }
)


def _short(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return " ".join(f"{key}={item}" for key, item in value.items() if not isinstance(item, Mapping | list))
    return ""


def default_task_name(module: str, args: Mapping[str, Any], free_form: str | None) -> str:
    """`<module> <short args>` for a task without a name, at most 60 characters."""
    shown = _short(args[free_form]) if free_form and free_form in args else _short(args)
    name = f"{module} {shown}".strip()
    return name if len(name) <= 60 else name[:57] + "..."


@dataclass(frozen=True)
class _Inherit:
    """What a task takes from the play, blocks, imports and role entries around it."""

    tags: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    become: bool | None = None
    become_user: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    ignore_errors: bool | None = None
    check_mode: bool | None = None
    delegate_to: str | None = None
    no_log: bool | str = False
    diff: bool | str = True
    environment: tuple[Any, ...] = ()
    run_once: bool = False
    role: RoleScope | None = None
    role_folder: RoleFolder | None = None
    chain: tuple[Path, ...] = ()


@dataclass
class _Shared:
    """State of one playbook's load, shared by the loaders of every file it reaches."""

    modules: Mapping[str, Module] | None
    playbook_source: str
    base_dir: Path
    roles_path: tuple[Path, ...]
    problems: list[InputError] = field(default_factory=list)
    role_handlers: list[Task] = field(default_factory=list)
    play_roles: list[RoleScope] = field(default_factory=list)
    roles_run: set[tuple[Path, str]] = field(default_factory=set)
    templar: Templar | None = None
    uses: list[ContentUse] = field(default_factory=list)


_TEMPLATED = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
MAX_INCLUDE_DEPTH = 20


class _PlaybookLoader:
    """Parses one file of a playbook's content; each method raises InputError with the file, line and field."""

    def __init__(self, path: Path, source: str, shared: _Shared) -> None:
        self.path = path
        self.source = source
        self.shared = shared
        self.base_dir = shared.base_dir
        self.modules = shared.modules
        if shared.templar is None:
            shared.templar = Templar([self.base_dir / "templates", self.base_dir], LookupSite((self.base_dir,)))
        self.templar = shared.templar

    def child(self, path: Path) -> _PlaybookLoader:
        """A loader for another file of the same content (a role's, an included one)."""
        return _PlaybookLoader(path, display_path(path, self.base_dir, self.shared.playbook_source), self.shared)

    def error(self, line: int | None, field: str | None, problem: str) -> InputError:
        return InputError(self.source, line, field, problem)

    def use(self, path: Path, line: int | None, field: str) -> None:
        """Note a file or folder the content reads (a release takes it in), and where it names it."""
        self.shared.uses.append(ContentUse(path, self.source, line, field))

    def unsupported(self, line: int | None, field: str, problem: str) -> None:
        """Record an unsupported keyword or module; loading goes on so that every one is listed."""
        self.shared.problems.append(self.error(line, field, problem))

    # --- shared value checks --------------------------------------------------------------------

    def jinja(self, value: Any, line: int, field: str) -> None:
        """Compile every string in a value, reporting a syntax error at the innermost line."""
        if isinstance(value, LocatedMap):
            for key, item in value.items():
                self.jinja(key, value.line_of(key), field)
                self.jinja(item, value.line_of(key), field)
        elif isinstance(value, LocatedList):
            for index, item in enumerate(value):
                self.jinja(item, value.line_of(index), field)
        else:
            try:
                self.templar.check_syntax(value)
            except UnsupportedLookupError as exc:
                self.unsupported(line, field, exc.problem)  # listed with the others; loading goes on
            except TemplateError as exc:
                raise self.error(line, field, exc.problem) from None

    def condition_list(self, data: LocatedMap, key: str) -> tuple[str, ...]:
        value = data[key]
        items = list(value) if isinstance(value, list) else [value]
        conditions: list[str] = []
        for item in items:
            if isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                raise self.error(data.line_of(key), key, "must be a condition (a Jinja expression) or a list of them")
            try:
                self.templar.check_condition_syntax(item)
                conditions.append(self.templar.condition_expression(item))
            except TemplateError as exc:
                raise self.error(data.line_of(key), key, exc.problem) from None
        return tuple(conditions)

    def bool_value(self, data: LocatedMap, key: str) -> bool:
        value = parse_bool(data[key])
        if value is None:
            raise self.error(data.line_of(key), key, f"must be true or false, got {data[key]!r}")
        return value

    def flag(self, data: LocatedMap, key: str) -> bool | str:
        """A bool keyword that may be templated (`no_log: "{{ hide }}"`): a bool, or the template to render."""
        value = data[key]
        if isinstance(value, str) and is_templated(value):
            self.jinja(value, data.line_of(key), key)
            return value
        return self.bool_value(data, key)

    def name_value(self, data: LocatedMap, key: str) -> str:
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise self.error(data.line_of(key), key, "must be a non-empty string")
        self.jinja(value, data.line_of(key), key)
        return value

    def identifier(self, data: LocatedMap, key: str) -> str:
        value = data[key]
        if not isinstance(value, str) or not value.isidentifier():
            raise self.error(data.line_of(key), key, f"must be a variable name, got {value!r}")
        return value

    def names(self, data: LocatedMap, key: str, *, split_commas: bool = False) -> tuple[str, ...]:
        """A string or a list of strings (tags may be numbers, and `a,b` strings, as in Ansible)."""
        value = data[key]
        items = list(value) if isinstance(value, list) else [value]
        found: list[str] = []
        for item in items:
            if split_commas and isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                raise self.error(data.line_of(key), key, "must be a name or a list of names")
            for part in item.split(",") if split_commas else [item]:
                if part.strip() and part.strip() not in found:
                    found.append(part.strip())
        return tuple(found)

    def variables(self, value: Any, line: int, field: str, source: str | None = None) -> dict[str, tuple[Any, Origin]]:
        shown = source or self.source
        if value is None:
            return {}
        if not isinstance(value, LocatedMap):
            raise InputError(shown, line, field, "must be a mapping of variables")
        found: dict[str, tuple[Any, Origin]] = {}
        for name, item in value.items():
            name_line = value.line_of(name)
            if not isinstance(name, str) or not name.isidentifier():
                raise InputError(shown, name_line, f"{field}.{name}", "a variable name must be an identifier")
            if source is None:
                self.jinja(item, name_line, f"{field}.{name}")
            else:
                try:
                    self.templar.check_syntax(item)
                except UnsupportedLookupError as exc:
                    self.shared.problems.append(InputError(shown, name_line, f"{field}.{name}", exc.problem))
                except TemplateError as exc:
                    raise InputError(shown, name_line, f"{field}.{name}", exc.problem) from None
            found[name] = (plain_data(item), Origin(shown, name_line))
        return found

    def keywords(self, data: LocatedMap, allowed: Sequence[str], ansible: frozenset[str], what: str) -> bool:
        """Record every keyword not in `allowed`; False when there was one."""
        clean = True
        for key in data:
            line = data.line_of(key)
            if key in allowed:
                continue
            clean = False
            if key in ansible:
                self.unsupported(line, str(key), f"unsupported keyword {key!r}")
            else:
                self.unsupported(line, str(key), f"unknown {what} keyword {key!r}; a {what} has: {', '.join(allowed)}")
        return clean

    # --- playbook and plays ---------------------------------------------------------------------

    def playbook(self, data: Any, chain: tuple[Path, ...] = ()) -> list[Play]:
        if not isinstance(data, LocatedList) or not data:
            raise self.error(getattr(data, "line", 1), None, "a playbook must be a non-empty list of plays")
        plays: list[Play] = []
        for index, item in enumerate(data):
            if not isinstance(item, LocatedMap):
                raise self.error(data.line_of(index), f"plays[{index}]", "a play must be a mapping")
            if "import_playbook" in item:
                plays.extend(self.import_playbook(item, (*chain, self.path)))
                continue
            try:
                plays.append(self.play(item, index))
            except InputError as exc:
                self.shared.problems.append(exc)
        return plays

    def import_playbook(self, data: LocatedMap, chain: tuple[Path, ...]) -> list[Play]:
        line = data.line_of("import_playbook")
        self.keywords(
            data, ("import_playbook", "name", "vars", "tags", "when"), ANSIBLE_PLAY_KEYWORDS, "import_playbook"
        )
        for key in ("vars", "tags", "when"):
            if key in data:
                self.unsupported(data.line_of(key), key, f"{key!r} on import_playbook is not supported")
        name = data["import_playbook"]
        if not isinstance(name, str) or not name.strip() or is_templated(name):
            raise self.error(line, "import_playbook", "must be a playbook file name (not templated)")
        path = Path(name) if Path(name).is_absolute() else self.path.parent / name
        if not path.is_file():
            raise self.error(
                line,
                "import_playbook",
                f"file not found: {display_path(path, self.base_dir, self.shared.playbook_source)}",
            )
        if path in chain or len(chain) > MAX_INCLUDE_DEPTH:
            raise self.error(line, "import_playbook", f"{name} imports itself")
        self.use(path, line, "import_playbook")
        loader = self.child(path)
        return loader.playbook(load_yaml_file(path, loader.source), chain)

    def play(self, data: LocatedMap, index: int) -> Play:
        self.keywords(data, PLAY_KEYWORDS, ANSIBLE_PLAY_KEYWORDS, "play")
        hosts = self.hosts(data, index)
        tags = self.names(data, "tags", split_commas=True) if "tags" in data else ()
        variables = self.variables(data["vars"], data.line_of("vars"), "vars") if "vars" in data else {}
        if "vars_files" in data:
            variables.update(self.vars_files(data))
        self.shared.role_handlers = []
        self.shared.play_roles = []
        self.shared.roles_run = set()
        inherit = _Inherit(
            tags=tags,
            no_log=self.flag(data, "no_log") if "no_log" in data else False,
            diff=self.flag(data, "diff") if "diff" in data else True,
            environment=self.environment(data),
            run_once=self.bool_value(data, "run_once") if "run_once" in data else False,
        )
        steps: dict[str, tuple[Step, ...]] = {}
        for section in SECTIONS:
            roles = self.play_roles(data, inherit) if section == "tasks" and "roles" in data else []
            steps[section] = (*roles, *self.steps(data, section, inherit))
        handlers = (*self.shared.role_handlers, *self.tasks(data, "handlers", inherit, handlers=True))
        sections = {section: tuple(leaf_tasks(found)) for section, found in steps.items()}
        if not self.shared.problems:
            self.check_notify(sections, handlers)
        role_defaults: dict[str, Any] = {}
        role_vars: dict[str, Any] = {}
        for role in self.shared.play_roles:
            role_defaults.update(role.defaults)
            role_vars.update(role.vars)
        return Play(
            name=self.name_value(data, "name") if "name" in data else hosts,
            hosts=hosts,
            vars={name: value for name, (value, _) in variables.items()},
            var_origins={name: origin for name, (_, origin) in variables.items()},
            become=self.bool_value(data, "become") if "become" in data else False,
            become_user=self.name_value(data, "become_user") if "become_user" in data else None,
            serial=self.serial(data) if "serial" in data else (),
            max_fail_percentage=self.max_fail_percentage(data) if "max_fail_percentage" in data else None,
            pre_tasks=sections["pre_tasks"],
            tasks=sections["tasks"],
            post_tasks=sections["post_tasks"],
            handlers=handlers,
            tags=tags,
            gather_facts=self.bool_value(data, "gather_facts") if "gather_facts" in data else True,
            origin=Origin(self.source, data.line),
            keyword_lines=dict(data.key_lines),
            steps=steps,
            role_defaults=role_defaults,
            role_vars=role_vars,
        )

    def hosts(self, data: LocatedMap, index: int) -> str:
        if "hosts" not in data:
            raise self.error(data.line, "hosts", f"missing: play {index + 1} must say which hosts it targets")
        value = data["hosts"]
        items = list(value) if isinstance(value, list) else [value]
        if not items or not all(isinstance(item, str) and item.strip() for item in items):
            raise self.error(data.line_of("hosts"), "hosts", "must be a host pattern or a list of them")
        pattern = ",".join(item.strip() for item in items)
        if is_templated(pattern):
            raise self.error(data.line_of("hosts"), "hosts", "templated host patterns are not supported")
        return pattern

    def vars_files(self, data: LocatedMap) -> dict[str, tuple[Any, Origin]]:
        value = data["vars_files"]
        entries = value if isinstance(value, LocatedList) else None
        if entries is None and not isinstance(value, str):
            raise self.error(data.line_of("vars_files"), "vars_files", "must be a list of file paths")
        found: dict[str, tuple[Any, Origin]] = {}
        for position, entry in enumerate(entries if entries is not None else [value]):
            line = entries.line_of(position) if entries is not None else data.line_of("vars_files")
            if not isinstance(entry, str) or not entry.strip():
                raise self.error(
                    line, "vars_files", "each entry must be a file path (lists of alternatives are not supported)"
                )
            if is_templated(entry):
                raise self.error(line, "vars_files", f"templated paths are not supported: {entry!r}")
            path = Path(entry) if Path(entry).is_absolute() else self.base_dir / entry
            shown = display_path(path, self.base_dir, self.source)
            if not path.is_file():
                raise self.error(line, "vars_files", f"file not found: {shown}")
            self.use(path, line, "vars_files")
            content = load_yaml_file(path, shown)
            if content is None:
                continue
            if not isinstance(content, LocatedMap):
                raise InputError(shown, getattr(content, "line", 1), None, "a vars file must be a mapping of variables")
            found.update(self.variables(content, content.line, "vars", source=shown))
        return found

    def serial(self, data: LocatedMap) -> tuple[int | str, ...]:
        value = data["serial"]
        items = list(value) if isinstance(value, list) else [value]
        line = data.line_of("serial")
        batches: list[int | str] = []
        for item in items:
            if isinstance(item, str) and item.strip().isdigit():
                item = int(item.strip())
            if isinstance(item, int) and not isinstance(item, bool) and item >= 1:
                batches.append(item)
                continue
            if isinstance(item, str) and item.strip().endswith("%"):
                number = item.strip()[:-1].strip()
                try:
                    percent = float(number)
                except ValueError:
                    percent = -1.0
                if 0 < percent <= 100:
                    batches.append(f"{number}%")
                    continue
            raise self.error(
                line, "serial", f"must be a number of hosts, a percentage like '30%' or a list of them, got {item!r}"
            )
        if not batches:
            raise self.error(line, "serial", "must not be an empty list")
        return tuple(batches)

    def max_fail_percentage(self, data: LocatedMap) -> float:
        value = data["max_fail_percentage"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise self.error(
                data.line_of("max_fail_percentage"),
                "max_fail_percentage",
                f"must be a number from 0 to 100, got {value!r}",
            )
        return float(value)

    def check_notify(self, sections: Mapping[str, tuple[Task, ...]], handlers: tuple[Task, ...]) -> None:
        topics = {topic for handler in handlers for topic in handler.listen}
        topics |= {handler.name for handler in handlers if "name" in handler.keyword_lines}
        for task in (*[task for tasks in sections.values() for task in tasks], *handlers):
            for name in task.notify:
                if name not in topics:
                    known = ", ".join(repr(topic) for topic in sorted(topics)) or "none"
                    raise self.error(
                        task.line_of("notify"),
                        "notify",
                        f"no handler named {name!r} (handlers and listen topics: {known})",
                    )

    # --- roles ----------------------------------------------------------------------------------

    def play_roles(self, play: LocatedMap, inherit: _Inherit) -> list[Step]:
        value = play["roles"]
        if not isinstance(value, LocatedList):
            raise self.error(play.line_of("roles"), "roles", "must be a list of roles")
        steps: list[Step] = []
        for index, entry in enumerate(value):
            line = value.line_of(index)
            try:
                steps.extend(self.role_entry(entry, line, f"roles[{index}]", inherit))
            except InputError as exc:
                self.shared.problems.append(exc)
        return steps

    def role_entry(self, entry: Any, line: int, where: str, inherit: _Inherit) -> list[Step]:
        """One `roles:` entry: a name, or a mapping with `role` (or `name`), keywords and role params."""
        if isinstance(entry, str):
            return self.role(entry, line, where, inherit, {}, public=True)
        if not isinstance(entry, LocatedMap):
            raise self.error(line, where, "a role entry is a role name or a mapping with `role`")
        key = "role" if "role" in entry else "name" if "name" in entry else None
        if key is None:
            raise self.error(line, where, "a role entry needs `role` (the role's name)")
        name = entry[key]
        if not isinstance(name, str) or not name.strip() or is_templated(name):
            raise self.error(entry.line_of(key), key, "must be a role name (not templated)")
        params: dict[str, Any] = {}
        extra = LocatedMap(entry.source, entry.line)
        for param, item in entry.items():
            if param in ROLE_ENTRY_KEYWORDS:
                continue
            if param in ANSIBLE_TASK_KEYWORDS or param in ANSIBLE_PLAY_KEYWORDS:
                self.unsupported(entry.line_of(param), str(param), f"unsupported keyword {param!r} on a role")
                continue
            extra[param] = item
            extra.key_lines[param] = entry.line_of(param)
        params.update({n: v for n, (v, _) in self.variables(extra, entry.line, where).items()})
        if "vars" in entry:
            params.update({n: v for n, (v, _) in self.variables(entry["vars"], entry.line_of("vars"), "vars").items()})
        return self.role(name, entry.line_of(key), where, self.inherit(entry, inherit), params, public=True)

    def role(
        self,
        name: str,
        line: int,
        where: str,
        inherit: _Inherit,
        params: Mapping[str, Any],
        *,
        public: bool,
        parts: Mapping[str, str] | None = None,
        dedupe: bool = True,
        handlers_out: list[Task] | None = None,
    ) -> list[Step]:
        """A role's steps (its dependencies' first); its handlers go to the play (or `handlers_out`)."""
        parts = parts or {}
        folder = find_role(name, role_search_dirs(self.base_dir, self.shared.roles_path), self.path.parent)
        if folder is None:
            searched = ", ".join(
                display_path(path, self.base_dir, self.shared.playbook_source)
                for path in role_search_dirs(self.base_dir, self.shared.roles_path)
            )
            raise self.error(line, where, f"role {name!r} not found (searched {searched})")
        self.use(folder.path, line, where)
        if folder.path in inherit.chain or len(inherit.chain) > MAX_INCLUDE_DEPTH:
            raise self.error(line, where, f"role {name!r} depends on itself")
        key = (folder.path.resolve(), repr(sorted(params.items())) + repr(sorted(parts.items())))
        if dedupe and key in self.shared.roles_run:
            return []  # as Ansible: a role runs once per play unless its parameters differ
        self.shared.roles_run.add(key)
        chain = (*inherit.chain, folder.path)
        steps: list[Step] = []
        dep_defaults: dict[str, Any] = {}
        dep_vars: dict[str, Any] = {}
        meta = folder.part("meta")
        if meta is not None:
            for dep_steps, dep_scope in self.dependencies(meta, replace(inherit, chain=chain), handlers_out):
                steps.extend(dep_steps)
                if dep_scope is not None:
                    dep_defaults.update(dep_scope.defaults)
                    dep_vars.update(dep_scope.vars)
        defaults = {**dep_defaults, **self.role_vars_file(folder, "defaults", parts.get("defaults_from", "main"))}
        own_vars = {**dep_vars, **self.role_vars_file(folder, "vars", parts.get("vars_from", "main"))}
        scope = RoleScope(folder.name, folder.path, defaults, own_vars, dict(params))
        if public:
            self.shared.play_roles.append(scope)
        role_inherit = replace(inherit, role=scope, role_folder=folder, chain=chain)
        tasks_file = folder.part("tasks", parts.get("tasks_from", "main"))
        if tasks_file is None and "tasks_from" in parts:
            raise self.error(line, "tasks_from", f"no tasks/{parts['tasks_from']}.yml in role {name!r}")
        if tasks_file is not None:
            loader = self.child(tasks_file)
            steps.extend(loader.file_steps(tasks_file, role_inherit))
        handlers_file = folder.part("handlers", parts.get("handlers_from", "main"))
        if handlers_file is not None:
            loader = self.child(handlers_file)
            data = load_yaml_file(handlers_file, loader.source)
            if data is not None:
                holder = LocatedMap(loader.source, 1)
                holder["handlers"] = data
                handlers = loader.tasks(holder, "handlers", replace(role_inherit, tags=()), handlers=True)
                (handlers_out if handlers_out is not None else self.shared.role_handlers).extend(handlers)
        return steps

    def dependencies(
        self, meta: Path, inherit: _Inherit, handlers_out: list[Task] | None
    ) -> list[tuple[list[Step], RoleScope | None]]:
        loader = self.child(meta)
        data = load_yaml_file(meta, loader.source)
        if data is None:
            return []
        if not isinstance(data, LocatedMap):
            raise loader.error(getattr(data, "line", 1), None, "meta/main.yml must be a mapping")
        deps = data.get("dependencies") or []
        if not isinstance(deps, list):
            raise loader.error(data.line_of("dependencies"), "dependencies", "must be a list of roles")
        found: list[tuple[list[Step], RoleScope | None]] = []
        for index, entry in enumerate(deps):
            line = deps.line_of(index) if isinstance(deps, LocatedList) else data.line
            before = len(self.shared.play_roles)
            steps = loader.role_entry(
                entry, line, f"dependencies[{index}]", replace(inherit, role=None, role_folder=None)
            )
            scope = self.shared.play_roles[-1] if len(self.shared.play_roles) > before else None
            found.append((steps, scope))
        return found

    def role_vars_file(self, folder: RoleFolder, part: str, name: str) -> dict[str, Any]:
        path = folder.part(part, name)
        if path is None:
            return {}
        shown = display_path(path, self.base_dir, self.shared.playbook_source)
        content = load_yaml_file(path, shown)
        if content is None:
            return {}
        if not isinstance(content, LocatedMap):
            raise InputError(shown, getattr(content, "line", 1), None, f"a role's {part} file must be a mapping")
        return {n: v for n, (v, _) in self.variables(content, content.line, part, source=shown).items()}

    # --- steps: tasks, blocks, imports ----------------------------------------------------------

    def file_steps(self, path: Path, inherit: _Inherit) -> list[Step]:
        """The steps of a task file (a role's tasks/main.yml, an imported or included file)."""
        data = load_yaml_file(path, self.source)
        if data is None:
            return []
        holder = LocatedMap(self.source, 1)
        holder["tasks"] = data
        return self.steps(holder, "tasks", replace(inherit, chain=(*inherit.chain, path)))

    def section_items(self, parent: LocatedMap, section: str) -> Iterator[tuple[LocatedMap, str]]:
        """A task list's mappings with their place (`tasks[2]`); an item that is not a mapping is a problem."""
        value = parent.get(section)
        if value is None:
            return
        if not isinstance(value, LocatedList):
            raise self.error(parent.line_of(section), section, "must be a list of tasks")
        for index, item in enumerate(value):
            where = f"{section}[{index}]"
            if isinstance(item, LocatedMap):
                yield item, where
            else:
                self.shared.problems.append(self.error(value.line_of(index), where, "a task must be a mapping"))

    def steps(self, parent: LocatedMap, section: str, inherit: _Inherit) -> list[Step]:
        steps: list[Step] = []
        for item, where in self.section_items(parent, section):
            try:
                steps.extend(self.step(item, where, inherit))
            except InputError as exc:
                self.shared.problems.append(exc)
        return steps

    def step(self, data: LocatedMap, where: str, inherit: _Inherit) -> list[Step]:
        if "block" in data:
            return [self.block(data, inherit)]
        static = next((key for key in data if isinstance(key, str) and canonical_name(key) in STATIC_IMPORTS), None)
        if static is not None:
            return self.static_import(data, static, inherit)
        if "import_playbook" in data:
            raise self.error(
                data.line_of("import_playbook"), "import_playbook", "import_playbook is a play, not a task"
            )
        task = self.task(data, where, inherit, handler=False)
        return [task] if task is not None else []

    def inherit(self, data: LocatedMap, outer: _Inherit) -> _Inherit:
        """The keywords a block, import or role entry passes down, merged with what it inherits."""
        tags = self.names(data, "tags", split_commas=True) if "tags" in data else ()
        own_vars = (
            {n: v for n, (v, _) in self.variables(data["vars"], data.line_of("vars"), "vars").items()}
            if "vars" in data
            else {}
        )
        return replace(
            outer,
            tags=(*tags, *(tag for tag in outer.tags if tag not in tags)),
            when=(*outer.when, *(self.condition_list(data, "when") if "when" in data else ())),
            become=self.bool_value(data, "become") if "become" in data else outer.become,
            become_user=self.name_value(data, "become_user") if "become_user" in data else outer.become_user,
            vars={**outer.vars, **own_vars},
            ignore_errors=self.bool_value(data, "ignore_errors") if "ignore_errors" in data else outer.ignore_errors,
            check_mode=self.bool_value(data, "check_mode") if "check_mode" in data else outer.check_mode,
            delegate_to=self.delegate(data) if "delegate_to" in data else outer.delegate_to,
            no_log=self.flag(data, "no_log") if "no_log" in data else outer.no_log,
            diff=self.flag(data, "diff") if "diff" in data else outer.diff,
            environment=(*outer.environment, *self.environment(data)),
            run_once=self.bool_value(data, "run_once") if "run_once" in data else outer.run_once,
        )

    def block(self, data: LocatedMap, inherit: _Inherit) -> Block:
        self.keywords(data, BLOCK_KEYWORDS, ANSIBLE_TASK_KEYWORDS, "block")
        inner = self.inherit(data, inherit)
        parts: dict[str, tuple[Step, ...]] = {}
        for part in ("block", "rescue", "always"):
            parts[part] = tuple(self.steps(data, part, inner)) if part in data else ()
        return Block(
            name=self.name_value(data, "name") if "name" in data else "block",
            block=parts["block"],
            rescue=parts["rescue"],
            always=parts["always"],
            origin=Origin(self.source, data.line),
        )

    def located_args(
        self, value: Any, line: int, key: str, free_form: str | None, params: Iterable[str], what: str
    ) -> list[tuple[str, Any, int]]:
        """Arguments as (name, value, line): from a mapping, or from `key=value` words (and free-form text)."""
        if isinstance(value, LocatedMap):
            return [(str(name), item, value.line_of(name)) for name, item in value.items()]
        if isinstance(value, str):
            try:
                inline = parse_inline_args(value, free_form, set(params))
            except ValueError as exc:
                raise self.error(line, key, str(exc)) from None
            return [(name, item, line) for name, item in inline.items()]
        if value is not None:
            raise self.error(line, key, f"{what} must be a mapping or a key=value string")
        return []

    def action_args(self, data: LocatedMap, key: str, spec: ActionSpec) -> tuple[dict[str, Any], dict[str, int]]:
        """The arguments of an action or import: a mapping, `key=value` words or free-form text."""
        value = data[key]
        line = data.line_of(key)
        free_form = None if spec.any_keys else spec.free_form
        raw: list[tuple[str, Any, int]]
        if free_form is not None and isinstance(value, str) and value.split() and "=" not in value.split()[0]:
            raw = [(free_form, value.strip(), line)]
        else:
            raw = self.located_args(value, line, key, free_form, () if spec.any_keys else spec.params, "arguments")
        if "args" in data and isinstance(data["args"], LocatedMap):
            raw.extend((str(name), item, data["args"].line_of(name)) for name, item in data["args"].items())
        args: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for name, item, item_line in raw:
            if spec.any_keys:
                if name == "cacheable":
                    continue
                if not name.isidentifier():
                    raise self.error(item_line, f"{key}.{name}", "a variable name must be an identifier")
            elif name not in spec.params:
                self.unsupported(item_line, f"{key}.{name}", f"unsupported parameter {name!r} for {key}")
                continue
            self.jinja(item, item_line, f"{key}.{name}")
            args[name] = plain_data(item)
            lines[name] = item_line
        for name in spec.required:
            if name not in args:
                raise self.error(line, key, f"missing required parameter {name!r}")
        return args, lines

    def static_import(self, data: LocatedMap, key: str, inherit: _Inherit) -> list[Step]:
        """import_tasks / import_role: expanded now; the import's keywords pass down to every task."""
        kind = canonical_name(key)
        allowed = (
            key,
            "name",
            "when",
            "tags",
            "become",
            "become_user",
            "vars",
            "ignore_errors",
            "check_mode",
            "delegate_to",
            "no_log",
            "diff",
            "environment",
            "run_once",
        )
        self.keywords(data, allowed, ANSIBLE_TASK_KEYWORDS, kind)
        args, _ = self.action_args(data, key, STATIC_IMPORTS[kind])
        inner = self.inherit(data, inherit)
        line = data.line_of(key)
        if kind == "import_role":
            name = args["name"]
            if not isinstance(name, str) or is_templated(name):
                raise self.error(line, f"{key}.name", "must be a role name (not templated)")
            parts: dict[str, str] = {
                part: str(args[part])
                for part in ("tasks_from", "vars_from", "defaults_from", "handlers_from")
                if part in args
            }
            return self.role(name, line, key, inner, {}, public=True, parts=parts)
        name = args["file"]
        if not isinstance(name, str) or is_templated(name):
            raise self.error(
                line, f"{key}.file", "import_tasks needs a file name without templating (use include_tasks)"
            )
        path = self.task_file(name, inner)
        if path is None:
            raise self.error(line, f"{key}.file", f"file not found: {name!r}")
        if path in inherit.chain or len(inherit.chain) > MAX_INCLUDE_DEPTH:
            raise self.error(line, key, f"{name} imports itself")
        self.use(path, line, f"{key}.file")
        return self.child(path).file_steps(path, inner)

    def file_dirs(self, inherit: _Inherit) -> tuple[Path, ...]:
        """Where a task's files are searched: its role's folder, its own file's folder, the playbook's."""
        found: list[Path] = []
        for folder in (
            inherit.role_folder.path if inherit.role_folder else None,
            self.path.parent if inherit.role_folder is None else None,
            self.base_dir,
        ):
            if folder is not None and folder not in found:
                found.append(folder)
        return tuple(found)

    def task_file(self, name: str, inherit: _Inherit) -> Path | None:
        """A task file to import or include: the role's tasks/, the current file's folder, the playbook's."""
        path = Path(name)
        if path.is_absolute():
            return path if path.is_file() else None
        folders = [inherit.role_folder.path / "tasks"] if inherit.role_folder else []
        folders += [self.path.parent, self.base_dir]
        return next((folder / path for folder in folders if (folder / path).is_file()), None)

    # --- tasks ----------------------------------------------------------------------------------

    def tasks(self, play: LocatedMap, section: str, inherit: _Inherit, *, handlers: bool) -> tuple[Task, ...]:
        tasks: list[Task] = []
        seen: dict[str, int] = {}
        for item, where in self.section_items(play, section):
            try:
                task = self.task(item, where, inherit, handler=handlers)
            except InputError as exc:
                self.shared.problems.append(exc)
                continue
            if task is None:
                continue
            if handlers and "name" in item:
                if task.name in seen:
                    raise self.error(
                        item.line_of("name"), "name", f"duplicate handler name (first at line {seen[task.name]})"
                    )
                seen[task.name] = item.line_of("name")
            tasks.append(task)
        return tuple(tasks)

    def task_module(self, data: LocatedMap, where: str, handler: bool) -> tuple[str, Module | ActionSpec] | None:
        """The task's module (or action); None after recording unsupported keywords or modules."""
        allowed = HANDLER_KEYWORDS if handler else TASK_KEYWORDS
        found: list[tuple[str, Module | ActionSpec]] = []
        clean = True
        for key in data:
            if key in allowed:
                continue
            line = data.line_of(key)
            if not isinstance(key, str):
                raise self.error(line, str(key), f"{key!r} is not a keyword or a module name")
            if key == "listen":
                self.unsupported(line, key, "unsupported keyword 'listen' on a task (only handlers listen)")
                clean = False
                continue
            if key in ANSIBLE_TASK_KEYWORDS or key.startswith("with_"):
                self.unsupported(line, key, f"unsupported keyword {key!r}")
                clean = False
                continue
            if canonical_name(key) in ("import_tasks", "import_role", "block") and handler:
                self.unsupported(line, key, f"{key!r} in handlers is not supported")
                clean = False
                continue
            module: Module | ActionSpec | None = ACTIONS.get(canonical_name(key)) or find_module(key, self.modules)
            if module is None:
                self.unsupported(line, key, f"unknown module {key!r}")
                clean = False
                continue
            if found:
                raise self.error(
                    line,
                    key,
                    f"a task has exactly one module; it also has {found[0][0]!r} (line {data.line_of(found[0][0])})",
                )
            found.append((key, module))
        if not clean:
            return None
        if not found:
            raise self.error(data.line, where, "no module: a task needs exactly one module (e.g. command, copy)")
        return found[0]

    def delegate(self, data: LocatedMap) -> str:
        value = data["delegate_to"]
        if not isinstance(value, str) or value.strip() not in LOCAL_HOSTS:
            self.unsupported(
                data.line_of("delegate_to"),
                "delegate_to",
                f"delegate_to {value!r} is not supported (only localhost: steps run on this machine)",
            )
        return "localhost"

    def task(self, data: LocatedMap, where: str, inherit: _Inherit, *, handler: bool) -> Task | None:
        found = self.task_module(data, where, handler)
        if found is None:
            return None
        key, module = found
        if isinstance(module, ActionSpec):
            name = canonical_name(key)
            args, arg_lines = self.action_args(data, key, module)
        else:
            name = module.name
            args, arg_lines = self.module_args(data, key, module)
        loops = [word for word in LOOP_KEYWORDS if word in data]
        if len(loops) > 1:
            raise self.error(
                data.line_of(loops[1]), loops[1], f"a task has one loop, not both {loops[0]} and {loops[1]}"
            )
        loop_keyword = loops[0] if loops else None
        own_tags = self.names(data, "tags", split_commas=True) if "tags" in data else ()
        listen = self.names(data, "listen") if "listen" in data else ()
        if handler and "name" not in data and not listen:
            raise self.error(data.line, where, "a handler needs a name (or listen) to be notified")
        own_vars = (
            {n: v for n, (v, _) in self.variables(data["vars"], data.line_of("vars"), "vars").items()}
            if "vars" in data
            else {}
        )
        loop_var, index_var = self.loop_control(data, loop_keyword)
        task = Task(
            name=self.name_value(data, "name") if "name" in data else default_task_name(name, args, module.free_form),
            module=name,
            args=args,
            when=(*inherit.when, *(self.condition_list(data, "when") if "when" in data else ())),
            loop=self.loop(data, loop_keyword) if loop_keyword else None,
            loop_keyword=loop_keyword,
            loop_var=loop_var,
            register=self.identifier(data, "register") if "register" in data else None,
            notify=tuple(n.split(" : ", 1)[-1] for n in self.names(data, "notify")) if "notify" in data else (),
            listen=listen,
            tags=(*own_tags, *(tag for tag in inherit.tags if tag not in own_tags)),
            become=self.bool_value(data, "become") if "become" in data else inherit.become,
            become_user=self.name_value(data, "become_user") if "become_user" in data else inherit.become_user,
            changed_when=self.condition_list(data, "changed_when") if "changed_when" in data else None,
            failed_when=self.condition_list(data, "failed_when") if "failed_when" in data else None,
            ignore_errors=self.bool_value(data, "ignore_errors")
            if "ignore_errors" in data
            else bool(inherit.ignore_errors),
            vars={**inherit.vars, **own_vars},
            origin=Origin(self.source, data.line),
            arg_lines=arg_lines,
            keyword_lines={str(word): line for word, line in data.key_lines.items()},
            role=inherit.role,
            file_dirs=self.file_dirs(inherit),
            check_mode=self.bool_value(data, "check_mode") if "check_mode" in data else inherit.check_mode,
            delegate_to=self.delegate(data) if "delegate_to" in data else inherit.delegate_to,
            index_var=index_var,
            no_log=self.flag(data, "no_log") if "no_log" in data else inherit.no_log,
            diff=self.flag(data, "diff") if "diff" in data else inherit.diff,
            timeout=self.timeout(data) if "timeout" in data else None,
            environment=(*inherit.environment, *self.environment(data)),
            run_once=self.bool_value(data, "run_once") if "run_once" in data else inherit.run_once,
        )
        if isinstance(module, ActionSpec):
            return self.check_action(task, inherit, handler, self.include_apply(data, key))
        self.check_args(task, module)
        return task

    def timeout(self, data: LocatedMap) -> int:
        """Ansible's task `timeout:`: a whole number of seconds, more than 0 (0 would mean none: leave it out)."""
        value = data["timeout"]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.error(data.line_of("timeout"), "timeout", f"must be a number of seconds above 0, got {value!r}")
        return value

    def environment(self, data: LocatedMap) -> tuple[Any, ...]:
        """`environment:` as layers (see deployctl.model.environment); none when the keyword is absent."""
        if "environment" not in data:
            return ()
        line = data.line_of("environment")
        self.jinja(data["environment"], line, "environment")
        try:
            return environment_layers(plain_data(data["environment"]))
        except BadEnvironmentError as exc:
            raise self.error(line, "environment", str(exc)) from None

    def loop(self, data: LocatedMap, keyword: str) -> Any:
        value = data[keyword]
        line = data.line_of(keyword)
        if keyword == "loop" and not isinstance(value, list) and not (isinstance(value, str) and is_templated(value)):
            raise self.error(line, keyword, f"must be a list or a template giving one, got {value!r}")
        if keyword in ("with_items", "with_list", "with_nested", "with_together") and isinstance(value, Mapping):
            raise self.error(line, keyword, "must be a list or a template giving one, got a mapping")
        self.jinja(value, line, keyword)
        return plain_data(value)

    def loop_control(self, data: LocatedMap, loop_keyword: str | None) -> tuple[str, str | None]:
        if "loop_control" not in data:
            return "item", None
        control = data["loop_control"]
        line = data.line_of("loop_control")
        if loop_keyword is None:
            raise self.error(line, "loop_control", "loop_control without loop or with_<lookup>")
        if not isinstance(control, LocatedMap):
            raise self.error(line, "loop_control", "must be a mapping")
        for key in control:
            if key not in LOOP_CONTROL_KEYS:
                self.unsupported(control.line_of(key), f"loop_control.{key}", f"unsupported loop_control key {key!r}")
        loop_var = self.identifier(control, "loop_var") if "loop_var" in control else "item"
        index_var = self.identifier(control, "index_var") if "index_var" in control else None
        return loop_var, index_var

    # --- actions: the run resolves them; their files are loaded now -----------------------------

    def include_apply(self, data: LocatedMap, key: str) -> LocatedMap | None:
        """include_tasks / include_role `apply`: the keywords its tasks get, as a block's (checked as one)."""
        holders = [data[key], data.get("args")]
        apply = next((h["apply"] for h in holders if isinstance(h, LocatedMap) and "apply" in h), None)
        if apply is None:
            return None
        if not isinstance(apply, LocatedMap):
            raise self.error(data.line_of(key), f"{key}.apply", "must be a mapping of keywords")
        self.keywords(apply, APPLY_KEYWORDS, ANSIBLE_TASK_KEYWORDS, "apply")
        return apply

    def include_keywords(self, task: Task) -> None:
        """Refuse, as ansible-core does, a keyword an include does not take (`run_once`: not supported yet)."""
        for word, line in task.keyword_lines.items():
            if word == "run_once":
                self.unsupported(line, word, f"run_once on {task.module} is not supported (use apply: run_once)")
            elif word in TASK_KEYWORDS and word not in INCLUDE_KEYWORDS:
                raise self.error(
                    line, word, f"{word!r} is not a valid keyword for {task.module} (`apply` gives it to its tasks)"
                )

    def applied(self, apply: LocatedMap | None, inherit: _Inherit) -> _Inherit:
        """What included tasks inherit: the include's surroundings, then its `apply` keywords."""
        return inherit if apply is None else self.inherit(apply, inherit)

    def check_action(self, task: Task, inherit: _Inherit, handler: bool, apply: LocatedMap | None = None) -> Task:
        line = task.line_of(task.module)
        if task.module == "meta":
            word = task.args.get("free_form")
            if word not in META_ACTIONS:
                self.unsupported(
                    line, "meta", f"unsupported meta action {word!r} (supported: {', '.join(META_ACTIONS)})"
                )
            return task
        if task.module == "assert":
            that = task.args["that"]
            conditions = that if isinstance(that, list) else [that]
            for condition in conditions:
                try:
                    self.templar.check_condition_syntax(
                        condition if isinstance(condition, str | bool) else str(condition)
                    )
                except TemplateError as exc:
                    raise self.error(task.line_of("that"), "assert.that", exc.problem) from None
            return replace(
                task,
                args={
                    **task.args,
                    "that": [
                        self.templar.condition_expression(str(c)) if not isinstance(c, bool) else c for c in conditions
                    ],
                },
            )
        if task.module in ("include_tasks", "include_role") and handler:
            self.unsupported(line, task.module, f"{task.module} in handlers is not supported")
            return task
        if task.module in ("include_tasks", "include_role"):
            self.include_keywords(task)
        if task.module == "include_tasks":
            return replace(task, includes=self.include_candidates(task, inherit, apply))
        if task.module == "include_role":
            name = task.args["name"]
            if not isinstance(name, str) or is_templated(name):
                raise self.error(task.line_of("name"), "include_role.name", "must be a role name (not templated)")
            parts = {
                p: str(task.args[p])
                for p in ("tasks_from", "vars_from", "defaults_from", "handlers_from")
                if p in task.args
            }
            handlers: list[Task] = []
            before = len(self.shared.problems)
            try:
                steps = self.role(
                    name,
                    line,
                    "include_role",
                    self.applied(apply, replace(inherit, tags=(), when=())),
                    task.vars,
                    public=False,
                    parts=parts,
                    dedupe=False,
                    handlers_out=handlers,
                )
            except InputError as exc:
                self.shared.problems.append(exc)
                steps = []
            self.shared.role_handlers.extend(handlers)
            problem = self.shared.problems[before] if len(self.shared.problems) > before else None
            return replace(task, includes={name: Included(tuple(steps), tuple(handlers), problem)})
        if task.module == "include_vars":
            return replace(task, var_files=self.vars_candidates(task, inherit))
        return task

    def candidate_names(self, task: Task) -> list[str]:
        """The file names an include may use: its `file` (or with_first_found items), templated parts as `*`."""
        names: list[str] = []
        if task.loop_keyword == "with_first_found" and isinstance(task.loop, list):
            for item in task.loop:
                if isinstance(item, Mapping):
                    files = split_names(item.get("files", []), ",;")
                    paths = split_names(item.get("paths", []), ",:;") or [""]
                    names.extend(str(Path(folder) / str(name)) for name in files for folder in paths)
                else:
                    names.append(str(item))
        file_arg = task.args.get("file")
        if isinstance(file_arg, str) and not (
            task.loop_keyword == "with_first_found" and file_arg.strip().startswith("{{")
        ):
            names.append(file_arg)
        return names

    def globbed(self, task: Task, kind: str, name: str, inherit: _Inherit) -> list[Path]:
        pattern = _TEMPLATED.sub("*", name)
        found: list[Path] = []
        candidates = task_file_candidates(task, kind, pattern, self.base_dir)
        if "*" in pattern and not Path(pattern).is_absolute():  # a wildcard only searches the `kind` folders
            candidates = [folder / kind / pattern for folder in task.file_dirs or (self.base_dir,)]
        for candidate in candidates:
            matches = (
                glob.glob(str(candidate))  # noqa: PTH207 (the wildcard may be in any part of the path)
                if "*" in pattern
                else [str(candidate)]
            )
            for match in sorted(matches):
                path = Path(match)
                if path.is_file() and path.suffix in (".yml", ".yaml", ".json", "") and path not in found:
                    found.append(path)
        if kind == "tasks" and not found and "*" not in pattern:
            direct = self.task_file(name, inherit)
            if direct is not None:
                found.append(direct)
        return found

    def include_candidates(self, task: Task, inherit: _Inherit, apply: LocatedMap | None) -> dict[str, Included]:
        candidates: dict[str, Included] = {}
        for name in self.candidate_names(task):
            for path in self.globbed(task, "tasks", name, inherit):
                if str(path) in candidates:
                    continue
                if path in inherit.chain or len(inherit.chain) > MAX_INCLUDE_DEPTH:
                    continue  # a file including itself: the run reports it if it is ever chosen
                self.use(path, task.line_of("file"), f"{task.module}.file")
                before = len(self.shared.problems)
                child = self.child(path)
                try:
                    steps = child.file_steps(
                        path,
                        self.applied(apply, replace(inherit, when=(), tags=(), vars={**inherit.vars, **task.vars})),
                    )
                except InputError as exc:
                    self.shared.problems.append(exc)
                    steps = []
                problem = self.shared.problems[before] if len(self.shared.problems) > before else None
                candidates[str(path)] = Included(tuple(steps), (), problem)
        if not candidates:
            file_arg = task.args.get("file")
            if isinstance(file_arg, str) and not is_templated(file_arg):
                raise self.error(task.line_of("file"), "include_tasks.file", f"file not found: {file_arg!r}")
        return candidates

    def vars_candidates(self, task: Task, inherit: _Inherit) -> dict[str, Mapping[str, Any]]:
        found: dict[str, Mapping[str, Any]] = {}
        for name in self.candidate_names(task):
            for path in self.globbed(task, "vars", name, inherit):
                self.use(path, task.line_of("file"), f"{task.module}.file")
                shown = display_path(path, self.base_dir, self.shared.playbook_source)
                content = load_yaml_file(path, shown)
                if content is None:
                    found[str(path)] = {}
                    continue
                if not isinstance(content, LocatedMap):
                    raise InputError(
                        shown, getattr(content, "line", 1), None, "a vars file must be a mapping of variables"
                    )
                found[str(path)] = {
                    n: v for n, (v, _) in self.variables(content, content.line, "vars", source=shown).items()
                }
        file_arg = task.args.get("file")
        if not found and isinstance(file_arg, str) and not is_templated(file_arg) and task.loop_keyword is None:
            raise self.error(task.line_of("file"), "include_vars.file", f"file not found: {file_arg!r}")
        return found

    def module_args(self, data: LocatedMap, key: str, module: Module) -> tuple[dict[str, Any], dict[str, int]]:
        """The module's arguments (the `args` keyword, then the module's own, which win) and their lines."""
        raw: list[tuple[str, Any, int]] = []
        if "args" in data:
            extra = data["args"]
            if not isinstance(extra, LocatedMap):
                raise self.error(data.line_of("args"), "args", "must be a mapping of module arguments")
            raw.extend((str(name), value, extra.line_of(name)) for name, value in extra.items())
        raw.extend(
            self.located_args(data[key], data.line_of(key), key, module.free_form, module.params, "module arguments")
        )
        aliases = {alias: name for name, param in module.params.items() for alias in param.aliases}
        args: dict[str, Any] = {}
        lines: dict[str, int] = {}
        written: dict[str, str] = {}
        for name, item, item_line in raw:
            if name.startswith("_"):
                raise self.error(item_line, f"{module.name}.{name}", f"unknown parameter for {module.name}")
            canonical = aliases.get(name, name)
            if canonical in written and written[canonical] != name:
                raise self.error(
                    item_line, f"{module.name}.{name}", f"{written[canonical]!r} and {name!r} name the same parameter"
                )
            written[canonical] = name
            self.jinja(item, item_line, f"{module.name}.{canonical}")
            args[canonical] = plain_data(item)
            lines[canonical] = item_line
        return args, lines

    def check_args(self, task: Task, module: Module) -> None:
        """Validate the arguments known at load time, and find the controller files they name."""
        try:
            validate_params(module, task.args, partial=True)
        except ParamError as exc:
            raise self.error(task.line_of(exc.field), f"{module.name}.{exc.field}", exc.problem) from None
        src = task.args.get("src")
        if module.name not in CONTROLLER_FILE_DIRS or not isinstance(src, str) or is_templated(src):
            return
        if task.loop_keyword == "with_first_found":
            return  # the run picks the file
        found = find_task_file(task, module.name, src, self.base_dir)
        if found is None:
            searched = ", ".join(
                display_path(path, self.base_dir, self.shared.playbook_source)
                for path in task_file_candidates(task, CONTROLLER_FILE_DIRS[module.name], src, self.base_dir)
            )
            raise self.error(
                task.line_of("src"), f"{module.name}.src", f"file not found: {src!r} (searched {searched})"
            )
        self.use(found, task.line_of("src"), f"{module.name}.src")
        if module.name == "template":
            shown = display_path(found, self.base_dir, self.shared.playbook_source)
            try:
                self.templar.check_file_syntax(found, shown)
            except TemplateError as exc:
                problem = f"{exc.problem} (template of the task at {task.origin})"
                raise InputError(exc.template or shown, exc.line, None, problem) from None


def parse_playbook(
    data: Any,
    path: Path,
    source: str,
    modules: Mapping[str, Module] | None = None,
    roles_path: Sequence[Path] | None = None,
) -> Playbook:
    """Build a playbook from parsed YAML (with lines); `path` locates vars_files, roles and controller files.

    Every unsupported keyword or module, and every invalid task, in the whole content (roles and
    included files too) is collected; if there is any, UnsupportedContentError lists them all.
    `roles_path` defaults to the `roles_path` of the project holding the playbook.
    """
    found_roles_path = tuple(roles_path) if roles_path is not None else project_roles_path(path.parent)
    shared = _Shared(modules, source, path.parent, found_roles_path)
    loader = _PlaybookLoader(path, source, shared)
    plays = loader.playbook(data)
    if shared.problems:
        raise UnsupportedContentError(_unique(shared.problems))
    return Playbook(path=path, source=source, base_dir=path.parent, plays=tuple(plays), uses=tuple(shared.uses))


def _unique(problems: Sequence[InputError]) -> list[InputError]:
    seen: set[str] = set()
    found: list[InputError] = []
    for problem in problems:
        if str(problem) not in seen:
            seen.add(str(problem))
            found.append(problem)
    return found


def load_playbook(
    path: Path,
    display: str | None = None,
    modules: Mapping[str, Module] | None = None,
    roles_path: Sequence[Path] | None = None,
) -> Playbook:
    """Load and validate a playbook; `display` is the name errors show; `modules` defaults to the registry."""
    source = display or str(path)
    return parse_playbook(load_yaml_file(path, source), path, source, modules, roles_path)
