"""Ansible playbooks, typed and validated at load time, every error with its file, line and field.

deployctl supports a subset of Ansible's keywords; any other keyword is refused by name, never
ignored. What can be checked without a host is checked here: keywords, modules and their
parameters (templated values are checked per host by `playbook_checks.check_playbook`), handlers
named by `notify`, Jinja syntax, vars_files, and the controller files that `copy` and `template` read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployctl.errors import InputError
from deployctl.model.connection import parse_bool
from deployctl.model.inventory import Origin
from deployctl.model.taskargs import parse_inline_args
from deployctl.model.yamlsource import LocatedList, LocatedMap, load_yaml_file
from deployctl.modules.base import Module
from deployctl.modules.params import ParamError, validate_params
from deployctl.modules.registry import find_module
from deployctl.templating import Templar, TemplateError, is_templated

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
    "pre_tasks",
    "tasks",
    "post_tasks",
    "handlers",
)
TASK_KEYWORDS = (
    "name",
    "args",
    "when",
    "loop",
    "with_items",
    "loop_control",
    "register",
    "notify",
    "tags",
    "become",
    "become_user",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "vars",
)
HANDLER_KEYWORDS = (*TASK_KEYWORDS, "listen")
LOOP_CONTROL_KEYS = ("loop_var",)
SECTIONS = ("pre_tasks", "tasks", "post_tasks")

NOT_YET = ("include_tasks", "import_tasks", "include_role", "import_role", "import_playbook", "roles", "block")
"""Ansible keywords a later version will support; refused by name for now."""

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
        "check_mode",
        "collections",
        "connection",
        "debugger",
        "delay",
        "delegate_facts",
        "delegate_to",
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
    }
)


@dataclass(frozen=True)
class Task:
    """One task (or handler): its module and raw arguments, and the keywords deployctl honours.

    `args` are as written (possibly templated), with aliases resolved to parameter names and inline
    `key=value` strings parsed; `arg_lines` and `keyword_lines` give the line of each argument and
    keyword. `when`, `changed_when` and `failed_when` are bare Jinja expressions. `tags` are the
    task's own followed by those inherited from its play. `become`/`become_user` None inherit the play's.
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
    become: bool | None
    become_user: str | None
    changed_when: tuple[str, ...] | None
    failed_when: tuple[str, ...] | None
    ignore_errors: bool
    vars: Mapping[str, Any]
    origin: Origin
    arg_lines: Mapping[str, int]
    keyword_lines: Mapping[str, int]

    def line_of(self, keyword: str) -> int:
        """The line of a keyword (`when`, `loop`...) or argument, else the task's own line."""
        return self.keyword_lines.get(keyword, self.arg_lines.get(keyword, self.origin.line))

    def loop_items(self, rendered: Any) -> list[Any]:
        """The items of a rendered `loop` (must be a list) or `with_items` (flattened one level)."""
        keyword = self.loop_keyword or "loop"
        if self.loop_keyword == "with_items":
            items = rendered if isinstance(rendered, list | tuple) else [rendered]
            return [inner for item in items for inner in (item if isinstance(item, list | tuple) else [item])]
        if not isinstance(rendered, list | tuple):
            raise InputError(
                self.origin.source,
                self.line_of(keyword),
                keyword,
                f"must be a list, got {type(rendered).__name__} {rendered!r}",
            )
        return list(rendered)


@dataclass(frozen=True)
class Play:
    """One play: its hosts pattern, variables, rollout settings, task sections and handlers.

    `vars` holds the play's `vars` then each `vars_files` file in order (files win, as in Ansible);
    `var_origins` says where each came from. Ansible runs `pre_tasks`, `tasks` and `post_tasks` in
    that order and flushes notified handlers after each section. `serial` is empty for "all hosts
    at once", else batch sizes (numbers or "30%" strings), the last one repeating.
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

    def sections(self) -> tuple[tuple[str, tuple[Task, ...]], ...]:
        """The task sections in run order (handlers are flushed after each)."""
        return (("pre_tasks", self.pre_tasks), ("tasks", self.tasks), ("post_tasks", self.post_tasks))

    def all_tasks(self) -> tuple[Task, ...]:
        """Every task in run order, then the handlers."""
        return (*self.pre_tasks, *self.tasks, *self.post_tasks, *self.handlers)


@dataclass(frozen=True)
class Playbook:
    """A playbook file: where it is, the name errors show for it, its folder and its plays."""

    path: Path
    source: str
    base_dir: Path
    plays: tuple[Play, ...]

    def display(self, path: Path) -> str:
        """How errors show a file of the playbook's folder: beside the playbook's display name."""
        return _display(path, self.base_dir, self.source)

    def templar(self) -> Templar:
        """A Templar whose includes resolve like Ansible's: `templates/`, then the playbook's folder."""
        return Templar([self.base_dir / "templates", self.base_dir])


def _display(path: Path, base_dir: Path, source: str) -> str:
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


def _plain(value: Any) -> Any:
    """YAML data without its line bookkeeping: plain dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


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


class _PlaybookLoader:
    """Parses one playbook file; each method raises InputError with the file, line and field."""

    def __init__(self, path: Path, source: str, modules: Mapping[str, Module] | None) -> None:
        self.path = path
        self.source = source
        self.base_dir = path.parent
        self.modules = modules
        self.templar = Templar([self.base_dir / "templates", self.base_dir])

    def error(self, line: int | None, field: str | None, problem: str) -> InputError:
        return InputError(self.source, line, field, problem)

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
                except TemplateError as exc:
                    raise InputError(shown, name_line, f"{field}.{name}", exc.problem) from None
            found[name] = (_plain(item), Origin(shown, name_line))
        return found

    def keywords(self, data: LocatedMap, allowed: Sequence[str], ansible: frozenset[str], what: str) -> None:
        for key in data:
            line = data.line_of(key)
            if key in allowed:
                continue
            if key in NOT_YET:
                raise self.error(line, str(key), f"unsupported keyword {key!r} (includes, roles and blocks come later)")
            if key in ansible:
                raise self.error(line, str(key), f"unsupported keyword {key!r}")
            raise self.error(line, str(key), f"unknown {what} keyword {key!r}; a {what} has: {', '.join(allowed)}")

    # --- playbook and plays ---------------------------------------------------------------------

    def playbook(self, data: Any) -> Playbook:
        if not isinstance(data, LocatedList) or not data:
            raise self.error(getattr(data, "line", 1), None, "a playbook must be a non-empty list of plays")
        plays = []
        for index, item in enumerate(data):
            if not isinstance(item, LocatedMap):
                raise self.error(data.line_of(index), f"plays[{index}]", "a play must be a mapping")
            plays.append(self.play(item, index))
        return Playbook(path=self.path, source=self.source, base_dir=self.base_dir, plays=tuple(plays))

    def play(self, data: LocatedMap, index: int) -> Play:
        self.keywords(data, PLAY_KEYWORDS, ANSIBLE_PLAY_KEYWORDS, "play")
        hosts = self.hosts(data, index)
        tags = self.names(data, "tags", split_commas=True) if "tags" in data else ()
        variables = self.variables(data["vars"], data.line_of("vars"), "vars") if "vars" in data else {}
        if "vars_files" in data:
            variables.update(self.vars_files(data))
        sections: dict[str, tuple[Task, ...]] = {}
        for section in SECTIONS:
            sections[section] = self.tasks(data, section, tags, handlers=False)
        handlers = self.tasks(data, "handlers", tags, handlers=True)
        self.check_notify(sections, handlers)
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
            shown = _display(path, self.base_dir, self.source)
            if not path.is_file():
                raise self.error(line, "vars_files", f"file not found: {shown}")
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

    # --- tasks ----------------------------------------------------------------------------------

    def tasks(self, play: LocatedMap, section: str, play_tags: tuple[str, ...], *, handlers: bool) -> tuple[Task, ...]:
        value = play.get(section)
        if value is None:
            return ()
        if not isinstance(value, LocatedList):
            raise self.error(play.line_of(section), section, "must be a list of tasks")
        tasks: list[Task] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(value):
            where = f"{section}[{index}]"
            if not isinstance(item, LocatedMap):
                raise self.error(value.line_of(index), where, "a task must be a mapping")
            task = self.task(item, where, play_tags, handler=handlers)
            if handlers and "name" in item:
                if task.name in seen:
                    raise self.error(
                        item.line_of("name"), "name", f"duplicate handler name (first at line {seen[task.name]})"
                    )
                seen[task.name] = item.line_of("name")
            tasks.append(task)
        return tuple(tasks)

    def task_module(self, data: LocatedMap, where: str, handler: bool) -> tuple[str, Module]:
        allowed = HANDLER_KEYWORDS if handler else TASK_KEYWORDS
        found: list[tuple[str, Module]] = []
        for key in data:
            if key in allowed:
                continue
            line = data.line_of(key)
            if not isinstance(key, str):
                raise self.error(line, str(key), f"{key!r} is not a keyword or a module name")
            if key in NOT_YET:
                raise self.error(line, key, f"unsupported keyword {key!r} (includes, roles and blocks come later)")
            if key == "listen":
                raise self.error(line, key, "unsupported keyword 'listen' on a task (only handlers listen)")
            if key in ANSIBLE_TASK_KEYWORDS or key.startswith("with_"):
                raise self.error(line, key, f"unsupported keyword {key!r}")
            module = find_module(key, self.modules)
            if module is None:
                raise self.error(line, key, f"unknown module {key!r}")
            if found:
                raise self.error(
                    line,
                    key,
                    f"a task has exactly one module; it also has {found[0][0]!r} (line {data.line_of(found[0][0])})",
                )
            found.append((key, module))
        if not found:
            raise self.error(data.line, where, "no module: a task needs exactly one module (e.g. command, copy)")
        return found[0]

    def task(self, data: LocatedMap, where: str, play_tags: tuple[str, ...], *, handler: bool) -> Task:
        key, module = self.task_module(data, where, handler)
        args, arg_lines = self.module_args(data, key, module)
        loop_keyword = next((word for word in ("loop", "with_items") if word in data), None)
        if "loop" in data and "with_items" in data:
            raise self.error(data.line_of("with_items"), "with_items", "a task has either loop or with_items, not both")
        own_tags = self.names(data, "tags", split_commas=True) if "tags" in data else ()
        listen = self.names(data, "listen") if "listen" in data else ()
        if handler and "name" not in data and not listen:
            raise self.error(data.line, where, "a handler needs a name (or listen) to be notified")
        task = Task(
            name=self.name_value(data, "name")
            if "name" in data
            else default_task_name(module.name, args, module.free_form),
            module=module.name,
            args=args,
            when=self.condition_list(data, "when") if "when" in data else (),
            loop=self.loop(data, loop_keyword) if loop_keyword else None,
            loop_keyword=loop_keyword,
            loop_var=self.loop_var(data, loop_keyword),
            register=self.identifier(data, "register") if "register" in data else None,
            notify=self.names(data, "notify") if "notify" in data else (),
            listen=listen,
            tags=(*own_tags, *(tag for tag in play_tags if tag not in own_tags)),
            become=self.bool_value(data, "become") if "become" in data else None,
            become_user=self.name_value(data, "become_user") if "become_user" in data else None,
            changed_when=self.condition_list(data, "changed_when") if "changed_when" in data else None,
            failed_when=self.condition_list(data, "failed_when") if "failed_when" in data else None,
            ignore_errors=self.bool_value(data, "ignore_errors") if "ignore_errors" in data else False,
            vars={
                name: value for name, (value, _) in self.variables(data["vars"], data.line_of("vars"), "vars").items()
            }
            if "vars" in data
            else {},
            origin=Origin(self.source, data.line),
            arg_lines=arg_lines,
            keyword_lines={str(word): line for word, line in data.key_lines.items()},
        )
        self.check_args(task, module)
        return task

    def loop(self, data: LocatedMap, keyword: str) -> Any:
        value = data[keyword]
        line = data.line_of(keyword)
        if keyword == "loop" and not isinstance(value, list) and not (isinstance(value, str) and is_templated(value)):
            raise self.error(line, keyword, f"must be a list or a template giving one, got {value!r}")
        if keyword == "with_items" and isinstance(value, Mapping):
            raise self.error(line, keyword, "must be a list or a template giving one, got a mapping")
        self.jinja(value, line, keyword)
        return _plain(value)

    def loop_var(self, data: LocatedMap, loop_keyword: str | None) -> str:
        if "loop_control" not in data:
            return "item"
        control = data["loop_control"]
        line = data.line_of("loop_control")
        if loop_keyword is None:
            raise self.error(line, "loop_control", "loop_control without loop or with_items")
        if not isinstance(control, LocatedMap):
            raise self.error(line, "loop_control", "must be a mapping")
        for key in control:
            if key not in LOOP_CONTROL_KEYS:
                raise self.error(control.line_of(key), f"loop_control.{key}", f"unsupported loop_control key {key!r}")
        return self.identifier(control, "loop_var") if "loop_var" in control else "item"

    def module_args(self, data: LocatedMap, key: str, module: Module) -> tuple[dict[str, Any], dict[str, int]]:
        """The module's arguments (the `args` keyword, then the module's own, which win) and their lines."""
        raw: list[tuple[str, Any, int]] = []
        if "args" in data:
            extra = data["args"]
            if not isinstance(extra, LocatedMap):
                raise self.error(data.line_of("args"), "args", "must be a mapping of module arguments")
            raw.extend((str(name), value, extra.line_of(name)) for name, value in extra.items())
        value = data[key]
        line = data.line_of(key)
        if isinstance(value, LocatedMap):
            raw.extend((str(name), item, value.line_of(name)) for name, item in value.items())
        elif isinstance(value, str):
            try:
                inline = parse_inline_args(value, module.free_form, set(module.params))
            except ValueError as exc:
                raise self.error(line, key, str(exc)) from None
            raw.extend((name, item, line) for name, item in inline.items())
        elif value is not None:
            raise self.error(line, key, "module arguments must be a mapping or a key=value string")
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
            args[canonical] = _plain(item)
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
        found = find_controller_file(self.base_dir, module.name, src)
        if found is None:
            searched = ", ".join(
                _display(path, self.base_dir, self.source)
                for path in controller_file_candidates(self.base_dir, module.name, src)
            )
            raise self.error(
                task.line_of("src"), f"{module.name}.src", f"file not found: {src!r} (searched {searched})"
            )
        if module.name == "template":
            shown = _display(found, self.base_dir, self.source)
            try:
                self.templar.check_file_syntax(found, shown)
            except TemplateError as exc:
                problem = f"{exc.problem} (template of the task at {task.origin})"
                raise InputError(exc.template or shown, exc.line, None, problem) from None


def parse_playbook(data: Any, path: Path, source: str, modules: Mapping[str, Module] | None = None) -> Playbook:
    """Build a playbook from parsed YAML (with lines); `path` locates vars_files and controller files."""
    return _PlaybookLoader(path, source, modules).playbook(data)


def load_playbook(path: Path, display: str | None = None, modules: Mapping[str, Module] | None = None) -> Playbook:
    """Load and validate a playbook; `display` is the name errors show; `modules` defaults to the registry."""
    source = display or str(path)
    return parse_playbook(load_yaml_file(path, source), path, source, modules)
