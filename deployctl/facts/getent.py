"""What `getent` prints for one database (and key): the entries and its exit code, as Ansible's getent reads them."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact

GETENT_PREFIX = "getent"
"""Every getent fact's key starts with it."""


@dataclass(frozen=True)
class GetentOutput:
    """getent's exit code (0 found, 1 unknown database, 2 key not found, 3 no enumeration) and output lines."""

    exit_code: int
    lines: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> GetentOutput:
        """Build from a fixture: a list of lines (exit code 0), or `{"rc": N, "lines": [...]}`."""
        if isinstance(data, list):
            return cls(0, tuple(str(line) for line in data))
        if not isinstance(data, Mapping):
            raise TypeError(f"getent fact: expected a list of lines or a mapping, got {data!r}")
        return cls(int(data["rc"]), tuple(str(line) for line in data.get("lines", ())))


@dataclass(frozen=True)
class GetentFact:
    """`getent [-s SERVICE] -- DATABASE [KEY]` (the values are operands, never options)."""

    database: str
    entry: str | None = None
    service: str | None = None

    @property
    def key(self) -> str:
        service = f"[{self.service}]" if self.service is not None else ""
        return f"{GETENT_PREFIX}{service}:{self.database}:{self.entry if self.entry is not None else '*'}"

    def script(self) -> str:
        words = ["getent", *(["-s", self.service] if self.service is not None else []), "--", self.database]
        if self.entry is not None:
            words.append(self.entry)
        return f'if command -v getent >/dev/null; then {shlex.join(words)}; echo "rc=$?"; else echo rc=127; fi'

    def parse(self, raw: RawFact) -> GetentOutput:
        return parse_getent_output(raw.output)

    def value_from_json(self, data: Any) -> GetentOutput:
        """The fact's value from its JSON form (test fixtures)."""
        return GetentOutput.from_json(data)


def parse_getent_output(output: str) -> GetentOutput:
    """getent's lines, then `rc=N` (its exit code) on a line of its own."""
    lines = output.rstrip("\n").split("\n")
    last = lines.pop() if lines else ""
    if not last.startswith("rc=") or not last[3:].isdigit():
        raise ValueError(f"getent fact: unexpected output {output!r}")
    return GetentOutput(int(last[3:]), tuple(line for line in lines if line) if last == "rc=0" else ())
