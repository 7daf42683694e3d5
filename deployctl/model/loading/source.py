"""One file of the content being loaded: where its errors point, what it passes down, and the value checks
every part of the loader shares (keywords, names, conditions, variables, Jinja syntax).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployctl.booleans import parse_bool
from deployctl.errors import InputError
from deployctl.lookups import LookupSite
from deployctl.model.environment import BadEnvironmentError, environment_layers
from deployctl.model.inventory import Origin
from deployctl.model.loading.keywords import INERT_KEYWORDS
from deployctl.model.playbook import ContentUse, RoleScope, Task, display_path, plain_data
from deployctl.model.roles import RoleFolder
from deployctl.modules.base import Module
from deployctl.templating import Templar, TemplateError, UnsupportedLookupError, is_templated
from deployctl.yamlsource import LocatedList, LocatedMap


@dataclass(frozen=True)
class Inherit:
    """What a task takes from the play, blocks, imports and role entries around it."""

    tags: tuple[str, ...] = ()
    when: tuple[str, ...] = ()
    become: bool | str | None = None
    become_user: str | None = None
    vars: Mapping[str, Any] = field(default_factory=dict)
    ignore_errors: bool | str | None = None
    check_mode: bool | str | None = None
    delegate_to: str | None = None
    no_log: bool | str = False
    diff: bool | str = True
    environment: tuple[Any, ...] = ()
    run_once: bool = False
    role: RoleScope | None = None
    role_folder: RoleFolder | None = None
    chain: tuple[Path, ...] = ()
    unsupported: tuple[InputError, ...] = ()
    """Unsupported keywords of the blocks, imports and role entries around: every task under them keeps them."""


@dataclass
class LoadState:
    """State of one playbook's load, shared by the loaders of every file it reaches."""

    modules: Mapping[str, Module]
    """The modules tasks may use: given once, by the caller of the load (the registry's by default)."""
    playbook_source: str
    base_dir: Path
    roles_path: tuple[Path, ...]
    problems: list[InputError] = field(default_factory=list)
    role_handlers: list[Task] = field(default_factory=list)
    play_roles: list[RoleScope] = field(default_factory=list)
    roles_run: set[tuple[Path, str]] = field(default_factory=set)
    templar: Templar | None = None
    uses: list[ContentUse] = field(default_factory=list)
    task_problems: list[InputError] | None = None
    """While a task is parsed: where its unsupported keywords, modules and parameters go (the task keeps them)."""


class SourceFile:
    """One file of a playbook's content; every check raises (or records) InputError with its file, line and field."""

    def __init__(self, path: Path, source: str, state: LoadState) -> None:
        self.path = path
        self.source = source
        self.state = state
        self.base_dir = state.base_dir
        self.modules = state.modules
        if state.templar is None:
            state.templar = Templar([self.base_dir / "templates", self.base_dir], LookupSite((self.base_dir,)))
        self.templar = state.templar

    def child(self, path: Path) -> SourceFile:
        """A loader for another file of the same content (a role's, an included one)."""
        return SourceFile(path, display_path(path, self.base_dir, self.state.playbook_source), self.state)

    def error(self, line: int | None, field: str | None, problem: str) -> InputError:
        return InputError(self.source, line, field, problem)

    def use(self, path: Path, line: int | None, field: str) -> None:
        """Note a file or folder the content reads (a release takes it in), and where it names it."""
        self.state.uses.append(ContentUse(path, self.source, line, field))

    def unsupported(self, line: int | None, field: str, problem: str) -> None:
        """Record an unsupported keyword or module; loading goes on so that every one is listed.

        Inside a task, the task keeps it (it fails only on a host that reaches it); elsewhere it refuses the load.
        """
        self.unsupported_problem(self.error(line, field, problem))

    @contextmanager
    def task_problems(self) -> Iterator[list[InputError]]:
        """Collect the unsupported uses recorded inside: tasks keep them (they fail where they run), not the load."""
        outer = self.state.task_problems
        found: list[InputError] = []
        self.state.task_problems = found
        try:
            yield found
        finally:
            self.state.task_problems = outer

    def unsupported_problem(self, found: InputError) -> None:
        """Record an unsupported use found anywhere (a template file's lookup), as `unsupported` does."""
        (self.state.problems if self.state.task_problems is None else self.state.task_problems).append(found)

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
                    self.state.problems.append(InputError(shown, name_line, f"{field}.{name}", exc.problem))
                except TemplateError as exc:
                    raise InputError(shown, name_line, f"{field}.{name}", exc.problem) from None
            found[name] = (plain_data(item), Origin(shown, name_line))
        return found

    def keywords(self, data: LocatedMap, allowed: Sequence[str], ansible: frozenset[str], what: str) -> bool:
        """Record every keyword not in `allowed`; False when there was one."""
        clean = True
        for key in data:
            line = data.line_of(key)
            if key in allowed or key in INERT_KEYWORDS:
                continue
            clean = False
            if key in ansible:
                self.unsupported(line, str(key), f"unsupported keyword {key!r}")
            else:
                self.unsupported(line, str(key), f"unknown {what} keyword {key!r}; a {what} has: {', '.join(allowed)}")
        return clean
