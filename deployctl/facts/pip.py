"""Facts about Python packages: what a pip has installed, and what an install would change (`--dry-run`)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact

_CANONICAL = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """A distribution name as pip compares them (PEP 503): lowercase, runs of `-_.` as one `-`."""
    return _CANONICAL.sub("-", name).lower()


@dataclass(frozen=True)
class PipPackagesFact:
    """The distributions a pip sees installed, canonical name -> version (`pip list --format=freeze`).

    None when that pip cannot run (not installed, or a virtualenv that does not exist yet).
    """

    pip: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"pip-packages:{shlex.join(self.pip)}"

    def script(self) -> str:
        return (
            f"set -- {shlex.join(self.pip)}\n"
            'if out=$("$@" list --format=freeze --disable-pip-version-check 2>/dev/null); then\n'
            '  echo packages; printf "%s\\n" "$out"\n'
            "else echo nopip; fi"
        )

    def parse(self, raw: RawFact) -> dict[str, str] | None:
        return parse_pip_list(self.key, raw.output)

    def value_from_json(self, data: Any) -> dict[str, str] | None:
        """From a fixture: {"name": "version"} or null (pip cannot run)."""
        if data is None:
            return None
        if not isinstance(data, Mapping):
            raise TypeError(f"{self.key}: expected a mapping or null, got {data!r}")
        return {canonical_name(str(name)): str(version) for name, version in data.items()}


def parse_pip_list(key: str, output: str) -> dict[str, str] | None:
    """Parse `nopip`, or `packages` and `name==version` lines (editable installs and others are skipped)."""
    lines = output.strip("\n").split("\n")
    if lines[0] == "nopip":
        return None
    if lines[0] != "packages":
        raise ValueError(f"{key}: unexpected output {output[:200]!r}")
    installed: dict[str, str] = {}
    for line in lines[1:]:
        name, separator, version = line.strip().partition("==")
        if separator:
            installed[canonical_name(name)] = version
    return installed


@dataclass(frozen=True)
class PipDryRunFact:
    """What `pip install --dry-run ARGS` would install: canonical name -> version (empty: nothing to do).

    None when the dry run fails (a pip older than 22.2, an index that cannot be reached, a bad requirement).
    """

    pip: tuple[str, ...]
    install_args: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"pip-dry-run:{shlex.join((*self.pip, 'install', *self.install_args))}"

    def script(self) -> str:
        words = shlex.join((*self.pip, "install", "--dry-run", "--quiet", "--disable-pip-version-check"))
        return (
            f"set -- {words} --report - {shlex.join(self.install_args)}\n"
            'if out=$("$@" 2>/dev/null); then echo report; printf "%s\\n" "$out"; else echo failed; fi'
        )

    def parse(self, raw: RawFact) -> dict[str, str] | None:
        return parse_dry_run(self.key, raw.output)

    def value_from_json(self, data: Any) -> dict[str, str] | None:
        """From a fixture: {"name": "version"} of what would be installed, or null (the dry run failed)."""
        if data is None:
            return None
        return {canonical_name(str(name)): str(version) for name, version in data.items()}


def parse_dry_run(key: str, output: str) -> dict[str, str] | None:
    """Parse `failed`, or `report` and pip's JSON installation report."""
    head, _, body = output.strip("\n").partition("\n")
    if head == "failed":
        return None
    if head != "report":
        raise ValueError(f"{key}: unexpected output {output[:200]!r}")
    try:
        report = json.loads(body)
    except ValueError:
        return None
    items: Sequence[Any] = report.get("install", []) if isinstance(report, Mapping) else []
    return {
        canonical_name(str(item["metadata"]["name"])): str(item["metadata"]["version"])
        for item in items
        if isinstance(item, Mapping) and isinstance(item.get("metadata"), Mapping)
    }
