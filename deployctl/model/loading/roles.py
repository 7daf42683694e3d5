"""Roles: a play's `roles:` entries, a role's folder (meta dependencies, defaults, vars, tasks, handlers) expanded
into steps as Ansible's parser does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from deployctl.errors import InputError
from deployctl.model.loading import steps
from deployctl.model.loading.keywords import (
    ANSIBLE_PLAY_KEYWORDS,
    ANSIBLE_TASK_KEYWORDS,
    INERT_KEYWORDS,
    MAX_INCLUDE_DEPTH,
    ROLE_ENTRY_KEYWORDS,
)
from deployctl.model.loading.source import Inherit, SourceFile
from deployctl.model.playbook import (
    RoleScope,
    Step,
    Task,
    display_path,
)
from deployctl.model.roles import RoleFolder, find_role, role_search_dirs
from deployctl.templating import is_templated
from deployctl.yamlsource import LocatedList, LocatedMap, load_yaml_file


def play_roles(at: SourceFile, play: LocatedMap, inherit: Inherit) -> list[Step]:
    value = play["roles"]
    if not isinstance(value, LocatedList):
        raise at.error(play.line_of("roles"), "roles", "must be a list of roles")
    steps: list[Step] = []
    for index, entry in enumerate(value):
        line = value.line_of(index)
        try:
            steps.extend(role_entry(at, entry, line, f"roles[{index}]", inherit))
        except InputError as exc:
            at.state.problems.append(exc)
    return steps


def role_entry(at: SourceFile, entry: Any, line: int, where: str, inherit: Inherit) -> list[Step]:
    """One `roles:` entry: a name, or a mapping with `role` (or `name`), keywords and role params."""
    if isinstance(entry, str):
        return role_steps(at, entry, line, where, inherit, {}, public=True)
    if not isinstance(entry, LocatedMap):
        raise at.error(line, where, "a role entry is a role name or a mapping with `role`")
    key = "role" if "role" in entry else "name" if "name" in entry else None
    if key is None:
        raise at.error(line, where, "a role entry needs `role` (the role's name)")
    name = entry[key]
    if not isinstance(name, str) or not name.strip() or is_templated(name):
        raise at.error(entry.line_of(key), key, "must be a role name (not templated)")
    params: dict[str, Any] = {}
    extra = LocatedMap(entry.source, entry.line)
    with at.task_problems() as unsupported:
        for param, item in entry.items():
            if param in ROLE_ENTRY_KEYWORDS or param in INERT_KEYWORDS:
                continue
            if param in ANSIBLE_TASK_KEYWORDS or param in ANSIBLE_PLAY_KEYWORDS:
                at.unsupported(entry.line_of(param), str(param), f"unsupported keyword {param!r} on a role")
                continue
            extra[param] = item
            extra.key_lines[param] = entry.line_of(param)
    params.update({n: v for n, (v, _) in at.variables(extra, entry.line, where).items()})
    if "vars" in entry:
        params.update({n: v for n, (v, _) in at.variables(entry["vars"], entry.line_of("vars"), "vars").items()})
    inner = steps.passed_down(at, entry, inherit, unsupported)
    return role_steps(at, name, entry.line_of(key), where, inner, params, public=True)


def role_steps(
    at: SourceFile,
    name: str,
    line: int,
    where: str,
    inherit: Inherit,
    params: Mapping[str, Any],
    *,
    public: bool,
    parts: Mapping[str, str] | None = None,
    dedupe: bool = True,
    handlers_out: list[Task] | None = None,
) -> list[Step]:
    """A role's steps (its dependencies' first); its handlers go to the play (or `handlers_out`)."""
    parts = parts or {}
    folder = find_role(name, role_search_dirs(at.base_dir, at.state.roles_path), at.path.parent)
    if folder is None:
        searched = ", ".join(
            display_path(path, at.base_dir, at.state.playbook_source)
            for path in role_search_dirs(at.base_dir, at.state.roles_path)
        )
        raise at.error(line, where, f"role {name!r} not found (searched {searched})")
    at.use(folder.path, line, where)
    if folder.path in inherit.chain or len(inherit.chain) > MAX_INCLUDE_DEPTH:
        raise at.error(line, where, f"role {name!r} depends on itself")
    key = (folder.path.resolve(), repr(sorted(params.items())) + repr(sorted(parts.items())))
    if dedupe and key in at.state.roles_run:
        return []  # as Ansible: a role runs once per play unless its parameters differ
    at.state.roles_run.add(key)
    chain = (*inherit.chain, folder.path)
    found: list[Step] = []
    dep_defaults: dict[str, Any] = {}
    dep_vars: dict[str, Any] = {}
    meta = folder.part("meta")
    if meta is not None:
        for dep_steps, dep_scope in dependencies(at, meta, replace(inherit, chain=chain), handlers_out):
            found.extend(dep_steps)
            if dep_scope is not None:
                dep_defaults.update(dep_scope.defaults)
                dep_vars.update(dep_scope.vars)
    defaults = {**dep_defaults, **role_vars_file(at, folder, "defaults", parts.get("defaults_from", "main"))}
    own_vars = {**dep_vars, **role_vars_file(at, folder, "vars", parts.get("vars_from", "main"))}
    scope = RoleScope(folder.name, folder.path, defaults, own_vars, dict(params))
    if public:
        at.state.play_roles.append(scope)
    role_inherit = replace(inherit, role=scope, role_folder=folder, chain=chain)
    tasks_file = folder.part("tasks", parts.get("tasks_from", "main"))
    if tasks_file is None and "tasks_from" in parts:
        raise at.error(line, "tasks_from", f"no tasks/{parts['tasks_from']}.yml in role {name!r}")
    if tasks_file is not None:
        loader = at.child(tasks_file)
        found.extend(steps.file_steps(loader, tasks_file, role_inherit))
    handlers_file = folder.part("handlers", parts.get("handlers_from", "main"))
    if handlers_file is not None:
        loader = at.child(handlers_file)
        data = load_yaml_file(handlers_file, loader.source)
        if data is not None:
            holder = LocatedMap(loader.source, 1)
            holder["handlers"] = data
            handlers = steps.section_tasks(loader, holder, "handlers", replace(role_inherit, tags=()), handlers=True)
            (handlers_out if handlers_out is not None else at.state.role_handlers).extend(handlers)
    return found


def dependencies(
    at: SourceFile, meta: Path, inherit: Inherit, handlers_out: list[Task] | None
) -> list[tuple[list[Step], RoleScope | None]]:
    loader = at.child(meta)
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
        before = len(at.state.play_roles)
        entry_steps = role_entry(
            loader, entry, line, f"dependencies[{index}]", replace(inherit, role=None, role_folder=None)
        )
        scope = at.state.play_roles[-1] if len(at.state.play_roles) > before else None
        found.append((entry_steps, scope))
    return found


def role_vars_file(at: SourceFile, folder: RoleFolder, part: str, name: str) -> dict[str, Any]:
    path = folder.part(part, name)
    if path is None:
        return {}
    shown = display_path(path, at.base_dir, at.state.playbook_source)
    content = load_yaml_file(path, shown)
    if content is None:
        return {}
    if not isinstance(content, LocatedMap):
        raise InputError(shown, getattr(content, "line", 1), None, f"a role's {part} file must be a mapping")
    return {n: v for n, (v, _) in at.variables(content, content.line, part, source=shown).items()}
