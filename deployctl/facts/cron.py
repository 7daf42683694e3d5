"""Facts about cron: a user's crontab as `crontab -l` prints it."""

from __future__ import annotations

import base64
import binascii
import shlex
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact


@dataclass(frozen=True)
class Crontab:
    """A user's crontab: its text as `crontab -l` prints it ("" when the user has none), or unreadable."""

    text: str = ""
    readable: bool = True
    tool: bool = True
    """False when the host has no `crontab` command (cron is not installed)."""


@dataclass(frozen=True)
class CrontabFact:
    """The crontab of `user` (None: the user the fact runs as), read with `crontab [-u USER] -l`.

    Exit code 1 is "no crontab for this user" (an empty crontab), as Ansible takes it. The text goes
    through base64 with its final newlines kept (whether it ends with one decides a change).
    """

    user: str | None

    @property
    def key(self) -> str:
        return f"crontab:{self.user or ''}"

    def script(self) -> str:
        user = f"-u {shlex.quote(self.user)} " if self.user else ""
        return (
            "command -v crontab >/dev/null 2>&1 || { echo missing; exit 0; }\n"
            f"t=$(crontab {user}-l 2>/dev/null; r=$?; printf x; exit $r)\n"
            "printf 'rc %s\\n' \"$?\"\n"
            'printf %s "${t%x}" | base64'
        )

    def parse(self, raw: RawFact) -> Crontab:
        return parse_crontab_output(self.key, raw.output)

    def value_from_json(self, data: Any) -> Crontab:
        """The fact's value from its JSON form (test fixtures): the text, "missing" or "unreadable"."""
        if data == "missing":
            return Crontab(tool=False)
        if data == "unreadable":
            return Crontab(readable=False)
        if not isinstance(data, str):
            raise TypeError(f"{self.key}: expected the crontab's text, 'missing' or 'unreadable', got {data!r}")
        return Crontab(text=data)


def parse_crontab_output(key: str, output: str) -> Crontab:
    """Parse `missing`, or `rc N` and the crontab in base64."""
    text = output.strip("\n")
    if text == "missing":
        return Crontab(tool=False)
    first, _, encoded = text.partition("\n")
    if not first.startswith("rc ") or not first[3:].isdigit():
        raise ValueError(f"{key}: unexpected output {output!r}")
    if first[3:] not in ("0", "1"):
        return Crontab(readable=False)
    try:
        content = base64.b64decode("".join(encoded.split()), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"{key}: bad crontab encoding: {exc}") from None
    return Crontab(text=content.decode("utf-8", "surrogateescape"))
