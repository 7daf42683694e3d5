"""Checks of parameter values that reach a command line or a line of a file (pure).

Each check returns the problem with one value, or None. They run at load time on literal values (an
error there is exit 4 with file, line and field) and again on rendered values before a task plans (the
task fails on that host before anything runs). Values still reach commands as separate words after
`--`; these checks refuse what would change the meaning of a command or a file all the same.
"""

from __future__ import annotations

import re
import shlex

_DEBIAN_NAME = r"[a-z0-9][a-z0-9+.-]+"
"""Debian policy 5.6.7: lowercase letters, digits, `+ - .`, at least two characters, alphanumeric first."""

_DEBIAN_SPEC = re.compile(
    rf"{_DEBIAN_NAME}"
    r"(?::[a-z0-9][a-z0-9-]*)?"  # :architecture
    r"(?:=[A-Za-z0-9*][A-Za-z0-9.+~:*-]*"  # =version (epoch, upstream, revision; `*` wildcards as Ansible)
    r"|/[A-Za-z0-9][A-Za-z0-9.+~_-]*)?"  # /release
)

_ACCOUNT_FORBIDDEN = re.compile(r"[:,/\s\x00-\x1f\x7f]")
"""Characters no passwd/group name may hold: field and list separators, path separators, blanks, controls."""


def validate_problem(value: str) -> str | None:
    """A `validate` command: one line holding `%s` (where the file goes), `%%` for a percent sign, words that
    split as a POSIX shell splits them (it runs without a shell)."""
    if (problem := line_problem(value)) is not None:
        return problem
    if "%s" not in value:
        return f"validate must contain %s: {value}"
    try:
        value % ""  # only whether it formats, as Ansible formats it
        shlex.split(value)
    except (TypeError, ValueError) as exc:
        return f"{value!r} is not a validate command: {exc}"
    return None


def line_problem(value: str) -> str | None:
    """A value written as one line (of a file, or of a command's operand) holds no line break or NUL."""
    for char, name in (("\n", "a newline"), ("\r", "a carriage return"), ("\x00", "a NUL byte")):
        if char in value:
            return f"must be one line, but {value!r} holds {name}"
    return None


def option_value_problem(value: str) -> str | None:
    """A value passed as the argument of a command's option: one line that does not start with `-`."""
    if value.startswith("-"):
        return f"{value!r} starts with '-'"
    return line_problem(value)


def debian_package_problem(value: str) -> str | None:
    """A package as apt-get takes it: a Debian name, optionally with `:arch`, `=version` or `/release`."""
    if _DEBIAN_SPEC.fullmatch(value.strip()):
        return None
    if any(char in value.partition("=")[0] for char in "*?["):
        return f"package name {value!r}: patterns are not supported, name the packages"
    return (
        f"{value!r} is not a Debian package name (lowercase letters, digits and + - . , at least two "
        "characters, starting with a letter or digit; optionally :arch, =version or /release)"
    )


def account_problem(value: str) -> str | None:
    """A user or group name (or numeric id) that useradd/groupadd take as an operand, never an option."""
    if not value or value.startswith("-") or _ACCOUNT_FORBIDDEN.search(value):
        return f"{value!r} is not a valid user or group name"
    return None


def unit_problem(value: str) -> str | None:
    """A systemd unit name: one word that does not start with `-`."""
    if not value.strip() or value.startswith("-") or re.search(r"[\s\x00-\x1f\x7f]", value):
        return f"{value!r} is not a unit name"
    return None


def sysctl_name_problem(value: str) -> str | None:
    """A kernel parameter name: one word without `=` that does not start with `-`."""
    name = value.strip()
    if not name or name.startswith("-") or "=" in name or re.search(r"[\s\x00-\x1f\x7f]", name):
        return f"{value!r} is not a kernel parameter name"
    return None
