"""Steps: task lists, blocks and the keywords they pass down, static imports (expanded now) and the candidate
files of dynamic includes (loaded now, chosen by the run)."""

from __future__ import annotations

import glob
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from deployctl.errors import InputError
from deployctl.lookups import split_names
from deployctl.model.inventory import Origin
from deployctl.model.loading import actions, roles
from deployctl.model.loading.keywords import (
    ANSIBLE_TASK_KEYWORDS,
    APPLY_KEYWORDS,
    BLOCK_KEYWORDS,
    MAX_INCLUDE_DEPTH,
    STATIC_IMPORTS,
)
from deployctl.model.loading.source import Inherit, SourceFile
from deployctl.model.playbook import (
    Block,
    Included,
    Step,
    Task,
    display_path,
    task_file_candidates,
)
from deployctl.modules.registry import canonical_name
from deployctl.templating import is_templated
from deployctl.yamlsource import LocatedList, LocatedMap, load_yaml_file

TEMPLATED_PART = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
"""The templated parts of a file name, which a candidate file may fill with anything (`*`)."""


def file_steps(at: SourceFile, path: Path, inherit: Inherit) -> list[Step]:
    """The steps of a task file (a role's tasks/main.yml, an imported or included file)."""
    data = load_yaml_file(path, at.source)
    if data is None:
        return []
    holder = LocatedMap(at.source, 1)
    holder["tasks"] = data
    return section_steps(at, holder, "tasks", replace(inherit, chain=(*inherit.chain, path)))


def section_items(at: SourceFile, parent: LocatedMap, section: str) -> Iterator[tuple[LocatedMap, str]]:
    """A task list's mappings with their place (`tasks[2]`); an item that is not a mapping is a problem."""
    value = parent.get(section)
    if value is None:
        return
    if not isinstance(value, LocatedList):
        raise at.error(parent.line_of(section), section, "must be a list of tasks")
    for index, item in enumerate(value):
        where = f"{section}[{index}]"
        if isinstance(item, LocatedMap):
            yield item, where
        else:
            at.state.problems.append(at.error(value.line_of(index), where, "a task must be a mapping"))


def section_steps(at: SourceFile, parent: LocatedMap, section: str, inherit: Inherit) -> list[Step]:
    steps: list[Step] = []
    for item, where in section_items(at, parent, section):
        try:
            steps.extend(parse_step(at, item, where, inherit))
        except InputError as exc:
            at.state.problems.append(exc)
    return steps


def parse_step(at: SourceFile, data: LocatedMap, where: str, inherit: Inherit) -> list[Step]:
    if "block" in data:
        return [parse_block(at, data, inherit)]
    static = next((key for key in data if isinstance(key, str) and canonical_name(key) in STATIC_IMPORTS), None)
    if static is not None:
        return static_import(at, data, static, inherit)
    if "import_playbook" in data:
        raise at.error(data.line_of("import_playbook"), "import_playbook", "import_playbook is a play, not a task")
    return [actions.parse_task(at, data, where, inherit, handler=False)]


def passed_down(at: SourceFile, data: LocatedMap, outer: Inherit, unsupported: Sequence[InputError] = ()) -> Inherit:
    """What a block, import or role entry passes down (its unsupported keywords too), merged with what it inherits."""
    tags = at.names(data, "tags", split_commas=True) if "tags" in data else ()
    own_vars = (
        {n: v for n, (v, _) in at.variables(data["vars"], data.line_of("vars"), "vars").items()}
        if "vars" in data
        else {}
    )
    return replace(
        outer,
        tags=(*tags, *(tag for tag in outer.tags if tag not in tags)),
        when=(*outer.when, *(at.condition_list(data, "when") if "when" in data else ())),
        become=at.flag(data, "become") if "become" in data else outer.become,
        become_user=at.name_value(data, "become_user") if "become_user" in data else outer.become_user,
        vars={**outer.vars, **own_vars},
        ignore_errors=at.flag(data, "ignore_errors") if "ignore_errors" in data else outer.ignore_errors,
        check_mode=at.flag(data, "check_mode") if "check_mode" in data else outer.check_mode,
        delegate_to=actions.delegate_value(at, data) if "delegate_to" in data else outer.delegate_to,
        no_log=at.flag(data, "no_log") if "no_log" in data else outer.no_log,
        diff=at.flag(data, "diff") if "diff" in data else outer.diff,
        environment=(*outer.environment, *at.environment(data)),
        run_once=at.bool_value(data, "run_once") if "run_once" in data else outer.run_once,
        unsupported=(*outer.unsupported, *unsupported),
    )


def applied(at: SourceFile, apply: LocatedMap | None, inherit: Inherit) -> Inherit:
    """What included tasks inherit: the include's surroundings, then its `apply` keywords (passed down as a block's,
    its unsupported keywords too)."""
    if apply is None:
        return inherit
    with at.task_problems() as unsupported:
        at.keywords(apply, APPLY_KEYWORDS, ANSIBLE_TASK_KEYWORDS, "apply")
    return passed_down(at, apply, inherit, unsupported)


def parse_block(at: SourceFile, data: LocatedMap, inherit: Inherit) -> Block:
    with at.task_problems() as unsupported:
        at.keywords(data, BLOCK_KEYWORDS, ANSIBLE_TASK_KEYWORDS, "block")
    inner = passed_down(at, data, inherit, unsupported)
    parts: dict[str, tuple[Step, ...]] = {}
    for part in ("block", "rescue", "always"):
        parts[part] = tuple(section_steps(at, data, part, inner)) if part in data else ()
    return Block(
        name=at.name_value(data, "name") if "name" in data else "block",
        block=parts["block"],
        rescue=parts["rescue"],
        always=parts["always"],
        origin=Origin(at.source, data.line),
    )


def static_import(at: SourceFile, data: LocatedMap, key: str, inherit: Inherit) -> list[Step]:
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
    with at.task_problems() as unsupported:
        at.keywords(data, allowed, ANSIBLE_TASK_KEYWORDS, kind)
    args, _ = actions.action_args(at, data, key, STATIC_IMPORTS[kind])
    inner = passed_down(at, data, inherit, unsupported)
    line = data.line_of(key)
    if kind == "import_role":
        name = args["name"]
        if not isinstance(name, str) or is_templated(name):
            raise at.error(line, f"{key}.name", "must be a role name (not templated)")
        parts: dict[str, str] = {
            part: str(args[part])
            for part in ("tasks_from", "vars_from", "defaults_from", "handlers_from")
            if part in args
        }
        return roles.role_steps(at, name, line, key, inner, {}, public=True, parts=parts)
    name = args["file"]
    if not isinstance(name, str) or is_templated(name):
        raise at.error(line, f"{key}.file", "import_tasks needs a file name without templating (use include_tasks)")
    path = task_file(at, name, inner)
    if path is None:
        raise at.error(line, f"{key}.file", f"file not found: {name!r}")
    if path in inherit.chain or len(inherit.chain) > MAX_INCLUDE_DEPTH:
        raise at.error(line, key, f"{name} imports itself")
    at.use(path, line, f"{key}.file")
    return file_steps(at.child(path), path, inner)


def file_dirs(at: SourceFile, inherit: Inherit) -> tuple[Path, ...]:
    """Where a task's files are searched: its role's folder, its own file's folder, the playbook's."""
    found: list[Path] = []
    for folder in (
        inherit.role_folder.path if inherit.role_folder else None,
        at.path.parent if inherit.role_folder is None else None,
        at.base_dir,
    ):
        if folder is not None and folder not in found:
            found.append(folder)
    return tuple(found)


def task_file(at: SourceFile, name: str, inherit: Inherit) -> Path | None:
    """A task file to import or include: the role's tasks/, the current file's folder, the playbook's."""
    path = Path(name)
    if path.is_absolute():
        return path if path.is_file() else None
    folders = [inherit.role_folder.path / "tasks"] if inherit.role_folder else []
    folders += [at.path.parent, at.base_dir]
    return next((folder / path for folder in folders if (folder / path).is_file()), None)


def section_tasks(
    at: SourceFile, play: LocatedMap, section: str, inherit: Inherit, *, handlers: bool
) -> tuple[Task, ...]:
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for item, where in section_items(at, play, section):
        try:
            task = actions.parse_task(at, item, where, inherit, handler=handlers)
        except InputError as exc:
            at.state.problems.append(exc)
            continue
        if handlers and "name" in item:
            if task.name in seen:
                raise at.error(
                    item.line_of("name"), "name", f"duplicate handler name (first at line {seen[task.name]})"
                )
            seen[task.name] = item.line_of("name")
        tasks.append(task)
    return tuple(tasks)


def candidate_names(at: SourceFile, task: Task) -> list[str]:
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


def globbed(at: SourceFile, task: Task, kind: str, name: str, inherit: Inherit) -> list[Path]:
    pattern = TEMPLATED_PART.sub("*", name)
    found: list[Path] = []
    candidates = task_file_candidates(task, kind, pattern, at.base_dir)
    if "*" in pattern and not Path(pattern).is_absolute():  # a wildcard only searches the `kind` folders
        candidates = [folder / kind / pattern for folder in task.file_dirs or (at.base_dir,)]
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
        direct = task_file(at, name, inherit)
        if direct is not None:
            found.append(direct)
    return found


def include_candidates(
    at: SourceFile, task: Task, inherit: Inherit, apply: LocatedMap | None = None
) -> dict[str, Included]:
    candidates: dict[str, Included] = {}
    for name in candidate_names(at, task):
        for path in globbed(at, task, "tasks", name, inherit):
            if str(path) in candidates:
                continue
            if path in inherit.chain or len(inherit.chain) > MAX_INCLUDE_DEPTH:
                continue  # a file including itself: the run reports it if it is ever chosen
            at.use(path, task.line_of("file"), f"{task.module}.file")
            before = len(at.state.problems)
            try:
                found = file_steps(
                    at.child(path),
                    path,
                    applied(at, apply, replace(inherit, when=(), tags=(), vars={**inherit.vars, **task.vars})),
                )
            except InputError as exc:
                at.state.problems.append(exc)
                found = []
            problem = at.state.problems[before] if len(at.state.problems) > before else None
            candidates[str(path)] = Included(tuple(found), (), problem)
    if not candidates:
        file_arg = task.args.get("file")
        if isinstance(file_arg, str) and not is_templated(file_arg):
            raise at.error(task.line_of("file"), "include_tasks.file", f"file not found: {file_arg!r}")
    return candidates


def vars_candidates(at: SourceFile, task: Task, inherit: Inherit) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for name in candidate_names(at, task):
        for path in globbed(at, task, "vars", name, inherit):
            at.use(path, task.line_of("file"), f"{task.module}.file")
            shown = display_path(path, at.base_dir, at.state.playbook_source)
            content = load_yaml_file(path, shown)
            if content is None:
                found[str(path)] = {}
                continue
            if not isinstance(content, LocatedMap):
                raise InputError(shown, getattr(content, "line", 1), None, "a vars file must be a mapping of variables")
            found[str(path)] = {n: v for n, (v, _) in at.variables(content, content.line, "vars", source=shown).items()}
    file_arg = task.args.get("file")
    if not found and isinstance(file_arg, str) and not is_templated(file_arg) and task.loop_keyword is None:
        raise at.error(task.line_of("file"), "include_vars.file", f"file not found: {file_arg!r}")
    return found
