"""What a run knows of one host: the facts read from it and which a change made stale, its gathered Ansible
facts, and the variables its tasks defined (set_fact and register, include_vars, include parameters).

Pure bookkeeping: which facts one round trip must read, and which a change stales; the runner does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployctl.facts.ansible import ANSIBLE_FACTS_KEY
from deployctl.facts.base import Fact
from deployctl.modules.base import Module, Plan
from deployctl.strategies.staleness import stale_after, still_hold
from deployctl.unsafe import mark_unsafe


@dataclass
class TaskVariables:
    """The variables a host's tasks defined so far: set_fact values and registered results, include_vars
    files' variables, and the parameters of the includes being run."""

    registered: dict[str, Any] = field(default_factory=dict)
    included: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> TaskVariables:
        """A copy the lookahead can change without changing the run's."""
        return TaskVariables(dict(self.registered), dict(self.included), dict(self.params))


class HostFacts:
    """The facts read from one host (by key), the facts known to be asked for, which are stale, and the
    Ansible facts gathered once per run."""

    def __init__(self) -> None:
        self.facts: dict[str, Any] = {}
        self.known: dict[str, Fact[Any]] = {}
        self.stale: set[str] = set()
        self.gathered: dict[str, Any] = {}
        self.gathered_all = False

    def to_read(self, facts: Sequence[Fact[Any]], ahead: Callable[[], Iterable[Fact[Any]]]) -> list[Fact[Any]]:
        """What one round trip reads for `facts`: nothing when all are read and fresh; else those that are
        not, every fact the lookahead (`ahead`) sees that is not read yet, and every stale fact known."""
        for fact in facts:
            self.known.setdefault(fact.key, fact)
        needed = [fact for fact in facts if fact.key not in self.facts or fact.key in self.stale]
        if not needed:
            return []
        for fact in ahead():  # stale ones too: refreshed below, once
            self.known.setdefault(fact.key, fact)
            if fact.key not in self.facts:
                needed.append(fact)
        needed += [self.known[key] for key in sorted(self.stale) if key in self.known]
        return needed

    def store(self, values: Mapping[str, Any]) -> None:
        """Keep facts just read: they are fresh again."""
        self.facts.update(values)
        self.stale -= set(values)

    def keep_gathered(self) -> None:
        """Move just-read Ansible facts out of the facts: gathered once per run as Ansible does, never staled;
        kept with the facts tasks set before (getent_passwd...)."""
        if ANSIBLE_FACTS_KEY in self.facts:
            self.add_module_facts(
                {f"ansible_{name}": value for name, value in self.facts.pop(ANSIBLE_FACTS_KEY).items()}
            )
            self.known.pop(ANSIBLE_FACTS_KEY, None)
            self.gathered_all = True

    def add_module_facts(self, values: Mapping[str, Any]) -> None:
        """Add the facts a task returned (its `ansible_facts`) to the host's, as Ansible does: each as a variable
        of its own name, and in `ansible_facts` without its `ansible_` prefix (`ansible_distribution` ->
        `ansible_facts.distribution`). Read from the host: data, never templated."""
        marked = mark_unsafe(dict(values))
        namespace = dict(self.gathered.get(ANSIBLE_FACTS_KEY) or {})
        for name, value in marked.items():
            namespace[name.removeprefix("ansible_")] = value
            self.gathered[name] = value
        self.gathered[ANSIBLE_FACTS_KEY] = namespace

    def invalidate(self, module: Module, plan: Plan) -> None:
        """Mark stale what a change on the host may have touched (deployctl.strategies.staleness); keep what the
        plan leaves, known exactly, as read (call `forget` when the change then fails)."""
        self.stale |= stale_after(module, plan, self.facts) - still_hold(module, plan, self.facts)
        self.store(plan.leaves)

    def forget(self, plan: Plan) -> None:
        """A change failed or did not run: what its plan said it leaves is not known after all."""
        self.stale |= set(plan.leaves)
