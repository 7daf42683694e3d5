"""The full list of a host's installed Debian packages: the baseline recorded at apply time, compared by drift."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from deployctl.facts.base import RawFact

_NOT_INSTALLED_STATUSES = frozenset("nc")
"""dpkg's second status letter: n = not installed, c = only config files left."""
PACKAGE_LIST_KEY = "packages:installed"


@dataclass(frozen=True)
class PackageListFact:
    """Every installed package and its version (`dpkg-query -W`); empty where dpkg is missing."""

    key: str = PACKAGE_LIST_KEY

    def script(self) -> str:
        return "dpkg-query -W -f='${db:Status-Abbrev}|${binary:Package}|${Version}\\n' 2>/dev/null; true"

    def parse(self, raw: RawFact) -> dict[str, str]:
        return parse_package_list(raw.output)


def parse_package_list(output: str) -> dict[str, str]:
    """Parse `<status>|<package>|<version>` lines into package -> version, installed packages only."""
    packages: dict[str, str] = {}
    for line in output.splitlines():
        status, _, rest = line.partition("|")
        name, _, version = rest.partition("|")
        if len(status) >= 2 and status[1] not in _NOT_INSTALLED_STATUSES and name and version:
            packages[name] = version
    return packages


def installed_changes(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    """Packages whose version or presence differs between two lists."""
    return {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
