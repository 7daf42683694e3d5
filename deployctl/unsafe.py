"""The marker of data read from a host: text that is never templated, as Ansible's `AnsibleUnsafeText`.

Facts, the fact cache, registered results and command output are wrapped once, where they enter the
variables; the Templar returns a marked string as it is, and marks what it renders, so a host's text is
never compiled as a template, however it flows (a variable reading a fact, set_fact, loops, conditions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class UnsafeText(str):
    """Text that is never templated (anything read from a host, rendered results)."""

    __slots__ = ()


def mark_unsafe(value: Any) -> Any:
    """A copy of `value` whose strings (recursively, keys included) are never templated."""
    if isinstance(value, str):
        return value if isinstance(value, UnsafeText) else UnsafeText(value)
    if isinstance(value, Mapping):
        return {mark_unsafe(key): mark_unsafe(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(mark_unsafe(item) for item in value)
    if isinstance(value, list):
        return [mark_unsafe(item) for item in value]
    return value
