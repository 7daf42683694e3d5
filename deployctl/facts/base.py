"""A fact is a shell snippet plus a pure parser; many facts are read from a host in one command."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

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


@dataclass(frozen=True)
class FactBatch(Generic[T]):
    """Several facts read with one command: the script to run and how to split its output."""

    facts: tuple[Fact[T], ...]
    marker: str

    def script(self) -> str:
        """One shell script that runs every snippet, each in a subshell, fenced by markers."""
        parts = []
        for index, fact in enumerate(self.facts):
            parts.append(f"printf '\\n{self.marker} {index}\\n'")
            parts.append(f"( {fact.script()}\n) 2>/dev/null")
            parts.append(f"printf '\\n{self.marker} {index} rc=%s\\n' \"$?\"")
        return "\n".join(parts) + "\n"

    def split(self, stdout: str) -> dict[str, Any]:
        """Parse the batch's output into each fact's value, keyed by the fact's key."""
        values: dict[str, Any] = {}
        for index, fact in enumerate(self.facts):
            start_marker = f"\n{self.marker} {index}\n"
            start = stdout.find(start_marker)
            if start < 0:
                raise ValueError(f"fact {fact.key}: no output (the batch stopped early)")
            body_start = start + len(start_marker)
            end_prefix = f"\n{self.marker} {index} rc="
            end = stdout.find(end_prefix, body_start)
            if end < 0:
                raise ValueError(f"fact {fact.key}: output was cut short")
            rc_end = stdout.find("\n", end + len(end_prefix))
            exit_code = int(stdout[end + len(end_prefix) : rc_end if rc_end >= 0 else None])
            values[fact.key] = fact.parse(RawFact(stdout[body_start:end], exit_code))
        return values


def batch(facts: Sequence[Fact[T]]) -> FactBatch[T]:
    """Batch facts under a random marker that the hosts' output cannot forge by accident."""
    unique: dict[str, Fact[T]] = {}
    for fact in facts:
        unique.setdefault(fact.key, fact)
    return FactBatch(tuple(unique.values()), f"::deployctl-fact-{secrets.token_hex(8)}::")
