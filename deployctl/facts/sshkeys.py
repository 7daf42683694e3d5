"""An OpenSSH key pair as community.crypto's openssh_keypair reads it with ssh-keygen (its opensshbin backend): what
`ssh-keygen -l` says of the private key, the public key `ssh-keygen -y` derives from it, and the `.pub` file."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from deployctl.facts.base import RawFact

SSH_KEYPAIR_PREFIX = "ssh_keypair:"
_LISTED = re.compile(r"^(\d+)\s+\S+\s+(?:.*\s)?\((\w+)\)$")

KeyPathType = Literal["absent", "file", "directory"]


@dataclass(frozen=True)
class PublicKeyLine:
    """A public key's `type data [comment]` (equal keys have the same type and data; comments count when both
    have one, as the module compares them)."""

    type: str
    data: str
    comment: str | None = None

    @classmethod
    def parse(cls, line: str) -> PublicKeyLine | None:
        """The key of one `.pub` line, or None when it is not one."""
        words = line.strip().split(None, 2)
        if len(words) < 2:
            return None
        return cls(words[0], words[1], words[2] if len(words) == 3 else None)

    def same_key(self, other: PublicKeyLine) -> bool:
        """The module's equality of public keys."""
        comments_agree = self.comment is None or other.comment is None or self.comment == other.comment
        return self.type == other.type and self.data == other.data and comments_agree


@dataclass(frozen=True)
class SshKeypairInfo:
    """The private key's path type; its size and type per `ssh-keygen -l` (None: not a key it reads); the public
    key derived from it (None: ssh-keygen cannot, e.g. a passphrase); the `.pub` file's key and mode; whether
    ssh-keygen is on the host."""

    path: str
    path_type: KeyPathType
    size: int | None = None
    key_type: str | None = None
    derived: PublicKeyLine | None = None
    public_exists: bool = False
    public: PublicKeyLine | None = None
    public_mode: str | None = None
    keygen: bool = True

    @classmethod
    def from_json(cls, path: str, data: Any) -> SshKeypairInfo:
        """From a fixture: "absent", or a mapping with `type`, `size`, `key_type`, `derived`, `public` (key lines),
        `public_mode` and `keygen`."""
        if data == "absent" or data is None:
            return cls(path, "absent")
        if not isinstance(data, Mapping):
            raise TypeError(f"ssh key pair fact {path}: expected a mapping, got {data!r}")
        public = data.get("public")
        return cls(
            path,
            data.get("type", "file"),
            data.get("size"),
            data.get("key_type"),
            PublicKeyLine.parse(data["derived"]) if data.get("derived") else None,
            public is not None,
            PublicKeyLine.parse(public) if public else None,
            data.get("public_mode", "0644" if public is not None else None),
            data.get("keygen", True),
        )


@dataclass(frozen=True)
class SshKeypairFact:
    """The key pair at `path` (private key) and `path.pub`."""

    path: str

    @property
    def key(self) -> str:
        return f"{SSH_KEYPAIR_PREFIX}{self.path}"

    def script(self) -> str:
        return (
            f"set -- {shlex.quote(self.path)}\n"
            "command -v ssh-keygen >/dev/null 2>&1 || echo nokeygen\n"
            'if [ -d "$1" ]; then echo directory; exit 0; fi\n'
            'if [ -e "$1" ]; then\n'
            "  echo file\n"
            '  l=$(ssh-keygen -l -f "$1" 2>/dev/null </dev/null) && printf \'listed %s\\n\' "$l"\n'
            "  y=$(ssh-keygen -P '' -y -f \"$1\" 2>/dev/null </dev/null) && printf 'derived %s\\n' \"$y\"\n"
            "fi\n"
            'if [ -e "$1.pub" ]; then\n'
            '  printf \'public_mode %s\\n\' "$(stat -c %a -- "$1.pub")"\n'
            '  printf \'public %s\\n\' "$(head -n 1 -- "$1.pub")"\n'
            "fi"
        )

    def parse(self, raw: RawFact) -> SshKeypairInfo:
        return parse_keypair_output(self.path, raw.output)

    def value_from_json(self, data: Any) -> SshKeypairInfo:
        return SshKeypairInfo.from_json(self.path, data)


def parse_keypair_output(path: str, output: str) -> SshKeypairInfo:
    """The snippet's lines: `nokeygen`, `directory` or `file`, `listed`, `derived`, `public_mode`, `public`."""
    path_type: KeyPathType = "absent"
    size: int | None = None
    key_type: str | None = None
    derived: PublicKeyLine | None = None
    public_exists = False
    public: PublicKeyLine | None = None
    public_mode: str | None = None
    keygen = True
    for line in output.splitlines():
        word, _, rest = line.partition(" ")
        if word == "nokeygen":
            keygen = False
        elif word in ("directory", "file"):
            path_type = "directory" if word == "directory" else "file"
        elif word == "listed" and (found := _LISTED.match(rest.strip())):
            size, key_type = int(found.group(1)), found.group(2).lower()
        elif word == "derived":
            derived = PublicKeyLine.parse(rest)
        elif word == "public_mode":
            public_mode = rest.strip().zfill(4)
        elif word == "public":
            public_exists, public = True, PublicKeyLine.parse(rest)
    return SshKeypairInfo(path, path_type, size, key_type, derived, public_exists, public, public_mode, keygen)
