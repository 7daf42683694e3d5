"""Ansible's `version` test (alias `version_compare`): loose, strict, semver and PEP 440 comparisons.

The version classes follow ansible-core's: LooseVersion and StrictVersion as distutils had them, and
SemanticVersion for `semver`/`semantic`; `pep440` uses `packaging`, as ansible-core does.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jinja2.exceptions import FilterArgumentError

if TYPE_CHECKING:
    from packaging.version import Version as Pep440Version

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "ne": operator.ne,
}
_OPERATOR_NAMES = {
    "==": "eq",
    "=": "eq",
    "eq": "eq",
    "<": "lt",
    "lt": "lt",
    "<=": "le",
    "le": "le",
    ">": "gt",
    "gt": "gt",
    ">=": "ge",
    "ge": "ge",
    "!=": "ne",
    "<>": "ne",
    "ne": "ne",
}

_LOOSE_COMPONENT = re.compile(r"(\d+|[a-z]+|\.)")
_STRICT = re.compile(r"^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?$", re.ASCII)
_SEMVER = re.compile(
    r"""^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)
    (?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?
    (?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$""",
    re.VERBOSE,
)


def loose_key(version: str) -> list[int | str]:
    """distutils' LooseVersion: numbers and letter runs (comparing a number with letters fails, as there)."""
    components: list[int | str] = []
    for part in _LOOSE_COMPONENT.split(version):
        if part and part != ".":
            components.append(int(part) if part.isdigit() else part)
    return components


def strict_key(version: str) -> tuple[tuple[int, ...], tuple[int, str, int]]:
    """distutils' StrictVersion: `1.2`, `1.2.3`, optionally `a1`/`b2`; a release sorts after its pre-releases."""
    match = _STRICT.match(version)
    if not match:
        raise ValueError(f"invalid version number '{version}'")
    major, minor, patch, pre, pre_number = match.group(1, 2, 4, 5, 6)
    numbers = (int(major), int(minor), int(patch) if patch else 0)
    return numbers, ((0, pre[0], int(pre_number)) if pre else (1, "", 0))


def semver_key(version: str) -> tuple[tuple[int, int, int], tuple[int, tuple[tuple[int, int | str], ...]]]:
    """Semantic Versioning 2.0.0: build metadata ignored, a release after its pre-releases, numeric before alpha."""
    match = _SEMVER.match(version)
    if not match:
        raise ValueError(f"invalid semantic version '{version}'")
    core = (int(match["major"]), int(match["minor"]), int(match["patch"]))
    if not match["prerelease"]:
        return core, (1, ())
    fields: tuple[tuple[int, int | str], ...] = tuple(
        (0, int(field)) if field.isdigit() else (1, field) for field in match["prerelease"].split(".")
    )
    return core, (0, fields)


def pep440_key(version: str) -> Pep440Version:
    """PEP 440, as `packaging` reads it (imported by the first pep440 comparison)."""
    from packaging.version import InvalidVersion
    from packaging.version import Version as Pep440Version

    try:
        return Pep440Version(version)
    except InvalidVersion as exc:
        raise ValueError(str(exc)) from None


def _cmp(first: Any, second: Any) -> int:
    """-1, 0 or 1, as distutils' Version._cmp: equality first, so a loose `1.a` against `1.0` fails on `<`."""
    if first == second:
        return 0
    return -1 if first < second else 1


VERSION_TYPES: dict[str, Callable[[str], Any]] = {
    "loose": loose_key,
    "strict": strict_key,
    "semver": semver_key,
    "semantic": semver_key,
    "pep440": pep440_key,
}


def version_compare(
    value: Any, version: Any, operator: str = "eq", strict: Any = None, version_type: str | None = None
) -> bool:
    """`ansible_distribution_version is version('12', '>=')`: compare two versions as ansible-core does."""
    if strict is not None and version_type is not None:
        raise FilterArgumentError("Cannot specify both 'strict' and 'version_type'")
    if not value:
        raise FilterArgumentError("Input version value cannot be empty")
    if not version:
        raise FilterArgumentError("Version parameter to compare against cannot be empty")
    key: Callable[[str], Any] = loose_key
    if strict:
        key = strict_key
    elif version_type:
        if version_type not in VERSION_TYPES:
            names = ", ".join(map(repr, VERSION_TYPES))
            raise FilterArgumentError(f"Invalid version type ({version_type}). Must be one of {names}")
        key = VERSION_TYPES[version_type]
    if operator not in _OPERATOR_NAMES:
        names = ", ".join(map(repr, _OPERATOR_NAMES))
        raise FilterArgumentError(f"Invalid operator type ({operator}). Must be one of {names}")
    compare = _OPERATORS[_OPERATOR_NAMES[operator]]
    try:
        return compare(_cmp(key(str(value)), key(str(version))), 0)
    except (TypeError, ValueError) as exc:
        raise FilterArgumentError(f"Version comparison failed: {exc}") from None
