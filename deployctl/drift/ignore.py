"""Ignore rules: `kind:glob` patterns from the inventory, an ignore file, and the documented defaults.

A rule never drops an item: the item moves to the host's `ignored` list with the rule and where the
rule was written, and reports count them per rule. Globs are `fnmatch` patterns (`*` also matches `/`);
a pattern ending in `/**` matches the folder itself and everything under it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from deployctl.drift.model import DriftItem
from deployctl.errors import InputError

IGNORE_VARIABLE = "deployctl_drift_ignore"
IGNORE_FILE = "drift-ignore"
"""The project's ignore file at its root (`--ignore-file` names another): one `kind:glob` per line."""

PATH_KINDS = frozenset({"file", "container-file", "config"})
RULE_KINDS: Mapping[str, frozenset[str]] = {
    "path": PATH_KINDS,
    "package": frozenset({"package"}),
    "service": frozenset({"service"}),
    "user": frozenset({"user"}),
    "group": frozenset({"group"}),
    "sysctl": frozenset({"sysctl"}),
    "env": frozenset({"env"}),
}
"""A rule's kind word -> the item kinds it applies to."""
MOUNT_POINT_KINDS: Mapping[str, frozenset[str]] = {"mount-point": frozenset({"container-file"})}
"""Built-in rules no ignore file can write: a mounted file's mount point in the container's layer (its content
is checked as `config`, which such a rule must not hide)."""

DEFAULT_SOURCE = "default"
PARENT_RULE = "parent of a changed path"
"""`docker diff` lists every folder above a changed path as changed itself: such entries repeat the child."""

DEFAULT_CONTAINER_PATTERNS: tuple[tuple[str, str], ...] = (
    ("path:/run/**", "runtime state (pid files, sockets) every running container writes"),
    ("path:/var/run/**", "the same runtime state through the /var/run link"),
    ("path:/tmp/**", "temporary files"),
    ("path:/var/tmp/**", "temporary files"),
    ("path:/var/log/**", "logs the application and its tools write"),
    ("path:*.pid", "pid files wherever they are"),
    ("path:*/__pycache__/**", "Python's bytecode cache, written when modules are first imported"),
    ("path:/root/.*_history", "a shell's history left by `docker exec`"),
    ("path:/usr/sbin/docker-init", "Docker's init (`--init`), mounted by the engine"),
)
"""Container paths that change in every healthy container: ignored (and counted) unless told otherwise."""

DEFAULT_VM_PATTERNS: tuple[tuple[str, str], ...] = (
    ("package:apt lists", "the package lists' age (update_cache): refreshing them changes no installed state"),
)
"""VM plan items that are not differences of state: ignored (and counted)."""


@dataclass(frozen=True)
class IgnoreRule:
    """One pattern: the kinds it applies to, its glob, its text as written, and where it was written."""

    kind: str
    glob: str
    text: str
    source: str

    def matches(self, item: DriftItem) -> bool:
        """True when the item is of a kind the rule covers and its resource matches the glob."""
        if item.kind not in (RULE_KINDS.get(self.kind) or MOUNT_POINT_KINDS[self.kind]):
            return False
        if self.glob.endswith("/**"):
            folder = self.glob[:-3]
            return item.resource == folder or fnmatch.fnmatchcase(item.resource, folder + "/*")
        return fnmatch.fnmatchcase(item.resource, self.glob)


def parse_rule(text: Any, source: str, line: int | None, field: str) -> IgnoreRule:
    """A rule from `kind:glob`; an error naming the file, line and field when it is not one."""
    if not isinstance(text, str):
        raise InputError(source, line, field, f"must be a string like 'path:/var/cache/*', got {text!r}")
    kind, sep, glob = text.strip().partition(":")
    if not sep or kind not in RULE_KINDS:
        known = ", ".join(f"{k}:" for k in RULE_KINDS)
        raise InputError(source, line, field, f"{text!r}: a pattern starts with one of {known}")
    if not glob.strip():
        raise InputError(source, line, field, f"{text!r}: the pattern after {kind}: is empty")
    where = f"{source}:{line}" if line is not None else source
    return IgnoreRule(kind, glob.strip(), text.strip(), where)


def rules_from_variable(value: Any, source: str, line: int | None) -> tuple[IgnoreRule, ...]:
    """The rules of an inventory's `deployctl_drift_ignore` (a list of patterns)."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InputError(source, line, IGNORE_VARIABLE, f"must be a list of patterns like 'path:/srv/*', got {value!r}")
    return tuple(parse_rule(text, source, line, f"{IGNORE_VARIABLE}[{index}]") for index, text in enumerate(value))


def rules_from_text(text: str, source: str) -> tuple[IgnoreRule, ...]:
    """The rules of an ignore file: one pattern per line; blank lines and `#` comments are skipped."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line:
            rules.append(parse_rule(line, source, number, "pattern"))
    return tuple(rules)


def rules_from_file(path: Path, display: str) -> tuple[IgnoreRule, ...]:
    """The rules of an ignore file (none when it does not exist)."""
    if not path.is_file():
        return ()
    return rules_from_text(path.read_text(encoding="utf-8"), display)


def default_container_rules() -> tuple[IgnoreRule, ...]:
    """The documented defaults for containers' `docker diff` noise."""
    return tuple(parse_rule(text, DEFAULT_SOURCE, None, "default") for text, _why in DEFAULT_CONTAINER_PATTERNS)


def default_vm_rules() -> tuple[IgnoreRule, ...]:
    """The documented defaults for VMs."""
    return tuple(parse_rule(text, DEFAULT_SOURCE, None, "default") for text, _why in DEFAULT_VM_PATTERNS)


def _parents(paths: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        parts = path.rstrip("/").split("/")
        found.update("/".join(parts[:end]) or "/" for end in range(1, len(parts)))
    return found


def split_ignored(
    items: Sequence[DriftItem], rules: Sequence[IgnoreRule]
) -> tuple[tuple[DriftItem, ...], tuple[DriftItem, ...]]:
    """Items kept and items ignored (each with the rule that matched, the first one in order).

    A `container-file` item that only says a folder changed, when a path under it is listed too, is
    ignored by the built-in parent rule: the child is what changed.
    """
    container_paths = [i.resource for i in items if i.kind == "container-file"]
    parents = _parents(container_paths)
    kept: list[DriftItem] = []
    ignored: list[DriftItem] = []
    for item in items:
        if item.kind == "container-file" and item.actual == "changed" and item.resource in parents:
            ignored.append(replace(item, rule=PARENT_RULE, rule_source=DEFAULT_SOURCE))
            continue
        rule = next((r for r in rules if r.matches(item)), None)
        if rule is None:
            kept.append(item)
        else:
            ignored.append(replace(item, rule=rule.text, rule_source=rule.source))
    return tuple(kept), tuple(ignored)
