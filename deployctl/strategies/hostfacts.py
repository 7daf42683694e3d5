"""What a run knows of one host: the facts read from it and which a change made stale, its gathered Ansible
facts, and the variables its tasks defined (set_fact and register, include_vars, include parameters).

Pure bookkeeping: which facts one round trip must read, and which a change stales; the runner does the I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deployctl.facts.ansible import ANSIBLE_FACTS_KEY, fact_variables
from deployctl.facts.base import Fact
from deployctl.facts.find import listing_covers
from deployctl.modules.base import Module, Plan

PACKAGE_DERIVED_PREFIXES = ("package:", "candidate:", "debconf:", "pip-packages:", "pip-dry-run:")
"""Facts an apt run may change: packages (dependencies too), debconf answers and the system's Python packages."""
UNIT_DIR_MARK = "/systemd/"
"""A file fact whose path has this part is a systemd unit (or drop-in): changing it stales service facts."""


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
        """Move just-read Ansible facts out of the facts: gathered once per run as Ansible does, never staled."""
        if ANSIBLE_FACTS_KEY in self.facts:
            self.gathered = fact_variables(self.facts.pop(ANSIBLE_FACTS_KEY))
            self.known.pop(ANSIBLE_FACTS_KEY, None)

    def invalidate(self, module: Module, plan: Plan) -> None:
        """Mark facts stale after a change on the host; commands can change anything, so they stale everything.

        Facts derived from other state are staled with it: a written unit file changes what systemd
        reports, an apt run changes other packages (dependencies), a daemon-reload every service.
        """
        self.stale |= set(plan.invalidates)
        written = [key.removeprefix("file:") for key in plan.invalidates if key.startswith("file:")]
        self.stale |= {key for key in self.facts if any(listing_covers(key, path) for path in written)}
        if any(key.startswith("file:") and UNIT_DIR_MARK in key for key in plan.invalidates):
            self.stale |= {key for key in self.facts if key.startswith("service:")}
        if plan.captures_output:
            self.stale |= set(self.facts)
        elif module.name in ("apt", "package"):
            self.stale |= {key for key in self.facts if key.startswith(PACKAGE_DERIVED_PREFIXES)}
        elif module.name in ("systemd", "service"):
            self.stale |= {key for key in self.facts if key.startswith("service:")}
