"""Facts about debconf: a package's answers as `debconf-show` prints them, and its stored passwords (hashed)."""

from __future__ import annotations

import base64
import binascii
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deployctl.facts.base import RawFact


@dataclass(frozen=True)
class PasswordLine:
    """One `debconf-get-selections` line of the package (by prefix), reduced to what the planner compares.

    `fields` is the line's number of tab-separated fields; `value_sha256` the sha256 of its value (a
    password is never read into deployctl).
    """

    fields: int
    question: str = ""
    vtype: str = ""
    value_sha256: str = ""


@dataclass(frozen=True)
class DebconfSelections:
    """A package's questions and answers (`debconf-show`); None answers when debconf-show is missing or fails.

    `password_lines` are the package's `debconf-get-selections` lines with four fields or fewer, and its
    password answers; None when debconf-get-selections (debconf-utils) is not installed.
    """

    answers: Mapping[str, str] | None = field(default_factory=dict)
    password_lines: tuple[PasswordLine, ...] | None = None
    error: str = ""


@dataclass(frozen=True)
class DebconfFact:
    """What debconf holds for the package `name`."""

    name: str

    @property
    def key(self) -> str:
        return f"debconf:{self.name}"

    def script(self) -> str:
        return f"""set -- {shlex.quote(self.name)}
if ! out=$(debconf-show "$1" 2>/dev/null); then echo failed; debconf-show "$1" 2>&1 >/dev/null | base64; exit 0; fi
echo shown; printf '%s\\n' "$out" | base64
command -v debconf-get-selections >/dev/null 2>&1 || exit 0
echo passwords
tab=$(printf '\\t')
debconf-get-selections 2>/dev/null | awk -F '\\t' -v p="$1" \\
  'index($0, p) == 1 && (NF <= 3 || $3 == "password") {{ print NF "\\t" $2 "\\t" $3 "\\t" $4 }}' |
while IFS="$tab" read -r n q t v; do
  h=$(printf %s "$v" | sha256sum | cut -d' ' -f1)
  printf '%s %s %s %s\\n' "$n" "$(printf %s "$q" | base64 | tr -d '\\n')" "$t" "$h"
done"""

    def parse(self, raw: RawFact) -> DebconfSelections:
        return parse_debconf_output(self.key, raw.output)

    def value_from_json(self, data: Any) -> DebconfSelections:
        """From a fixture: {"answers": {...} or null, "passwords": [[fields, question, vtype, sha256]] or null}."""
        lines = data.get("passwords")
        return DebconfSelections(
            answers=data.get("answers"),
            password_lines=None if lines is None else tuple(PasswordLine(*line) for line in lines),
            error=str(data.get("error", "")),
        )


def _decode(key: str, encoded: str) -> str:
    try:
        return base64.b64decode("".join(encoded.split()), validate=True).decode("utf-8", "replace")
    except binascii.Error as exc:
        raise ValueError(f"{key}: bad encoding: {exc}") from None


def parse_show(text: str) -> dict[str, str]:
    """`debconf-show` lines (`* question: value`) as Ansible reads them; lines without a colon are skipped."""
    answers: dict[str, str] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            answers[key.strip("*").strip()] = value.strip()
    return answers


def parse_debconf_output(key: str, output: str) -> DebconfSelections:
    """Parse `failed` and the error, or `shown`, debconf-show's output and maybe `passwords` lines."""
    lines = output.strip("\n").split("\n")
    if lines[0] == "failed":
        return DebconfSelections(answers=None, error=_decode(key, "".join(lines[1:])).strip())
    if lines[0] != "shown":
        raise ValueError(f"{key}: unexpected output {output[:200]!r}")
    split_at = lines.index("passwords") if "passwords" in lines else len(lines)
    answers = parse_show(_decode(key, "".join(lines[1:split_at])))
    if split_at == len(lines):
        return DebconfSelections(answers=answers)
    password_lines: list[PasswordLine] = []
    for line in lines[split_at + 1 :]:
        words = line.split(" ")
        if len(words) != 4 or not words[0].isdigit():
            raise ValueError(f"{key}: unexpected password line {line!r}")
        password_lines.append(PasswordLine(int(words[0]), _decode(key, words[1]), words[2], words[3]))
    return DebconfSelections(answers=answers, password_lines=tuple(password_lines))
