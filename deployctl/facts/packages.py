"""Facts about Debian packages: installed and candidate versions (dpkg, apt) and the apt cache's age."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact

_NOT_INSTALLED_STATUSES = frozenset("nc")
"""dpkg's second status letter: n = not installed, c = only config files left; anything else is installed."""


@dataclass(frozen=True)
class PackageInfo:
    """One package: the installed version (None when not installed) and apt's candidate (None when none)."""

    name: str
    installed: str | None
    candidate: str | None

    @classmethod
    def from_json(cls, name: str, data: Any) -> PackageInfo:
        """Build from a fixture: a mapping with `installed` and `candidate` (each a version or null)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"package fact for {name}: expected a mapping, got {data!r}")
        installed, candidate = data.get("installed"), data.get("candidate")
        return cls(
            name=name,
            installed=str(installed) if installed is not None else None,
            candidate=str(candidate) if candidate is not None else None,
        )


@dataclass(frozen=True)
class PackageFact:
    """The installed version (`dpkg-query`) and the candidate version (`apt-cache policy`) of one package."""

    name: str

    @property
    def key(self) -> str:
        return f"package:{self.name}"

    def script(self) -> str:
        return (
            f"set -- {shlex.quote(self.name)}\n"
            "dpkg-query -W -f='dpkg ${db:Status-Abbrev}|${Version}\\n' -- \"$1\" 2>/dev/null\n"
            "apt-cache policy -- \"$1\" 2>/dev/null | sed -n 's/^ *Candidate: */candidate /p'\n"
            "true"
        )

    def parse(self, raw: RawFact) -> PackageInfo:
        return parse_package_output(self.name, raw.output)

    def value_from_json(self, data: Any) -> PackageInfo:
        """The fact's value from its JSON form (test fixtures)."""
        return PackageInfo.from_json(self.name, data)


def parse_package_output(name: str, output: str) -> PackageInfo:
    """Parse `dpkg <status>|<version>` lines (one per architecture) and a `candidate <version>` line."""
    installed: str | None = None
    candidate: str | None = None
    for line in output.splitlines():
        if line.startswith("dpkg "):
            status, _, version = line[len("dpkg ") :].partition("|")
            if installed is None and len(status) >= 2 and status[1] not in _NOT_INSTALLED_STATUSES and version:
                installed = version
        elif line.startswith("candidate "):
            value = line[len("candidate ") :].strip()
            candidate = None if value in ("", "(none)") else value
    return PackageInfo(name=name, installed=installed, candidate=candidate)


@dataclass(frozen=True)
class AptCacheAgeFact:
    """Seconds since apt's package lists were last updated (None when never), measured as Ansible does.

    Ansible uses the mtime of /var/lib/apt/periodic/update-success-stamp, else of /var/lib/apt/lists.
    Lists without any package index (as in images that clean them) count as never updated: Ansible
    would call them fresh and then find no package. The age is computed on the host.
    """

    key: str = "apt_cache_age"

    def script(self) -> str:
        return (
            "ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || { echo never; exit 0; }\n"
            "now=$(date +%s)\n"
            "for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists; do\n"
            '  if [ -e "$f" ]; then echo "age $((now - $(stat -c %Y -- "$f")))"; exit 0; fi\n'
            "done\n"
            "echo never"
        )

    def parse(self, raw: RawFact) -> int | None:
        words = raw.output.split()
        if words == ["never"]:
            return None
        if len(words) == 2 and words[0] == "age":
            return max(0, int(words[1]))
        raise ValueError(f"apt cache age: unexpected output {raw.output!r}")

    def value_from_json(self, data: Any) -> int | None:
        """The fact's value from its JSON form (test fixtures): seconds, or null for never updated."""
        if data is None:
            return None
        if isinstance(data, bool) or not isinstance(data, int):
            raise TypeError(f"apt cache age: expected seconds or null, got {data!r}")
        return data
