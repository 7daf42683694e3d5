"""A user's authorized_keys file as Ansible's authorized_key finds it: the user (for the default path in its home),
the keys file and its folder, read by one snippet since the default path is known only on the host."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact
from deployctl.facts.files import FileInfo, describe_script, parse_file_output
from deployctl.facts.users import UserInfo, parse_user_output

AUTHORIZED_KEYS_PREFIX = "authorized_keys:"
_DESCRIBE_FILE = describe_script('"$f"')
_DESCRIBE_FOLDER = describe_script('"$(dirname -- "$f")"')


@dataclass(frozen=True)
class AuthorizedKeysInfo:
    """The user (None when there is no such user), the keys file's path and what is there, and its folder."""

    user: UserInfo | None
    path: str
    file: FileInfo
    folder: FileInfo


@dataclass(frozen=True)
class AuthorizedKeysFact:
    """The keys file of `user`: `path`, or `~user/.ssh/authorized_keys` from the user's passwd entry."""

    user: str
    path: str | None = None

    @property
    def key(self) -> str:
        return f"{AUTHORIZED_KEYS_PREFIX}{self.user}:{self.path or '~'}"

    def script(self) -> str:
        return (
            f"set -- {shlex.quote(self.user)} {shlex.quote(self.path or '')}\n"
            'if ! e=$(getent passwd -- "$1"); then echo absent; exit 0; fi\n'
            "printf 'passwd %s\\n' \"$e\"\n"
            'printf \'groups %s\\n\' "$(id -Gn -- "$1")"\n'
            "h=$(printf '%s\\n' \"$e\" | cut -d: -f6)\n"
            "f=${2:-$h/.ssh/authorized_keys}\n"
            "printf '@@file %s\\n' \"$f\"\n"
            f"( {_DESCRIBE_FILE}\n)\n"
            "printf '@@folder\\n'\n"
            f"( {_DESCRIBE_FOLDER}\n)"
        )

    def parse(self, raw: RawFact) -> AuthorizedKeysInfo:
        return parse_authorized_keys_output(self.user, self.path, raw.output)

    def value_from_json(self, data: Any) -> AuthorizedKeysInfo:
        """From a fixture: `user` (a user fact's JSON, or null), `path`, `file` and `folder` (file facts' JSON)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"authorized_keys fact for {self.user}: expected a mapping, got {data!r}")
        user = UserInfo.from_json(self.user, data.get("user"))
        path = str(data.get("path") or self.path or f"{user.home if user else ''}/.ssh/authorized_keys")
        folder = path.rsplit("/", 1)[0] or "/"
        return AuthorizedKeysInfo(
            user, path, FileInfo.from_json(path, data.get("file")), FileInfo.from_json(folder, data.get("folder"))
        )


def parse_authorized_keys_output(user: str, path: str | None, output: str) -> AuthorizedKeysInfo:
    """The passwd and groups lines, then `@@file PATH` and its description, then `@@folder` and the folder's."""
    head, _, rest = output.partition("\n@@file ")
    account = parse_user_output(user, head)
    if account is None or not rest:
        keys = path or ""
        folder = keys.rsplit("/", 1)[0] or "/"
        return AuthorizedKeysInfo(account, keys, FileInfo(keys, "absent"), FileInfo(folder, "absent"))
    keys, _, rest = rest.partition("\n")
    described, _, folder_output = rest.partition("@@folder\n")
    folder = keys.rsplit("/", 1)[0] or "/"
    return AuthorizedKeysInfo(
        account, keys, parse_file_output(keys, described), parse_file_output(folder, folder_output)
    )
