"""Facts about Debian packages: installed and candidate versions (dpkg, apt) and the apt cache's age."""

from __future__ import annotations

import base64
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact

_NOT_INSTALLED_STATUSES = frozenset("nc")
"""dpkg's second status letter: n = not installed, c = only config files left; anything else is installed."""


@dataclass(frozen=True)
class PackageInfo:
    """One package: the installed version (None when not installed), apt's candidate (None when none), and
    whether a removed package left its configuration files (dpkg's `rc`: what `purge` removes)."""

    name: str
    installed: str | None
    candidate: str | None
    config_files: bool = False
    auto_installed: bool = False
    """Installed only as another package's dependency (apt's extended_states): `apt-mark manual` keeps it."""

    @classmethod
    def from_json(cls, name: str, data: Any) -> PackageInfo:
        """Build from a fixture: a mapping with `installed` and `candidate` (each a version or null), and
        optionally `config_files` (true for a removed package whose configuration files are left)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"package fact for {name}: expected a mapping, got {data!r}")
        installed, candidate = data.get("installed"), data.get("candidate")
        return cls(
            name=name,
            installed=str(installed) if installed is not None else None,
            candidate=str(candidate) if candidate is not None else None,
            config_files=bool(data.get("config_files", False)),
            auto_installed=bool(data.get("auto_installed", False)),
        )


_DPKG_FORMAT = "${Package}|${db:Status-Abbrev}|${Version}|${binary:Package}\\n"
"""dpkg-query's line per package (one per architecture): name, status letters, version, name with architecture."""
PACKAGE_LIST_KEY = "packages:installed"

_EXTENDED_STATES = "/var/lib/apt/extended_states"
_AUTO_LINES = "/^Package: /{s/^Package: //;h};/^Auto-Installed: 1/{g;p}"
"""sed prints the name of each package extended_states marks as installed automatically."""
_POLICY_LINES = r"s/^\([^ ].*\):$/policy \1/p; s/^ *Candidate: */candidate /p"
"""sed keeps apt-cache policy's header per package (`name:`) and its candidate line."""


class _PackagesGroupFact:
    """A fact the packages group reads (one dpkg-query, at most one apt-cache for the whole batch); read alone,
    it runs the group's snippet for itself."""

    @property
    def key(self) -> str:
        raise NotImplementedError

    @property
    def group(self) -> PackagesGroup:
        return PACKAGES

    def script(self) -> str:
        return PACKAGES.script([self], "")

    def parse(self, raw: RawFact) -> Any:
        return PACKAGES.split([self], raw, "")[self.key]


@dataclass(frozen=True)
class PackageFact(_PackagesGroupFact):
    """The installed version of one package (`dpkg-query`) and, when it is not installed, apt's candidate
    (`apt-cache policy`, which costs more than the rest of a no-op's facts): what an install would get.

    The candidate of an installed package (for state=latest) is CandidateFact's.
    """

    name: str

    @property
    def key(self) -> str:
        return f"package:{self.name}"

    def value_from_json(self, data: Any) -> PackageInfo:
        """The fact's value from its JSON form (test fixtures)."""
        return PackageInfo.from_json(self.name, data)


@dataclass(frozen=True)
class CandidateFact(_PackagesGroupFact):
    """apt's candidate version of one package (None when apt has none), installed or not."""

    name: str

    @property
    def key(self) -> str:
        return f"candidate:{self.name}"

    def value_from_json(self, data: Any) -> str | None:
        """The fact's value from its JSON form (test fixtures): a version or null."""
        return None if data is None else str(data)


@dataclass(frozen=True)
class PackageListFact(_PackagesGroupFact):
    """Every installed package (by `binary:Package`, with `:arch` where dpkg names it so) and its version;
    empty where dpkg is missing. With it in a batch, its one `dpkg-query` serves the batch's PackageFacts."""

    @property
    def key(self) -> str:
        return PACKAGE_LIST_KEY


@dataclass(frozen=True)
class PackagesGroup:
    """Every PackageFact and CandidateFact of a batch: one `dpkg-query` for the installed versions, then one
    `apt-cache policy` for the packages not installed and those whose candidate is asked for (none on a no-op
    of packages already installed)."""

    name: str = "packages"

    def script(self, facts: Sequence[Any], marker: str) -> str:
        installed = [f.name for f in facts if isinstance(f, PackageFact)]
        candidates = [f.name for f in facts if isinstance(f, CandidateFact)]
        if any(isinstance(f, PackageListFact) for f in facts):  # the list: every package, in the same query
            read = f"d=$(dpkg-query -W -f='{_DPKG_FORMAT}' 2>/dev/null); printf '%s\\n' \"$d\""
        elif installed:
            read = f"d=$(dpkg-query -W -f='{_DPKG_FORMAT}' -- \"$@\" 2>/dev/null); printf '%s\\n' \"$d\""
        else:
            read = "d="
        return f"""set -f
set -- {" ".join(shlex.quote(name) for name in installed)}
{read}
nl='
'
ask={shlex.quote(" ".join(candidates))}
for n do
  case "$nl$d" in *"$nl$n|"?[!nc]*) ;; *) ask="$ask $n" ;; esac
done
if [ -n "$ask" ]; then apt-cache policy -- $ask 2>/dev/null | sed -n '{_POLICY_LINES}'; fi
if [ $# -gt 0 ] && [ -r {_EXTENDED_STATES} ]; then
  a=$(sed -n '{_AUTO_LINES}' {_EXTENDED_STATES})
  for n do case "$nl$a$nl" in *"$nl$n$nl"*) printf 'auto %s\n' "$n" ;; esac; done
fi
true"""

    def split(self, facts: Sequence[Any], raw: RawFact, marker: str) -> dict[str, Any]:
        installed: dict[str, str] = {}
        config_only: set[str] = set()
        listing: dict[str, str] = {}
        candidate: dict[str, str | None] = {}
        policy: str | None = None
        auto: set[str] = set()
        for line in raw.output.splitlines():
            if line.startswith("auto "):
                auto.add(line[len("auto ") :])
            elif line.startswith("policy "):
                policy = line[len("policy ") :]
            elif line.startswith("candidate "):
                if policy is not None:
                    value = line[len("candidate ") :].strip()
                    candidate[policy] = None if value in ("", "(none)") else value
            elif line.count("|") >= 3:
                name, status, version, arch_name = line.split("|", 3)
                if status.startswith("rc"):
                    config_only.add(name)
                if len(status) >= 2 and status[1] not in _NOT_INSTALLED_STATUSES and version:
                    installed.setdefault(name, version)
                    listing[arch_name or name] = version
        values: dict[str, Any] = {}
        for fact in facts:
            if isinstance(fact, PackageListFact):
                values[fact.key] = listing
            elif isinstance(fact, CandidateFact):
                values[fact.key] = candidate.get(fact.name)
            else:
                found = installed.get(fact.name)
                values[fact.key] = PackageInfo(
                    fact.name,
                    found,
                    None if found else candidate.get(fact.name),
                    config_files=not found and fact.name in config_only,
                    auto_installed=bool(found) and fact.name in auto,
                )
        return values


PACKAGES = PackagesGroup()


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
            "set -- /var/lib/apt/lists/*_Packages*\n"
            '[ -e "$1" ] || { echo never; exit 0; }\n'
            # now = boot time + uptime, read with the shell's own `read` (one process fewer than `date +%s`)
            'b=; while read -r k v; do if [ "$k" = btime ]; then b=$v; break; fi; done < /proc/stat\n'
            "read -r up _ < /proc/uptime\n"
            'if [ -n "$b" ] && [ -n "$up" ]; then now=$((b + ${up%.*})); else now=$(date +%s); fi\n'
            "for f in /var/lib/apt/periodic/update-success-stamp /var/lib/apt/lists; do\n"
            '  if [ -e "$f" ]; then echo "age $((now - $(date -r "$f" +%s)))"; exit 0; fi\n'
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


INSTALLED_DETAILS_KEY = "packages:details"


@dataclass(frozen=True)
class InstalledPackage:
    """One installed package as Ansible's package_facts (apt) lists it: apt's name (`name:arch` for a foreign
    architecture), version, architecture and section."""

    name: str
    version: str
    arch: str
    category: str

    def as_fact(self) -> dict[str, str]:
        """The entry of `ansible_facts.packages[name]`."""
        return {"name": self.name, "version": self.version, "arch": self.arch, "category": self.category}


@dataclass(frozen=True)
class InstalledPackagesFact:
    """Every installed package with its version, architecture and section (one `dpkg-query`); empty without dpkg."""

    @property
    def key(self) -> str:
        return INSTALLED_DETAILS_KEY

    def script(self) -> str:
        return (
            "command -v dpkg-query >/dev/null || exit 0\n"
            'printf "native %s\\n" "$(dpkg --print-architecture)"\n'
            "dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Version}|${Architecture}|${Section}\\n'"
        )

    def parse(self, raw: RawFact) -> tuple[InstalledPackage, ...]:
        return parse_installed_details(raw.output)

    def value_from_json(self, data: Any) -> tuple[InstalledPackage, ...]:
        """The fact's value from its JSON form (test fixtures): a list of {name, version, arch, category}."""
        if not isinstance(data, list):
            raise TypeError(f"installed packages: expected a list, got {data!r}")
        return tuple(
            InstalledPackage(str(p["name"]), str(p["version"]), str(p.get("arch", "amd64")), str(p.get("category", "")))
            for p in data
        )


def parse_installed_details(output: str) -> tuple[InstalledPackage, ...]:
    """`native ARCH`, then `status|package|version|arch|section` lines: the installed ones, named as apt names
    them (a package of another architecture than the native one, or `all`, is `name:arch`)."""
    lines = output.splitlines()
    native = next((line.split(" ", 1)[1] for line in lines if line.startswith("native ")), "")
    found: list[InstalledPackage] = []
    for line in lines:
        fields = line.split("|")
        if len(fields) != 5:
            continue
        status, name, version, arch, section = fields
        if len(status) < 2 or status[1] in _NOT_INSTALLED_STATUSES or not version:
            continue
        apt_name = name if arch in (native, "all") else f"{name}:{arch}"
        found.append(InstalledPackage(apt_name, version, arch, section))
    return tuple(found)


@dataclass(frozen=True)
class AutoremovableFact:
    """The packages `apt-get autoremove` would remove (installed automatically, no longer needed), read with
    apt-get's simulation; empty where apt-get is missing."""

    key: str = "apt_autoremovable"

    def script(self) -> str:
        return "apt-get -s -q autoremove 2>/dev/null | sed -n 's/^Remv \\([^ ]*\\).*/\\1/p'\ntrue"

    def parse(self, raw: RawFact) -> tuple[str, ...]:
        return tuple(sorted({line.strip() for line in raw.output.splitlines() if line.strip()}))

    def value_from_json(self, data: Any) -> tuple[str, ...]:
        """The fact's value from its JSON form (test fixtures): a list of package names."""
        if not isinstance(data, list):
            raise TypeError(f"autoremovable packages: expected a list, got {data!r}")
        return tuple(sorted(str(name) for name in data))


SOURCES_LIST = "/etc/apt/sources.list"
SOURCES_DIR = "/etc/apt/sources.list.d"


@dataclass(frozen=True)
class SourcesFile:
    """One apt sources file in the one-line format: its path, mode, text, and whether the path is a symlink."""

    path: str
    mode: str
    text: str
    link: bool = False


@dataclass(frozen=True)
class AptSourcesFact:
    """/etc/apt/sources.list and every /etc/apt/sources.list.d/*.list (what Ansible's apt_repository reads)."""

    key: str = "apt_sources"

    def script(self) -> str:
        return (
            f"for f in {SOURCES_LIST} {SOURCES_DIR}/*.list; do\n"
            '  [ -f "$f" ] || continue\n'
            '  if [ -L "$f" ]; then k=link; else k=file; fi\n'
            '  printf \'file %s %s %s\\n\' "$(stat -L -c %a -- "$f")" "$k" '
            '"$(printf %s "$f" | base64 | tr -d \'\\n\')"\n'
            "  printf 'text %s\\n' \"$(base64 < \"$f\" | tr -d '\\n')\"\n"
            "done\n"
            "true"
        )

    def parse(self, raw: RawFact) -> tuple[SourcesFile, ...]:
        files: list[SourcesFile] = []
        header: list[str] | None = None
        for line in raw.output.splitlines():
            if line.startswith("file "):
                header = line.split(" ")
            elif line.startswith("text") and header is not None and len(header) == 4:
                _, mode, kind, path = header
                text = base64.b64decode(line[len("text ") :]).decode("utf-8", errors="replace")
                files.append(SourcesFile(base64.b64decode(path).decode(), mode.zfill(4), text, link=kind == "link"))
                header = None
        return tuple(files)

    def value_from_json(self, data: Any) -> tuple[SourcesFile, ...]:
        """The fact's value from its JSON form (test fixtures): path -> {content, mode, link}."""
        if not isinstance(data, Mapping):
            raise TypeError(f"apt sources: expected a mapping, got {data!r}")
        return tuple(
            SourcesFile(
                str(path),
                str(entry.get("mode", "0644")),
                str(entry.get("content", "")),
                link=bool(entry.get("link", False)),
            )
            for path, entry in data.items()
        )
