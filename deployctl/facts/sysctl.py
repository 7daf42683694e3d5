"""Facts about kernel parameters: the running value of one sysctl key."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact


@dataclass(frozen=True)
class SysctlFact:
    """The running value of a kernel parameter (`sysctl -n`); None when the key is unknown or unreadable.

    The value is returned as the kernel prints it (several fields are separated by tabs).
    """

    name: str

    @property
    def key(self) -> str:
        return f"sysctl:{self.name}"

    def script(self) -> str:
        return (
            f"set -- {shlex.quote(self.name)}\n"
            'if v=$(sysctl -n -- "$1" 2>/dev/null); then printf \'value %s\\n\' "$v"; else echo unknown; fi'
        )

    def parse(self, raw: RawFact) -> str | None:
        return parse_sysctl_output(self.name, raw.output)

    def value_from_json(self, data: Any) -> str | None:
        """The fact's value from its JSON form (test fixtures): the value as a string, or null."""
        if data is None:
            return None
        if not isinstance(data, str):
            raise TypeError(f"sysctl fact for {self.name}: expected a string or null, got {data!r}")
        return data


def parse_sysctl_output(name: str, output: str) -> str | None:
    """Parse `value <value>` (possibly several lines) or `unknown`."""
    text = output.strip("\n")
    if text == "unknown":
        return None
    if text.startswith("value "):
        return text[len("value ") :]
    if text == "value":
        return ""
    raise ValueError(f"sysctl fact for {name}: unexpected output {output!r}")
