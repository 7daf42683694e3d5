"""A template file's `#jinja2:` first line: Jinja settings for that file alone, read as ansible-core reads them.

`#jinja2: trim_blocks:True, lstrip_blocks:True` is dropped from the output and sets those settings; each pair
is `key:value`, the value a Python literal; an unknown key, a pair without `:` or an empty pair is an error.
"""

from __future__ import annotations

import ast
from typing import Any

OVERRIDE_PREFIX = "#jinja2:"

_STRINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
)
_OPTIONAL_STRINGS = ("line_statement_prefix", "line_comment_prefix")
_BOOLS = ("trim_blocks", "lstrip_blocks", "keep_trailing_newline")
_NEWLINES = ("\n", "\r\n", "\r")


def split_overrides(source: str) -> tuple[str, dict[str, Any]]:
    """The template without its `#jinja2:` line, and the Jinja settings that line gives (none without one).

    Raises ValueError, worded as ansible-core words it, for a line it would refuse.
    """
    if not source.startswith(OVERRIDE_PREFIX):
        return source, {}
    end = source.find("\n")
    if end == -1:
        raise ValueError(f"Missing newline after {OVERRIDE_PREFIX!r} override.")
    settings: dict[str, Any] = {}
    for pair in source[len(OVERRIDE_PREFIX) : end].split(","):
        if not pair.strip():
            raise ValueError(f"Empty {OVERRIDE_PREFIX!r} override pair not allowed.")
        if ":" not in pair:
            raise ValueError(f"Missing key-value separator `:` in {OVERRIDE_PREFIX!r} override pair {pair!r}.")
        key, text = pair.split(":", 1)
        key = key.strip()
        settings[key] = _setting(key, text)
    return source[end + 1 :], settings


def _setting(key: str, text: str) -> Any:
    """One setting's value, checked against the type Jinja expects for it."""
    if key not in (*_STRINGS, *_OPTIONAL_STRINGS, *_BOOLS, "newline_sequence"):
        raise ValueError(f"Invalid {OVERRIDE_PREFIX!r} override key {key!r}.")
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        raise ValueError(f"{OVERRIDE_PREFIX!r} override {key!r}: {text.strip()!r} is not a Python literal.") from None
    valid = (
        isinstance(value, bool)
        if key in _BOOLS
        else value in _NEWLINES
        if key == "newline_sequence"
        else (isinstance(value, str) and value != "") or (key in _OPTIONAL_STRINGS and value is None)
    )
    if not valid:
        raise ValueError(f"{OVERRIDE_PREFIX!r} override {key!r}: {value!r} is not a valid value.")
    return value
