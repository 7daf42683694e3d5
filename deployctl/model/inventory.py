"""Ansible YAML inventories, one file per stage, with group_vars and host_vars beside the file.

Read as Ansible reads them: top-level groups (usually `all`) with `hosts`, `vars` and `children`;
host ranges; variables merged with Ansible's precedence (inventory file group vars, group_vars/all,
group_vars/<group> by depth, inventory file host vars, host_vars/<host>).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployctl.booleans import parse_bool
from deployctl.errors import InputError
from deployctl.model.hostpattern import expand_host_range, match_hosts
from deployctl.model.project import Project
from deployctl.yamlsource import LocatedMap, load_yaml_file

GROUP_KEYS = ("hosts", "vars", "children")
VARS_SUFFIXES = ("", ".yml", ".yaml", ".json")


@dataclass(frozen=True)
class Origin:
    """Where something was written: a file (as shown to the user) and a line."""

    source: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class InventoryHost:
    """A host of one stage, with its groups and its variables merged by Ansible's precedence."""

    name: str
    stage: str
    groups: tuple[str, ...]
    vars: Mapping[str, Any]
    var_origins: Mapping[str, Origin]
    origin: Origin

    @property
    def strategy(self) -> str:
        """`mutable` (a VM converged in place over SSH) or `immutable` (a container target, rolled)."""
        return str(self.vars.get("deployctl_strategy", "mutable"))


@dataclass(frozen=True)
class InventoryGroup:
    """A group: its direct hosts, child and parent groups, and all the hosts it contains."""

    name: str
    hosts: tuple[str, ...]
    children: tuple[str, ...]
    parents: tuple[str, ...]
    all_hosts: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    """One stage's inventory."""

    stage: str
    source: str
    path: Path
    hosts: Mapping[str, InventoryHost]
    groups: Mapping[str, InventoryGroup]

    def select(self, pattern: str) -> list[InventoryHost]:
        """The hosts matching an Ansible host pattern, in inventory order."""
        members = {name: group.all_hosts for name, group in self.groups.items()}
        return [self.hosts[name] for name in match_hosts(pattern, list(self.hosts), members)]


@dataclass
class _GroupDraft:
    name: str
    origin: Origin
    vars: dict[str, Any] = field(default_factory=dict)
    var_origins: dict[str, Origin] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)


@dataclass
class _HostDraft:
    origin: Origin
    vars: dict[str, Any] = field(default_factory=dict)
    var_origins: dict[str, Origin] = field(default_factory=dict)


def _vars_with_origins(data: LocatedMap, source: str) -> tuple[dict[str, Any], dict[str, Origin]]:
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise InputError(source, data.line_of(key), str(key), "a variable name must be an identifier")
        values[key] = value
        origins[key] = Origin(source, data.line_of(key))
    return values, origins


class _InventoryParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.groups: dict[str, _GroupDraft] = {}
        self.hosts: dict[str, _HostDraft] = {}

    def group(self, name: str, line: int) -> _GroupDraft:
        if name not in self.groups:
            self.groups[name] = _GroupDraft(name, Origin(self.source, line))
        return self.groups[name]

    def parse_group(self, name: Any, definition: Any, line: int, parent: str | None, path: str) -> None:
        if not isinstance(name, str) or not name or any(ch in name for ch in " :,!&[]"):
            raise InputError(self.source, line, path, f"{name!r} is not a valid group name")
        group = self.group(name, line)
        if parent is not None and name not in self.groups[parent].children:
            self.groups[parent].children.append(name)
            group.parents.append(parent)
        if definition is None:
            return
        if not isinstance(definition, LocatedMap):
            raise InputError(self.source, line, path, "a group must be a mapping of hosts, vars and children")
        for key in definition:
            if key not in GROUP_KEYS:
                raise InputError(
                    self.source,
                    definition.line_of(key),
                    f"{path}.{key}",
                    f"unknown group key; a group has {', '.join(GROUP_KEYS)}",
                )
        self._parse_vars(group, definition, path)
        self._parse_hosts(group, definition, path)
        children = definition.get("children")
        if children is not None:
            if not isinstance(children, LocatedMap):
                raise InputError(
                    self.source,
                    definition.line_of("children"),
                    f"{path}.children",
                    "must be a mapping of groups",
                )
            for child, child_definition in children.items():
                self.parse_group(child, child_definition, children.line_of(child), name, f"{path}.children.{child}")

    def _parse_vars(self, group: _GroupDraft, definition: LocatedMap, path: str) -> None:
        group_vars = definition.get("vars")
        if group_vars is None:
            return
        if not isinstance(group_vars, LocatedMap):
            raise InputError(self.source, definition.line_of("vars"), f"{path}.vars", "must be a mapping")
        values, origins = _vars_with_origins(group_vars, self.source)
        group.vars.update(values)
        group.var_origins.update(origins)

    def _parse_hosts(self, group: _GroupDraft, definition: LocatedMap, path: str) -> None:
        hosts = definition.get("hosts")
        if hosts is None:
            return
        if not isinstance(hosts, LocatedMap):
            raise InputError(
                self.source,
                definition.line_of("hosts"),
                f"{path}.hosts",
                "must be a mapping of host names (to their variables or nothing)",
            )
        for raw_name, host_vars in hosts.items():
            line = hosts.line_of(raw_name)
            if not isinstance(raw_name, str) or not raw_name.strip():
                raise InputError(self.source, line, f"{path}.hosts", f"{raw_name!r} is not a host name")
            try:
                names = expand_host_range(raw_name)
            except ValueError as exc:
                raise InputError(self.source, line, f"{path}.hosts.{raw_name}", str(exc)) from None
            if host_vars is not None and not isinstance(host_vars, LocatedMap):
                raise InputError(self.source, line, f"{path}.hosts.{raw_name}", "host variables must be a mapping")
            values, origins = _vars_with_origins(host_vars, self.source) if host_vars else ({}, {})
            for name in names:
                draft = self.hosts.setdefault(name, _HostDraft(Origin(self.source, line)))
                draft.vars.update(values)
                draft.var_origins.update(origins)
                if name not in group.hosts:
                    group.hosts.append(name)


def _load_vars_dir(folder: Path, name: str, project: Project) -> tuple[dict[str, Any], dict[str, Origin]]:
    """Variables of a group or host from `group_vars/<name>[.yml|.yaml|.json]` or `group_vars/<name>/*`."""
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    candidates = [folder / f"{name}{suffix}" for suffix in VARS_SUFFIXES]
    files = [path for path in candidates if path.is_file()]
    directory = folder / name
    if directory.is_dir():
        files += sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in VARS_SUFFIXES[1:])
    for path in files:
        display = project.display(path)
        data = load_yaml_file(path, display)
        if data is None:
            continue
        if not isinstance(data, LocatedMap):
            raise InputError(display, 1, None, "a vars file must be a mapping of variables")
        file_values, file_origins = _vars_with_origins(data, display)
        values.update(file_values)
        origins.update(file_origins)
    return values, origins


def _group_depths(parser: _InventoryParser) -> dict[str, int]:
    """Depth of each group below `all` (longest path), refusing cycles."""
    depths: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(name: str) -> int:
        if name in depths:
            return depths[name]
        if name in visiting:
            group = parser.groups[name]
            raise InputError(group.origin.source, group.origin.line, name, "group is its own ancestor")
        visiting.add(name)
        parents = [p for p in parser.groups[name].parents if p != "all"]
        result = 0 if name == "all" else 1 + max((depth(p) for p in parents), default=0)
        visiting.discard(name)
        depths[name] = result
        return result

    for name in parser.groups:
        depth(name)
    return depths


def _ancestors(parser: _InventoryParser, name: str) -> set[str]:
    found: set[str] = set()
    pending = list(parser.groups[name].parents)
    while pending:
        parent = pending.pop()
        if parent not in found:
            found.add(parent)
            pending.extend(parser.groups[parent].parents)
    return found


CONNECTION_VAR_TYPES: dict[str, str] = {
    "ansible_host": "str",
    "ansible_user": "str",
    "ansible_ssh_private_key_file": "str",
    "ansible_private_key_file": "str",
    "ansible_port": "port",
    "ansible_host_key_checking": "bool",
    "deployctl_lab": "bool",
    "deployctl_strategy": "strategy",
}
STRATEGIES = ("mutable", "immutable")


def _check_connection_vars(host: InventoryHost) -> None:
    for name, kind in CONNECTION_VAR_TYPES.items():
        if name not in host.vars:
            continue
        value = host.vars[name]
        origin = host.var_origins[name]
        if kind == "str" and not (isinstance(value, str) and value):
            raise InputError(origin.source, origin.line, name, f"must be a non-empty string, got {value!r}")
        if kind == "port" and (isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536):
            raise InputError(origin.source, origin.line, name, f"must be a port number 1-65535, got {value!r}")
        if kind == "strategy" and value not in STRATEGIES:
            raise InputError(origin.source, origin.line, name, f"must be one of {', '.join(STRATEGIES)}, got {value!r}")
        if kind == "bool" and parse_bool(value) is None:
            raise InputError(origin.source, origin.line, name, f"must be true or false, got {value!r}")


def parse_inventory(data: Any, stage: str, source: str, path: Path, project: Project) -> Inventory:
    """Build a stage's inventory from parsed YAML (with lines) and the vars folders beside `path`."""
    if not isinstance(data, LocatedMap) or not data:
        raise InputError(source, 1, None, "an inventory must be a mapping of groups, usually starting with `all`")
    parser = _InventoryParser(source)
    parser.group("all", data.line_of("all"))
    for name, definition in data.items():
        parent = None if name == "all" else "all"
        parser.parse_group(name, definition, data.line_of(name), parent, str(name))
    if not parser.hosts:
        raise InputError(source, data.line, "hosts", f"the {stage} inventory defines no hosts")
    for name in parser.groups:
        if name != "all" and not parser.groups[name].parents:
            parser.groups[name].parents.append("all")
            parser.groups["all"].children.append(name)

    grouped = {h for name, g in parser.groups.items() if name not in ("all", "ungrouped") for h in g.hosts}
    ungrouped = [h for h in parser.hosts if h not in grouped]
    if ungrouped:
        group = parser.group("ungrouped", parser.groups["all"].origin.line)
        group.hosts = ungrouped
        if "all" not in group.parents:
            group.parents.append("all")
            parser.groups["all"].children.append("ungrouped")

    depths = _group_depths(parser)
    memberships: dict[str, set[str]] = {host: {"all"} for host in parser.hosts}
    for name, group in parser.groups.items():
        for member in group.hosts:
            memberships[member] |= {name} | _ancestors(parser, name)

    vars_folder = path.parent
    group_files = {name: _load_vars_dir(vars_folder / "group_vars", name, project) for name in parser.groups}
    hosts: dict[str, InventoryHost] = {}
    for host_name, draft in parser.hosts.items():
        ordered = sorted(memberships[host_name], key=lambda g: (depths[g], g))
        values: dict[str, Any] = {}
        origins: dict[str, Origin] = {}
        layers = [(parser.groups[g].vars, parser.groups[g].var_origins) for g in ordered]
        layers += [group_files[g] for g in ordered]  # group_vars/all first: its depth is 0
        layers.append((draft.vars, draft.var_origins))
        layers.append(_load_vars_dir(vars_folder / "host_vars", host_name, project))
        for layer_values, layer_origins in layers:
            values.update(layer_values)
            origins.update(layer_origins)
        host = InventoryHost(
            name=host_name,
            stage=stage,
            groups=tuple(ordered),
            vars=values,
            var_origins=origins,
            origin=draft.origin,
        )
        _check_connection_vars(host)
        hosts[host_name] = host

    groups: dict[str, InventoryGroup] = {}
    for name, group in parser.groups.items():
        members = [h for h in parser.hosts if name in memberships[h]]
        groups[name] = InventoryGroup(
            name=name,
            hosts=tuple(group.hosts),
            children=tuple(group.children),
            parents=tuple(group.parents),
            all_hosts=tuple(members),
        )
    return Inventory(stage=stage, source=source, path=path, hosts=hosts, groups=groups)


def load_inventory(project: Project, stage: str) -> Inventory:
    """Load one stage's inventory file (`inventories/<stage>.yml`) and validate it."""
    project.require_stage(stage)
    path = project.inventory_path(stage)
    source = project.display(path)
    return parse_inventory(load_yaml_file(path, source), stage, source, path, project)


def load_inventories(project: Project, stages: list[str] | None = None) -> dict[str, Inventory]:
    """Load the inventories of `stages` (all by default) and refuse a host that two stages both claim."""
    inventories = {stage: load_inventory(project, stage) for stage in (stages or project.stages)}
    owner: dict[str, InventoryHost] = {}
    for inventory in inventories.values():
        for host in inventory.hosts.values():
            first = owner.setdefault(host.name, host)
            if first is not host:
                raise InputError(
                    host.origin.source,
                    host.origin.line,
                    host.name,
                    f"duplicate host: already in the {first.stage} inventory ({first.origin})",
                )
    return inventories
