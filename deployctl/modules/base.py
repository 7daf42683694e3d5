"""The planner interface shared by every module, the mutable and immutable strategies, and drift.

A module declares its parameters (validated at load time), the facts it needs for given parameters,
and a pure `plan(params, facts)` that returns what would change: actions to run, diffs to show, and a
one-line summary (also for no-ops, saying why nothing changes). No module ever opens a connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from deployctl.facts.base import Fact

ParamType = Literal["str", "int", "bool", "list", "dict", "path", "mode", "raw"]
"""`list` accepts a list or a comma-separated string; `mode` accepts an octal string or int; `raw` anything."""


@dataclass(frozen=True)
class Param:
    """One module parameter: its type, whether it is required, its default, choices and aliases.

    `check` returns the problem with one value (each item of a list), or None: it refuses values that
    would reach a command as an option or add a line to a file, at load time when they are literal.
    """

    type: ParamType = "str"
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    aliases: tuple[str, ...] = ()
    check: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class RunCommand:
    """Run a command (a list of words, quoted once at the transport edge) with optional stdin."""

    argv: tuple[str, ...]
    stdin: bytes | None = None


@dataclass(frozen=True)
class PutFile:
    """Write `content` to `path` atomically, with an optional octal mode (e.g. "0644"), owner and group.

    Owner, group and mode are set on the temporary file before it is renamed into place, so the file is
    never seen with other attributes and no chown of the final path (which a planted link could redirect)
    is needed. `validate` is Ansible's command with `%s`: the temporary file must pass it before the
    rename, else the write fails and the destination stays as it was.
    """

    path: str
    content: bytes
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    validate: str | None = None


Action = RunCommand | PutFile


@dataclass(frozen=True)
class Diff:
    """Before and after of one resource, for `--diff` (text; files show their content)."""

    resource: str
    before: str
    after: str


@dataclass(frozen=True)
class OneOf:
    """A fact a plan leaves known only in part (a new group's id is the host's choice): values it may have,
    differing in what is not known. A later task is planned on it when its plan is the same for each value,
    and reads the fact otherwise."""

    values: tuple[Any, ...]


@dataclass(frozen=True)
class Plan:
    """What a task would change on one host.

    `changed` False means a no-op and `summary` says why. `actions` run in order, all with the task's
    become, stopping at the first failure. `invalidates` lists the fact keys that applying the plan
    makes stale (so a later task that needs them re-reads them). `result` holds module-specific values
    that `register` exposes (e.g. `state`, `path`); its `ansible_facts` mapping, as in Ansible, holds host
    facts the task sets (`getent_passwd`, `services`...), which the run adds to the host's variables.
    `captures_output` marks command-like plans whose
    last action's rc/stdout/stderr are the task's result (command, shell); `guarded` one that its
    `creates`/`removes` guard let through (in check mode it counts as changed, an unguarded one as skipped).
    `leaves` gives, by fact key, the
    values of facts that the actions leave once they succeeded, where the plan knows them exactly (a file
    written with its content, owner, group and mode; a OneOf where known in part): later tasks are planned
    on them without reading them again (deployctl.strategies.staleness).
    """

    changed: bool
    summary: str
    actions: tuple[Action, ...] = ()
    diffs: tuple[Diff, ...] = ()
    invalidates: tuple[str, ...] = ()
    result: Mapping[str, Any] = field(default_factory=dict)
    captures_output: bool = False
    failed: str | None = None
    guarded: bool = False
    leaves: Mapping[str, Any] = field(default_factory=dict)
    effects_listed: bool | None = None
    """None: the module's `effects_listed`; a plan may list its effects where its module cannot in general
    (a user created without a home: what useradd writes is known)."""


def no_change(summary: str, **result: Any) -> Plan:
    """A plan that changes nothing, with the reason."""
    return Plan(changed=False, summary=summary, result=result)


FactsFor = Callable[[Mapping[str, Any]], Sequence[Fact[Any]]]
DefinedNames = Callable[[Mapping[str, Any]], tuple[str, ...]]
Planner = Callable[[Mapping[str, Any], Mapping[str, Any]], Plan]


@dataclass(frozen=True)
class Module:
    """A module: its Ansible name, parameters, the facts it needs, and its planner.

    `facts(params)` gets validated, rendered parameters and returns the facts to read; `plan(params,
    facts)` gets the same parameters and a mapping of fact key -> parsed value for exactly those
    facts. `free_form` names the parameter that a bare string argument fills (`command: ls -l`).
    Controller-side inputs are resolved before planning: `copy` with `src` and `template` receive
    the file's bytes (rendered, for templates) in the parameter `_content`. `defines(args)` names the
    host facts the module sets (its plans' `ansible_facts`), from the task's arguments as written, for the
    checks that run before any host is reached.
    `effects_listed` says that a plan's `invalidates` names everything its actions can change on the
    host. False, the default (so a new module is safe until shown otherwise), means they can change
    more than deployctl predicts (a package's maintainer scripts, a command, a started service, a new
    user's home): once applied, every fact read from the host is stale (deployctl.strategies.staleness).
    """

    name: str
    params: Mapping[str, Param]
    facts: FactsFor
    plan: Planner
    free_form: str | None = None
    aliases: tuple[str, ...] = ()
    defines: DefinedNames | None = None
    doc: str = ""
    effects_listed: bool = False
