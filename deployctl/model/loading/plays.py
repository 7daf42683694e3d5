"""Plays: a playbook's list of plays, import_playbook, a play's keywords (hosts, vars_files, serial...), and the
entry points that load a playbook with the modules its tasks may use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from deployctl.errors import InputError
from deployctl.model.inventory import Origin
from deployctl.model.loading import roles, steps
from deployctl.model.loading.keywords import (
    ANSIBLE_PLAY_KEYWORDS,
    MAX_INCLUDE_DEPTH,
    PLAY_KEYWORDS,
    SECTIONS,
)
from deployctl.model.loading.source import Inherit, LoadState, SourceFile
from deployctl.model.playbook import (
    Play,
    Playbook,
    Step,
    Task,
    UnsupportedContentError,
    display_path,
    leaf_tasks,
)
from deployctl.model.project import project_roles_path
from deployctl.model.unsupported import playbook_unsupported
from deployctl.modules.base import Module
from deployctl.modules.registry import MODULES
from deployctl.templating import is_templated
from deployctl.yamlsource import LocatedList, LocatedMap, load_yaml_file


def playbook_plays(at: SourceFile, data: Any, chain: tuple[Path, ...] = ()) -> list[Play]:
    if not isinstance(data, LocatedList) or not data:
        raise at.error(getattr(data, "line", 1), None, "a playbook must be a non-empty list of plays")
    plays: list[Play] = []
    for index, item in enumerate(data):
        if not isinstance(item, LocatedMap):
            raise at.error(data.line_of(index), f"plays[{index}]", "a play must be a mapping")
        if "import_playbook" in item:
            plays.extend(import_playbook(at, item, (*chain, at.path)))
            continue
        try:
            plays.append(parse_play(at, item, index))
        except InputError as exc:
            at.state.problems.append(exc)
    return plays


def import_playbook(at: SourceFile, data: LocatedMap, chain: tuple[Path, ...]) -> list[Play]:
    line = data.line_of("import_playbook")
    at.keywords(data, ("import_playbook", "name", "vars", "tags", "when"), ANSIBLE_PLAY_KEYWORDS, "import_playbook")
    for key in ("vars", "tags", "when"):
        if key in data:
            at.unsupported(data.line_of(key), key, f"{key!r} on import_playbook is not supported")
    name = data["import_playbook"]
    if not isinstance(name, str) or not name.strip() or is_templated(name):
        raise at.error(line, "import_playbook", "must be a playbook file name (not templated)")
    path = Path(name) if Path(name).is_absolute() else at.path.parent / name
    if not path.is_file():
        raise at.error(
            line,
            "import_playbook",
            f"file not found: {display_path(path, at.base_dir, at.state.playbook_source)}",
        )
    if path in chain or len(chain) > MAX_INCLUDE_DEPTH:
        raise at.error(line, "import_playbook", f"{name} imports itself")
    at.use(path, line, "import_playbook")
    loader = at.child(path)
    return playbook_plays(loader, load_yaml_file(path, loader.source), chain)


def parse_play(at: SourceFile, data: LocatedMap, index: int) -> Play:
    at.keywords(data, PLAY_KEYWORDS, ANSIBLE_PLAY_KEYWORDS, "play")
    hosts = hosts_pattern(at, data, index)
    tags = at.names(data, "tags", split_commas=True) if "tags" in data else ()
    variables = at.variables(data["vars"], data.line_of("vars"), "vars") if "vars" in data else {}
    if "vars_files" in data:
        variables.update(vars_files(at, data))
    at.state.role_handlers = []
    at.state.play_roles = []
    at.state.roles_run = set()
    inherit = Inherit(
        tags=tags,
        no_log=at.flag(data, "no_log") if "no_log" in data else False,
        diff=at.flag(data, "diff") if "diff" in data else True,
        environment=at.environment(data),
        run_once=at.bool_value(data, "run_once") if "run_once" in data else False,
    )
    section_steps: dict[str, tuple[Step, ...]] = {}
    for section in SECTIONS:
        role_steps = roles.play_roles(at, data, inherit) if section == "tasks" and "roles" in data else []
        section_steps[section] = (*role_steps, *steps.section_steps(at, data, section, inherit))
    handlers = (*at.state.role_handlers, *steps.section_tasks(at, data, "handlers", inherit, handlers=True))
    sections = {section: tuple(leaf_tasks(found)) for section, found in section_steps.items()}
    if not at.state.problems:
        check_notify(at, sections, handlers)
    role_defaults: dict[str, Any] = {}
    role_vars: dict[str, Any] = {}
    for role in at.state.play_roles:
        role_defaults.update(role.defaults)
        role_vars.update(role.vars)
    return Play(
        name=at.name_value(data, "name") if "name" in data else hosts,
        hosts=hosts,
        vars={name: value for name, (value, _) in variables.items()},
        var_origins={name: origin for name, (_, origin) in variables.items()},
        become=at.bool_value(data, "become") if "become" in data else False,
        become_user=at.name_value(data, "become_user") if "become_user" in data else None,
        serial=serial_batches(at, data) if "serial" in data else (),
        max_fail_percentage=max_fail_percentage(at, data) if "max_fail_percentage" in data else None,
        pre_tasks=sections["pre_tasks"],
        tasks=sections["tasks"],
        post_tasks=sections["post_tasks"],
        handlers=handlers,
        tags=tags,
        gather_facts=at.bool_value(data, "gather_facts") if "gather_facts" in data else True,
        origin=Origin(at.source, data.line),
        keyword_lines=dict(data.key_lines),
        steps=section_steps,
        role_defaults=role_defaults,
        role_vars=role_vars,
    )


def hosts_pattern(at: SourceFile, data: LocatedMap, index: int) -> str:
    if "hosts" not in data:
        raise at.error(data.line, "hosts", f"missing: play {index + 1} must say which hosts it targets")
    value = data["hosts"]
    items = list(value) if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        raise at.error(data.line_of("hosts"), "hosts", "must be a host pattern or a list of them")
    pattern = ",".join(item.strip() for item in items)
    if is_templated(pattern):
        raise at.error(data.line_of("hosts"), "hosts", "templated host patterns are not supported")
    return pattern


def vars_files(at: SourceFile, data: LocatedMap) -> dict[str, tuple[Any, Origin]]:
    value = data["vars_files"]
    entries = value if isinstance(value, LocatedList) else None
    if entries is None and not isinstance(value, str):
        raise at.error(data.line_of("vars_files"), "vars_files", "must be a list of file paths")
    found: dict[str, tuple[Any, Origin]] = {}
    for position, entry in enumerate(entries if entries is not None else [value]):
        line = entries.line_of(position) if entries is not None else data.line_of("vars_files")
        if not isinstance(entry, str) or not entry.strip():
            raise at.error(
                line, "vars_files", "each entry must be a file path (lists of alternatives are not supported)"
            )
        if is_templated(entry):
            raise at.error(line, "vars_files", f"templated paths are not supported: {entry!r}")
        path = Path(entry) if Path(entry).is_absolute() else at.base_dir / entry
        shown = display_path(path, at.base_dir, at.source)
        if not path.is_file():
            raise at.error(line, "vars_files", f"file not found: {shown}")
        at.use(path, line, "vars_files")
        content = load_yaml_file(path, shown)
        if content is None:
            continue
        if not isinstance(content, LocatedMap):
            raise InputError(shown, getattr(content, "line", 1), None, "a vars file must be a mapping of variables")
        found.update(at.variables(content, content.line, "vars", source=shown))
    return found


def serial_batches(at: SourceFile, data: LocatedMap) -> tuple[int | str, ...]:
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
        raise at.error(
            line, "serial", f"must be a number of hosts, a percentage like '30%' or a list of them, got {item!r}"
        )
    if not batches:
        raise at.error(line, "serial", "must not be an empty list")
    return tuple(batches)


def max_fail_percentage(at: SourceFile, data: LocatedMap) -> float:
    value = data["max_fail_percentage"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise at.error(
            data.line_of("max_fail_percentage"),
            "max_fail_percentage",
            f"must be a number from 0 to 100, got {value!r}",
        )
    return float(value)


def check_notify(at: SourceFile, sections: Mapping[str, tuple[Task, ...]], handlers: tuple[Task, ...]) -> None:
    topics = {topic for handler in handlers for topic in handler.listen}
    topics |= {handler.name for handler in handlers if "name" in handler.keyword_lines}
    for task in (*[task for tasks in sections.values() for task in tasks], *handlers):
        for name in task.notify:
            if name not in topics:
                known = ", ".join(repr(topic) for topic in sorted(topics)) or "none"
                raise at.error(
                    task.line_of("notify"),
                    "notify",
                    f"no handler named {name!r} (handlers and listen topics: {known})",
                )


def parse_playbook(
    data: Any,
    path: Path,
    source: str,
    modules: Mapping[str, Module] | None = None,
    roles_path: Sequence[Path] | None = None,
) -> Playbook:
    """Build a playbook from parsed YAML (with lines); `path` locates vars_files, roles and controller files.

    Every unsupported keyword or module, and every invalid task, in the whole content (roles and
    included files too) is collected; if there is any, UnsupportedContentError lists them all, with the
    unsupported tasks every host reaches (the others only fail a host that reaches them).
    `roles_path` defaults to the `roles_path` of the project holding the playbook. `modules` (the
    registry's by default) is the one place the loader learns which modules exist.
    """
    playbook, problems = read_playbook(data, path, source, modules, roles_path)
    if problems:  # listed with the unsupported tasks every host reaches, so that one pass shows all
        certain = [problem for use in playbook_unsupported(playbook) if use.certain for problem in use.task.unsupported]
        raise UnsupportedContentError(_unique([*problems, *certain]))
    return playbook


def read_playbook(
    data: Any,
    path: Path,
    source: str,
    modules: Mapping[str, Module] | None = None,
    roles_path: Sequence[Path] | None = None,
) -> tuple[Playbook, list[InputError]]:
    """The playbook as far as it loads (what refuses a play or a task leaves it out), and what refuses it."""
    found_roles_path = tuple(roles_path) if roles_path is not None else project_roles_path(path.parent)
    state = LoadState(MODULES if modules is None else modules, source, path.parent, found_roles_path)
    plays = playbook_plays(SourceFile(path, source, state), data)
    playbook = Playbook(path=path, source=source, base_dir=path.parent, plays=tuple(plays), uses=tuple(state.uses))
    return playbook, _unique(state.problems)


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
