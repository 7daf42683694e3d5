"""Facts about local accounts: one user (passwd entry, primary and supplementary groups), one group."""

from __future__ import annotations

import base64
import hashlib
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


@dataclass(frozen=True)
class ShadowInfo:
    """A user's /etc/shadow entry as far as the user module compares it, without the password hash itself.

    `digest` is the sha256 (hex) of the hash field with its leading `!` removed, computed on the host, so
    the hash never leaves it; `locked` is whether the field starts with `!`; `expire` the account's expiry
    in days since 1970-01-01, -1 when it does not expire. `aging` the password's minimum age, maximum age and
    warning period in days (-1 where the field is empty). `readable` is False when /etc/shadow could not be
    read (without become).
    """

    digest: str
    locked: bool
    expire: int
    readable: bool = True
    aging: tuple[int, int, int] = (-1, -1, -1)

    @classmethod
    def from_json(cls, name: str, data: Any) -> ShadowInfo | None:
        """Build from a fixture: null (no entry), `{"readable": false}`, or a mapping with `hash` (the field
        as /etc/shadow holds it, leading `!` included) and optionally `expire` (days, default -1)."""
        if data is None:
            return None
        if not isinstance(data, Mapping):
            raise TypeError(f"shadow fact for {name}: expected a mapping or null, got {data!r}")
        if data.get("readable", True) is False:
            return cls(digest="", locked=False, expire=-1, readable=False)
        field = str(data.get("hash", "!"))
        aging = data.get("aging", (-1, -1, -1))
        return cls(
            digest=password_digest(field),
            locked=field.startswith("!"),
            expire=int(data.get("expire", -1)),
            aging=(int(aging[0]), int(aging[1]), int(aging[2])),
        )


def password_digest(field: str) -> str:
    """The sha256 (hex) of a shadow password field without its leading `!`s: what ShadowFact reports."""
    return hashlib.sha256(field.lstrip("!").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ShadowFact:
    """A user's shadow entry (`getent shadow`, which needs root): the hash's digest, lock and expiry."""

    name: str

    @property
    def key(self) -> str:
        return f"shadow:{self.name}"

    def script(self) -> str:
        return (
            f"set -- {shlex.quote(self.name)}\n"
            # without root, NSS modules may make up an entry (systemd's gives root `!*`): not the real one
            "[ -r /etc/shadow ] || { echo unreadable; exit 0; }\n"
            'e=$(getent shadow -- "$1") || { echo absent; exit 0; }\n'
            "IFS=: read -r _ h _ n m w _ x _ <<EOF\n"
            "$e\n"
            "EOF\n"
            "case $h in !*) echo locked;; esac\n"
            "printf 'expire %s\\n' \"${x:--1}\"\n"
            'printf \'aging %s %s %s\\n\' "${n:--1}" "${m:--1}" "${w:--1}"\n'
            'printf %s "${h#"${h%%[!!]*}"}" | sha256sum | { read -r d _; echo "digest $d"; }'
        )

    def parse(self, raw: RawFact) -> ShadowInfo | None:
        return parse_shadow_output(self.name, raw.output)

    def value_from_json(self, data: Any) -> ShadowInfo | None:
        """The fact's value from its JSON form (test fixtures)."""
        return ShadowInfo.from_json(self.name, data)


def parse_shadow_output(name: str, output: str) -> ShadowInfo | None:
    """Parse `absent`, `unreadable`, or `locked` (optional), `expire <days>`, `aging <min> <max> <warn>` and
    `digest <hex>` lines."""
    words = output.split()
    if words == ["absent"]:
        return None
    if words == ["unreadable"]:
        return ShadowInfo(digest="", locked=False, expire=-1, readable=False)
    fields: dict[str, str] = {}
    for line in output.splitlines():
        key, _, value = line.strip().partition(" ")
        fields[key] = value.strip()
    if "digest" not in fields or "expire" not in fields or len(fields["digest"]) != 64:
        raise ValueError(f"shadow fact for {name}: unexpected output {output!r}")
    aging = [int(word) for word in fields.get("aging", "-1 -1 -1").split()]
    if len(aging) != 3:
        raise ValueError(f"shadow fact for {name}: unexpected output {output!r}")
    return ShadowInfo(
        digest=fields["digest"],
        locked="locked" in fields,
        expire=int(fields["expire"] or -1),
        aging=(aging[0], aging[1], aging[2]),
    )


@dataclass(frozen=True)
class SshKeyInfo:
    """A user's ssh key pair as the user module sees it: where it is, whether its files exist, what it holds.

    `path` is the private key (a relative key file is under the home directory); `home_exists` says whether
    that home directory exists; `fingerprint` is `ssh-keygen -l`'s line and `public_key` the `.pub` file's
    content, stripped (None when absent).
    """

    path: str
    home_exists: bool
    directory_exists: bool
    private_exists: bool
    public_exists: bool
    fingerprint: str | None = None
    public_key: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> SshKeyInfo:
        """Build from a fixture: `path`, and the optional fields (files absent, home present by default)."""
        if not isinstance(data, dict):
            raise TypeError(f"ssh key fact: expected a mapping, got {data!r}")
        return cls(
            path=str(data["path"]),
            home_exists=bool(data.get("home_exists", True)),
            directory_exists=bool(data.get("directory_exists", False)),
            private_exists=bool(data.get("private_exists", False)),
            public_exists=bool(data.get("public_exists", False)),
            fingerprint=data.get("fingerprint"),
            public_key=data.get("public_key"),
        )


_SSH_KEY_SCRIPT = """\
if e=$(getent passwd -- "$1"); then h=$(printf '%s\\n' "$e" | cut -d: -f6); else h=$3; fi
case $2 in /*) p=$2 ;; *) p=$h/$2 ;; esac
b64() { printf %s "$1" | base64 | tr -d '\\n'; }
printf 'path-b64 %s\\n' "$(b64 "$p")"
flag() { if [ "$2" "$3" ]; then echo "$1 yes"; else echo "$1 no"; fi; }
flag home -d "$h"
flag directory -d "$(dirname -- "$p")"
if [ -e "$p" ] || [ -L "$p" ]; then echo 'private yes'; else echo 'private no'; fi
if [ -e "$p.pub" ] || [ -L "$p.pub" ]; then echo 'public yes'; else echo 'public no'; fi
if f=$(ssh-keygen -l -f "$p" 2>/dev/null); then printf 'fingerprint-b64 %s\\n' "$(b64 "$f")"; fi
if [ -f "$p.pub" ] && k=$(cat -- "$p.pub"); then printf 'public-key-b64 %s\\n' "$(b64 "$k")"; fi"""


@dataclass(frozen=True)
class SshKeyFact:
    """The key pair at `file` of user `name` (under its home when relative; `home` for a user still to create)."""

    name: str
    file: str
    home: str

    @property
    def key(self) -> str:
        return f"ssh_key:{self.name}:{self.file}"

    def script(self) -> str:
        words = " ".join(shlex.quote(word) for word in (self.name, self.file, self.home))
        return f"set -- {words}\n{_SSH_KEY_SCRIPT}"

    def parse(self, raw: RawFact) -> SshKeyInfo:
        fields: dict[str, str] = {}
        for line in raw.output.splitlines():
            key, _, value = line.strip().partition(" ")
            fields[key] = value
        if "path-b64" not in fields:
            raise ValueError(f"ssh key fact for {self.name}: unexpected output {raw.output!r}")

        def text(name: str) -> str | None:
            value = fields.get(name)
            return base64.b64decode(value).decode("utf-8", "replace") if value is not None else None

        return SshKeyInfo(
            path=text("path-b64") or "",
            home_exists=fields.get("home") == "yes",
            directory_exists=fields.get("directory") == "yes",
            private_exists=fields.get("private") == "yes",
            public_exists=fields.get("public") == "yes",
            fingerprint=(text("fingerprint-b64") or "").strip() or None,
            public_key=(text("public-key-b64") or "").strip() or None,
        )

    def value_from_json(self, data: Any) -> SshKeyInfo:
        """The fact's value from its JSON form (test fixtures)."""
        return SshKeyInfo.from_json(data)
