"""A fact is a shell snippet plus a pure parser; many facts are read from a host in one command."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, Protocol, TypeVar, cast

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


@dataclass(frozen=True)
class RawFact:
    """The output and exit code of one fact's snippet."""

    output: str
    exit_code: int


class Fact(Protocol[T_co]):
    """Something to know about a host: how to read it (`script`) and how to parse what was read."""

    @property
    def key(self) -> str:
        """A unique name for this fact and its arguments, e.g. `file:/etc/app.conf`."""
        ...

    def script(self) -> str:
        """A POSIX shell snippet that prints the fact; its exit code is passed to `parse`."""
        ...

    def parse(self, raw: RawFact) -> T_co:
        """Turn the snippet's output into a typed value (pure: no I/O)."""
        ...


class FactGroup(Protocol):
    """Facts of one kind read by one snippet together (every path with one `find`), where that is cheaper.

    A fact joins a group through its `group` attribute; the batch runs the group's snippet once for all its
    facts and hands the output back to the group to split into each fact's value.
    """

    @property
    def name(self) -> str:
        """A unique name for the group."""
        ...

    def script(self, facts: Sequence[Any], marker: str) -> str:
        """A POSIX shell snippet that reads every fact of the group; `marker` is the batch's fence."""
        ...

    def split(self, facts: Sequence[Any], raw: RawFact, marker: str) -> dict[str, Any]:
        """Each fact's value, keyed by the fact's key, from the snippet's output (pure)."""
        ...


def fact_group(fact: Fact[Any]) -> FactGroup | None:
    """The group that reads `fact`, or None when the fact runs its own snippet."""
    return cast("FactGroup | None", getattr(fact, "group", None))


@dataclass(frozen=True)
class _Unit:
    """One fenced part of a batch: a group's snippet for its facts, or one fact's own snippet."""

    facts: tuple[Fact[Any], ...]
    group: FactGroup | None

    def script(self, marker: str) -> str:
        return self.group.script(self.facts, marker) if self.group else self.facts[0].script()

    def parse(self, raw: RawFact, marker: str) -> dict[str, Any]:
        if self.group:
            return self.group.split(self.facts, raw, marker)
        fact = self.facts[0]
        return {fact.key: fact.parse(raw)}


@dataclass(frozen=True)
class FactBatch(Generic[T]):
    """Several facts read with one command: the script to run and how to split its output."""

    facts: tuple[Fact[T], ...]
    marker: str

    @cached_property
    def _units(self) -> list[_Unit]:
        units: list[_Unit] = []
        grouped: dict[str, list[Fact[Any]]] = {}
        groups: dict[str, FactGroup] = {}
        for fact in self.facts:
            group = fact_group(fact)
            if group is None:
                units.append(_Unit((fact,), None))
            else:
                grouped.setdefault(group.name, []).append(fact)
                groups[group.name] = group
        return [_Unit(tuple(facts), groups[name]) for name, facts in grouped.items()] + units

    def script(self) -> str:
        """One shell script that runs every snippet (a group's once), each in a subshell, fenced by markers.

        The output is collected and written at the end, at once: written as the snippets print it, it would
        cross SSH in dozens of small packets, each costing both ends more than the bytes in it.
        """
        parts = []
        for index, unit in enumerate(self._units):
            parts.append(f"printf '\\n{self.marker} {index}\\n'")
            parts.append(f"( {unit.script(self.marker)}\n) 2>/dev/null")
            parts.append(f"printf '\\n{self.marker} {index} rc=%s\\n' \"$?\"")
        body = "\n".join(parts)
        return f"deployctl_facts=$(\n{body}\n)\nprintf '%s\\n' \"$deployctl_facts\"\n"

    def split(self, stdout: str) -> dict[str, Any]:
        """Parse the batch's output into each fact's value, keyed by the fact's key."""
        values: dict[str, Any] = {}
        for index, unit in enumerate(self._units):
            name = unit.group.name if unit.group else unit.facts[0].key
            start_marker = f"\n{self.marker} {index}\n"
            start = stdout.find(start_marker)
            if start < 0:
                raise ValueError(f"fact {name}: no output (the batch stopped early)")
            body_start = start + len(start_marker)
            end_prefix = f"\n{self.marker} {index} rc="
            end = stdout.find(end_prefix, body_start)
            if end < 0:
                raise ValueError(f"fact {name}: output was cut short")
            rc_end = stdout.find("\n", end + len(end_prefix))
            exit_code = int(stdout[end + len(end_prefix) : rc_end if rc_end >= 0 else None])
            values.update(unit.parse(RawFact(stdout[body_start:end], exit_code), self.marker))
        return values


def batch(facts: Sequence[Fact[T]]) -> FactBatch[T]:
    """Batch facts under a random marker that the hosts' output cannot forge by accident."""
    unique: dict[str, Fact[T]] = {}
    for fact in facts:
        unique.setdefault(fact.key, fact)
    return FactBatch(tuple(unique.values()), f"::deployctl-fact-{secrets.token_hex(8)}::")
