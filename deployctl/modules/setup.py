"""setup: gather the host's Ansible facts again (`ansible_*`, `ansible_facts`), as a task.

The facts are the ones `gather_facts` reads (see deployctl.facts.ansible), read when the task runs (again
after any change); `filter` keeps only those matching one of its shell patterns (`ansible_distribution*`, or
without the `ansible_` prefix, as Ansible matches them). `gather_subset`, `gather_timeout` and `fact_path`
are accepted: deployctl's one snippet reads the same facts whatever the subset (so `min` gives more than
Ansible's), and reads no local facts (facts.d). As Ansible, the result also holds `gather_subset` and
`module_setup`. Never a change.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.ansible import AnsibleFacts
from deployctl.facts.base import Fact, RawFact
from deployctl.modules.base import Module, Param, Plan, no_change
from deployctl.modules.planning import fact

SETUP_FACTS_KEY = "setup:ansible_facts"

SETUP_PARAMS: Mapping[str, Param] = {
    "gather_subset": Param("list", default=["all"]),
    "gather_timeout": Param("int", default=10),
    "filter": Param("list", default=[]),
    "fact_path": Param("path", default="/etc/ansible/facts.d"),
}


@dataclass(frozen=True)
class SetupFacts:
    """The host's Ansible facts read for a setup task (not the play's gathering: any change stales these)."""

    @property
    def key(self) -> str:
        return SETUP_FACTS_KEY

    def script(self) -> str:
        return AnsibleFacts().script()

    def parse(self, raw: RawFact) -> dict[str, Any]:
        return AnsibleFacts().parse(raw)

    def value_from_json(self, data: Any) -> dict[str, Any]:
        """The fact's value from its JSON form (test fixtures): the facts without their prefix."""
        if not isinstance(data, Mapping):
            raise TypeError(f"setup facts: expected a mapping, got {data!r}")
        return dict(data)


def setup_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """The host's Ansible facts, read now."""
    return [SetupFacts()]


def matches(name: str, patterns: Sequence[str]) -> bool:
    """Ansible's filter: a pattern matches the prefixed name, or, without a prefix of its own, with one added."""
    if not patterns or list(patterns) == ["*"]:
        return True
    for pattern in patterns:
        if not pattern or fnmatch.fnmatch(name, pattern):
            return True
        if not pattern.startswith(("ansible_", "facter", "ohai")) and fnmatch.fnmatch(name, f"ansible_{pattern}"):
            return True
    return False


def plan_setup(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Never a change: the facts, prefixed as Ansible's setup returns them."""
    gathered: dict[str, Any] = fact(facts, SETUP_FACTS_KEY, dict)
    patterns = [str(pattern) for pattern in params["filter"]]
    kept = {f"ansible_{name}": value for name, value in gathered.items() if matches(f"ansible_{name}", patterns)}
    result = {**kept, "gather_subset": list(params["gather_subset"]), "module_setup": True}
    return no_change(f"{len(kept)} facts gathered", ansible_facts=result)


SETUP = Module(
    name="setup",
    params=SETUP_PARAMS,
    facts=setup_facts,
    plan=plan_setup,
    doc=__doc__ or "",
)
