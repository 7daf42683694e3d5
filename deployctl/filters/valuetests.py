"""Ansible's tests on plain values (ansible.builtin): truthy, falsy, contains, subset, superset, nan, abs."""

from __future__ import annotations

import math
import posixpath
from collections.abc import Callable
from typing import Any

TRUE_VALUES = frozenset({"y", "yes", "on", "1", "true", "t", 1})
FALSE_VALUES = frozenset({"n", "no", "off", "0", "false", "f", 0})
"""ansible-core's boolean words (module_utils.parsing.convert_bool), compared after lowercasing and trimming."""


def truthy(value: Any, convert_bool: bool = False) -> bool:
    """Python's truthiness; with `convert_bool`, a boolean-like value (`"no"`, `"on"`, 0...) read as that bool first."""
    if convert_bool:
        word = value.strip().lower() if isinstance(value, str) else value
        try:
            if word in TRUE_VALUES:
                return True
            if word in FALSE_VALUES:
                return False
        except TypeError:  # an unhashable value is no boolean word
            pass
    return bool(value)


def falsy(value: Any, convert_bool: bool = False) -> bool:
    """Not `truthy`."""
    return not truthy(value, convert_bool)


def contains(sequence: Any, value: Any) -> bool:
    """The `in` test turned around (`users | selectattr('groups', 'contains', 'admin')`)."""
    return value in sequence


def subset(first: Any, second: Any) -> bool:
    """Whether every item of `first` is in `second` (as sets)."""
    return set(first) <= set(second)


def superset(first: Any, second: Any) -> bool:
    """Whether every item of `second` is in `first` (as sets)."""
    return set(first) >= set(second)


def nan(value: Any) -> bool:
    """Whether a number is NaN (anything else is not)."""
    try:
        return math.isnan(value)
    except TypeError:
        return False


VALUE_TESTS: dict[str, Callable[..., bool]] = {
    "truthy": truthy,
    "falsy": falsy,
    "contains": contains,
    "subset": subset,
    "issubset": subset,
    "superset": superset,
    "issuperset": superset,
    "nan": nan,
    "isnan": nan,
    "all": all,
    "any": any,
    "abs": posixpath.isabs,
    "is_abs": posixpath.isabs,
}
