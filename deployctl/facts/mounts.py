"""The mounts the host's kernel shows (/proc/self/mountinfo): what is mounted where."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact

MOUNTS_KEY = "mounts"
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def unescape_mount_field(field: str) -> str:
    """mountinfo's and fstab's octal escapes (`\\040` for a space) back into characters."""
    return _OCTAL_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


@dataclass(frozen=True)
class MountInfo:
    """One mounted file system: its mount point, source and type."""

    path: str
    src: str
    fstype: str


@dataclass(frozen=True)
class MountsFact:
    """Every mount point of the host, by path (the last mount over a path wins, as the kernel shows it)."""

    @property
    def key(self) -> str:
        return MOUNTS_KEY

    def script(self) -> str:
        return "cat /proc/self/mountinfo"

    def parse(self, raw: RawFact) -> dict[str, MountInfo]:
        return parse_mountinfo(raw.output)

    def value_from_json(self, data: Any) -> dict[str, MountInfo]:
        """The fact's value from its JSON form (test fixtures): path -> {src, fstype}."""
        if not isinstance(data, Mapping):
            raise TypeError(f"mounts: expected a mapping, got {data!r}")
        return {
            str(path): MountInfo(str(path), str(entry.get("src", "")), str(entry.get("fstype", "")))
            for path, entry in data.items()
        }


def parse_mountinfo(output: str) -> dict[str, MountInfo]:
    """`ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS` lines."""
    mounts: dict[str, MountInfo] = {}
    for line in output.splitlines():
        fields = line.split()
        if len(fields) < 10 or "-" not in fields[6:]:
            continue
        path = unescape_mount_field(fields[4])
        mounts[path] = MountInfo(path, unescape_mount_field(fields[-2]), fields[-3])
    return mounts
