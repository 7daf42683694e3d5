"""Facts about ufw: what Ansible's ufw module reads before it changes anything, and `ufw --dry-run` of a rule.

community.general.ufw decides (in check mode) from `ufw status verbose`, the `### tuple` lines of the user
rules files and the output of the rule's `ufw --dry-run`: the same outputs, read as facts, let the planner
decide the same way without changing the host. Outputs keep their bytes (trailing newlines included): the
module compares them as text.
"""

from __future__ import annotations

import base64
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployctl.facts.base import RawFact

USER_RULES_FILES = (
    "/lib/ufw/user.rules",
    "/lib/ufw/user6.rules",
    "/etc/ufw/user.rules",
    "/etc/ufw/user6.rules",
    "/var/lib/ufw/user.rules",
    "/var/lib/ufw/user6.rules",
)
"""Where ufw keeps the rules it adds, in the order Ansible's module greps them."""

_CAPTURE = """\
if ! command -v ufw >/dev/null 2>&1; then echo missing; exit 0; fi
b64() { printf %s "$1" | base64 | tr -d '\\n'; }
capture() {
  name=$1; shift
  o=$(env LANG=C LC_ALL=C "$@" 2>/dev/null; echo "x$?"); rc=${o##*x}; o=${o%x*}; e=
  if [ "$rc" != 0 ]; then e=$(env LANG=C LC_ALL=C "$@" 2>&1 >/dev/null; echo x); e=${e%x}; fi
  printf '%s %s %s %s\\n' "$name" "$rc" "$(b64 "$o")" "$(b64 "$e")"
}"""
"""Shell functions: `capture N CMD...` prints `N rc stdout-b64 stderr-b64` (stderr read again on failure)."""


@dataclass(frozen=True)
class CommandOutput:
    """One command's exit code, standard output and (when it failed) standard error."""

    rc: int = 0
    stdout: str = ""
    stderr: str = ""

    @classmethod
    def from_json(cls, data: Any) -> CommandOutput:
        """A fixture's output: a string (stdout, rc 0) or a mapping with `rc`, `stdout`, `stderr`."""
        if isinstance(data, str):
            return cls(stdout=data)
        if not isinstance(data, Mapping):
            raise TypeError(f"command output: expected a string or a mapping, got {data!r}")
        return cls(rc=int(data.get("rc", 0)), stdout=str(data.get("stdout", "")), stderr=str(data.get("stderr", "")))


@dataclass(frozen=True)
class UfwState:
    """ufw on a host: `ufw status verbose`, the rules files' `### tuple` lines, `ufw --version`, and (when
    asked) `ufw status numbered`; `installed` False when there is no ufw command."""

    installed: bool
    status: CommandOutput = CommandOutput()
    rules: str = ""
    version: str = ""
    numbered: str = ""

    @classmethod
    def from_json(cls, data: Any) -> UfwState:
        """A fixture: "missing", or a mapping with `status` (see CommandOutput.from_json), `rules`, `version`,
        `numbered`."""
        if data == "missing":
            return cls(installed=False)
        if not isinstance(data, Mapping):
            raise TypeError(f"ufw fact: expected a mapping or 'missing', got {data!r}")
        return cls(
            installed=True,
            status=CommandOutput.from_json(data.get("status", "")),
            rules=str(data.get("rules", "")),
            version=str(data.get("version", "ufw 0.36.2")),
            numbered=str(data.get("numbered", "")),
        )


def _parse_captures(what: str, output: str) -> dict[str, CommandOutput] | None:
    """The `capture` lines of a snippet's output by name; None when ufw is missing."""
    lines = output.strip("\n").split("\n")
    if lines == ["missing"]:
        return None
    captured: dict[str, CommandOutput] = {}
    for line in lines:
        words = line.split(" ")
        if len(words) != 4 or not words[1].isdigit():
            raise ValueError(f"{what}: unexpected output {line!r}")
        name, rc, stdout, stderr = words
        decoded = [base64.b64decode(text).decode("utf-8", "replace") for text in (stdout, stderr)]
        captured[name] = CommandOutput(int(rc), decoded[0], decoded[1])
    return captured


@dataclass(frozen=True)
class UfwFact:
    """ufw's status, user rules and version (and its numbered rule list, for inserts relative to it)."""

    numbered: bool = False

    @property
    def key(self) -> str:
        return "ufw+numbered" if self.numbered else "ufw"

    def script(self) -> str:
        files = " ".join(shlex.quote(path) for path in USER_RULES_FILES)
        lines = [
            _CAPTURE,
            "capture status ufw status verbose",
            f"capture rules grep -h '^### tuple' {files}",
            "capture version ufw --version",
        ]
        if self.numbered:
            lines.append("capture numbered ufw status numbered")
        return "\n".join(lines)

    def parse(self, raw: RawFact) -> UfwState:
        captured = _parse_captures("ufw fact", raw.output)
        if captured is None:
            return UfwState(installed=False)
        if "status" not in captured:
            raise ValueError(f"ufw fact: no status in {raw.output!r}")
        return UfwState(
            installed=True,
            status=captured["status"],
            rules=captured.get("rules", CommandOutput()).stdout,
            version=captured.get("version", CommandOutput()).stdout,
            numbered=captured.get("numbered", CommandOutput()).stdout,
        )

    def value_from_json(self, data: Any) -> UfwState:
        """The fact's value from its JSON form (test fixtures)."""
        return UfwState.from_json(data)


@dataclass(frozen=True)
class UfwDryRunFact:
    """What `ufw --dry-run WORDS` prints: the rules files as the rule would leave them, or `Skipping ...`.

    A dry run changes nothing on the host; it is how Ansible's module tells whether a rule is new.
    """

    words: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"ufw-dry-run:{shlex.join(self.words)}"

    def script(self) -> str:
        return f'{_CAPTURE}\nset -- {shlex.join(self.words)}\ncapture dry-run ufw --dry-run "$@"'

    def parse(self, raw: RawFact) -> CommandOutput | None:
        captured = _parse_captures("ufw dry run", raw.output)
        if captured is None:
            return None
        if "dry-run" not in captured:
            raise ValueError(f"ufw dry run: unexpected output {raw.output!r}")
        return captured["dry-run"]

    def value_from_json(self, data: Any) -> CommandOutput | None:
        """The fact's value from its JSON form (test fixtures): "missing", or see CommandOutput.from_json."""
        return None if data == "missing" else CommandOutput.from_json(data)
