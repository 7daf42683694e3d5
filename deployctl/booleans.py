"""Ansible's truthiness for settings and variables: a leaf every layer may use."""

from __future__ import annotations

from typing import Any

TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}


def parse_bool(value: Any) -> bool | None:
    """Ansible's truthiness for settings: bools, and the strings yes/no/true/false/on/off/1/0; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return {0: False, 1: True}.get(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return None
