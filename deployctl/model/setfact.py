"""set_fact's variables: a name may be a template (`"{{ item.key }}": "{{ item.value }}"` in a loop), rendered
per host and item as ansible-core does, then checked as a variable name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from deployctl.templating import TemplateError, is_templated

JINJA_NAMES = frozenset({"true", "false", "none", "True", "False", "None", "not"})
"""Identifiers Jinja reads as constants or operators: never variable names (ansible-core's JINJA_KEYWORDS)."""


def is_variable_name(name: object) -> bool:
    """Whether `name` may name a variable: an ASCII identifier that Jinja does not read as something else."""
    return isinstance(name, str) and name.isidentifier() and name.isascii() and name not in JINJA_NAMES


def templated_names(args: Mapping[str, Any]) -> bool:
    """Whether a set_fact task names some of its variables with templates (known only when it runs)."""
    return any(is_templated(name) for name in args)


def set_fact_values(args: Mapping[str, Any], render: Callable[[Any], Any]) -> dict[str, Any]:
    """The variables a set_fact task sets: each templated name rendered, every value rendered (`render`)."""
    values: dict[str, Any] = {}
    for key, value in args.items():
        name = render(key) if is_templated(key) else key
        if not is_variable_name(name):
            shown = f"name {str(name)!r}" if isinstance(name, str | int | float | bool | None) else "name"
            raise TemplateError(
                f"Invalid variable {shown}. Variable names must be strings starting with a letter or underscore"
                " character, and contain only letters, numbers and underscores."
            )
        values[str(name)] = render(value)
    return values
