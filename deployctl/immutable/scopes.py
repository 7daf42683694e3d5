"""Which variables are stage-specific: the values that differ between the stages an image is promoted through.

Build once, promote everywhere: an image may only contain what every stage shares. Given the merged
variables of every stage (or every target host), a variable is stage-specific when its value differs
between them (or some lack it), when it is a magic variable naming the host or its stage, when it is a
fact only a running host has (`ansible_*`), or when its value reads a stage-specific one (followed
through variables, as Templar.referenced_names does). Everything else is common.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from deployctl.model.runvars import ROLE_MAGIC_NAMES, TEMPLATE_MAGIC_NAMES
from deployctl.templating import Templar, TemplateError

HOST_MAGIC_NAMES = frozenset(
    {
        "inventory_hostname",
        "inventory_hostname_short",
        "deployctl_stage",
        "group_names",
        "groups",
        "hostvars",
        "play_hosts",
        "ansible_play_hosts",
        "ansible_play_hosts_all",
        "ansible_play_batch",
        "inventory_dir",
        "inventory_file",
    }
)
"""Magic variables that name the host or its stage: stage-specific even when only one stage is given."""
HOST_FACT_PREFIX = "ansible_"
"""Names read from the host at run time (ansible_hostname...): stage-specific unless the variables define them."""
SAME_IN_EVERY_STAGE = TEMPLATE_MAGIC_NAMES | ROLE_MAGIC_NAMES
"""Magic variables given where they are read (a template's `ansible_managed`, a task's `ansible_role_name`),
with one value in every stage: not facts, though their names start like facts'."""


def _host_fact(name: str, defined: Collection[str]) -> bool:
    """Whether a name read is a fact of the running host: `ansible_*` and not defined by variables or the run."""
    return name.startswith(HOST_FACT_PREFIX) and name not in defined and name not in SAME_IN_EVERY_STAGE


class StageScopes:
    """The variables of every stage (or host) and what they share: `common` values, `specific` names."""

    def __init__(self, templar: Templar, scopes: Mapping[str, Mapping[str, Any]]) -> None:
        if not scopes:
            raise ValueError("no stage variables")
        self.templar = templar
        self.keys = tuple(scopes)
        self.scopes = tuple(dict(scope) for scope in scopes.values())
        names = {name for scope in self.scopes for name in scope}
        differing = {
            name
            for name in names
            if any(name not in scope for scope in self.scopes)
            or any(scope[name] != self.scopes[0][name] for scope in self.scopes[1:])
        }
        seeds = differing | HOST_MAGIC_NAMES
        specific = set(seeds)
        for name in names - specific:
            for scope in self.scopes:
                reads = self._reads(scope[name], scope)
                if reads & seeds or any(_host_fact(read, names) for read in reads):
                    specific.add(name)
                    break
        self.specific = frozenset(specific)
        self.common = {name: self.scopes[0][name] for name in names - specific}

    def _reads(self, value: Any, scope: Mapping[str, Any]) -> set[str]:
        try:
            return self.templar.referenced_names(value, scope)
        except TemplateError:
            return set()

    def with_vars(self, extra: Mapping[str, Any]) -> StageScopes:
        """The scopes with a task's own `vars` on top."""
        if not extra:
            return self
        return StageScopes(
            self.templar, {key: {**scope, **extra} for key, scope in zip(self.keys, self.scopes, strict=True)}
        )

    def specific_names(self, value: Any, extra: Mapping[str, Any] | None = None) -> set[str]:
        """The stage-specific variables a value (or a template file, as a Path) reads, followed through variables."""
        found: set[str] = set()
        for scope in self.scopes:
            full = {**scope, **(extra or {})}
            for name in self.templar.referenced_names(value, full):
                if name in (extra or {}):
                    continue
                if name in self.specific or _host_fact(name, self.common):
                    found.add(name)
        return found

    def reads(self, value: Any, extra: Mapping[str, Any] | None = None) -> set[str]:
        """Every variable a value reads (followed through the first stage's variables)."""
        return self.templar.referenced_names(value, {**self.scopes[0], **(extra or {})})

    def first(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The first stage's full variables (for what is parsed from a stage-specific rendering)."""
        return {**self.scopes[0], **(extra or {})}
