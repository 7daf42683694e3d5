"""Small pure helpers the planners share: typed fact lookup, remote path arithmetic, failed plans."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any, TypeVar

from deployctl.modules.base import Plan

T = TypeVar("T")


def fact(facts: Mapping[str, Any], key: str, kind: type[T]) -> T:
    """The parsed value of fact `key`, checked to be a `kind` (a missing or mistyped fact is a bug)."""
    value = facts[key]
    if not isinstance(value, kind):
        raise TypeError(f"fact {key}: expected {kind.__name__}, got {type(value).__name__}")
    return value


def optional_fact(facts: Mapping[str, Any], key: str, kind: type[T]) -> T | None:
    """Like `fact`, for facts whose value is None when the thing does not exist (users, groups, sysctls)."""
    value = facts[key]
    if value is None:
        return None
    if not isinstance(value, kind):
        raise TypeError(f"fact {key}: expected {kind.__name__} or None, got {type(value).__name__}")
    return value


def failed(problem: str, **result: Any) -> Plan:
    """A plan that cannot be carried out (conflicting parameters, a host in the wrong state)."""
    return Plan(changed=False, summary=problem, failed=problem, result=result)


def parent_dir(path: str) -> str | None:
    """The directory holding `path` on the host, or None for a bare relative name or the root."""
    trimmed = path.rstrip("/") or "/"
    if trimmed == "/":
        return None
    parent = posixpath.dirname(trimmed)
    return parent or None


def join_path(directory: str, name: str) -> str:
    """`directory/name` without doubled slashes."""
    return posixpath.join(directory.rstrip("/") or "/", name)


def strip_trailing_slash(path: str) -> str:
    """`/opt/app/` -> `/opt/app` (and `/` stays `/`)."""
    return path.rstrip("/") or "/"
