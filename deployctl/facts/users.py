"""Facts about local accounts: one user (passwd entry, primary and supplementary groups), one group."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact


@dataclass(frozen=True)
class UserInfo:
    """A user's passwd entry, the name of its primary group and its supplementary groups (sorted)."""

    name: str
    uid: int
    gid: int
    comment: str
    home: str
    shell: str
    group: str
    groups: tuple[str, ...]

    @classmethod
    def from_json(cls, name: str, data: Any) -> UserInfo | None:
        """Build from a fixture: null (no such user) or a mapping of the fields (`groups` a list)."""
        if data is None:
            return None
        if not isinstance(data, Mapping):
            raise TypeError(f"user fact for {name}: expected a mapping or null, got {data!r}")
        return cls(
            name=name,
            uid=int(data["uid"]),
            gid=int(data.get("gid", data["uid"])),
            comment=str(data.get("comment", "")),
            home=str(data.get("home", f"/home/{name}")),
            shell=str(data.get("shell", "/bin/sh")),
            group=str(data.get("group", name)),
            groups=tuple(sorted(str(group) for group in data.get("groups", ()))),
        )


@dataclass(frozen=True)
class UserFact:
    """A local or NSS user by name (`getent passwd`, `id`); None when there is no such user."""

    name: str

    @property
    def key(self) -> str:
        return f"user:{self.name}"

    def script(self) -> str:
        return (
            f"set -- {shlex.quote(self.name)}\n"
            'if ! e=$(getent passwd -- "$1"); then echo absent; exit 0; fi\n'
            "printf 'passwd %s\\n' \"$e\"\n"
            'printf \'groups %s\\n\' "$(id -Gn -- "$1")"'  # the primary group first: one `id`, not two
        )

    def parse(self, raw: RawFact) -> UserInfo | None:
        return parse_user_output(self.name, raw.output)

    def value_from_json(self, data: Any) -> UserInfo | None:
        """The fact's value from its JSON form (test fixtures)."""
        return UserInfo.from_json(self.name, data)


def parse_user_output(name: str, output: str) -> UserInfo | None:
    """Parse `passwd <entry>` and `groups <all groups>` (`id -Gn`: the primary group first) lines, or `absent`.

    An explicit `primary <group>` line, when present, names the primary group.
    """
    fields: dict[str, str] = {}
    for line in output.splitlines():
        if line.strip() == "absent":
            return None
        key, _, value = line.partition(" ")
        fields[key] = value
    entry = fields.get("passwd", "").split(":")
    if len(entry) != 7:
        raise ValueError(f"user fact for {name}: unexpected output {output!r}")
    groups = fields.get("groups", "").split()
    primary = fields.get("primary", "").strip() or (groups[0] if groups else entry[3])
    supplementary = {group for group in groups if group != primary}
    return UserInfo(
        name=entry[0],
        uid=int(entry[2]),
        gid=int(entry[3]),
        comment=entry[4],
        home=entry[5],
        shell=entry[6],
        group=primary,
        groups=tuple(sorted(supplementary)),
    )


@dataclass(frozen=True)
class GroupInfo:
    """A group's entry: name, gid and the members listed in the group database (sorted)."""

    name: str
    gid: int
    members: tuple[str, ...]

    @classmethod
    def from_json(cls, name: str, data: Any) -> GroupInfo | None:
        """Build from a fixture: null (no such group) or a mapping with `gid`, optional `members`, `name`."""
        if data is None:
            return None
        if not isinstance(data, Mapping):
            raise TypeError(f"group fact for {name}: expected a mapping or null, got {data!r}")
        return cls(
            name=str(data.get("name", name)),
            gid=int(data["gid"]),
            members=tuple(sorted(str(member) for member in data.get("members", ()))),
        )


@dataclass(frozen=True)
class GroupFact:
    """A group by name or gid (`getent group`); None when there is no such group."""

    name: str

    @property
    def key(self) -> str:
        return f"group:{self.name}"

    def script(self) -> str:
        return (
            f"set -- {shlex.quote(self.name)}\n"
            'if ! e=$(getent group -- "$1"); then echo absent; exit 0; fi\n'
            "printf 'group %s\\n' \"$e\""
        )

    def parse(self, raw: RawFact) -> GroupInfo | None:
        return parse_group_output(self.name, raw.output)

    def value_from_json(self, data: Any) -> GroupInfo | None:
        """The fact's value from its JSON form (test fixtures)."""
        return GroupInfo.from_json(self.name, data)


def parse_group_output(name: str, output: str) -> GroupInfo | None:
    """Parse a `group <name:x:gid:members>` line, or `absent`."""
    for line in output.splitlines():
        if line.strip() == "absent":
            return None
        if line.startswith("group "):
            entry = line[len("group ") :].split(":")
            if len(entry) != 4:
                break
            members = tuple(sorted(member for member in entry[3].split(",") if member))
            return GroupInfo(name=entry[0], gid=int(entry[2]), members=members)
    raise ValueError(f"group fact for {name}: unexpected output {output!r}")
