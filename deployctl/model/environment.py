"""Ansible's `environment` keyword: variables exported for a task's commands, from play, role, block and task.

Each level gives a layer: a mapping of names to (templated) values, a template giving such a mapping
(`environment: "{{ proxy_env }}"`), or a list of those. Layers merge outer first, so the task's own
values win over its block's, role's and play's, as ansible-core merges them. Names are data, never
shell text: each must be a valid environment variable name (checked at load time when written, when
rendered otherwise), and values become text as ansible-core makes them (`str()`); the transport quotes
them once, at the edge (`deployctl.transport.base.with_environment`). The variables reach the commands
a task's plan runs, and nothing else: the facts deployctl reads (its own probes, batched for many
tasks in one round trip) never see them, and no later task inherits them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from deployctl.templating import is_templated

ENVIRONMENT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BadEnvironmentError(ValueError):
    """An `environment` value that is not a mapping of valid names (the message says what is wrong)."""


def environment_layers(value: Any) -> tuple[Any, ...]:
    """One level's `environment` as layers, its written names checked (a template is checked when rendered)."""
    items = list(value) if isinstance(value, list) else [value]
    layers: list[Any] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, str) and is_templated(item):
            layers.append(item)
            continue
        if not isinstance(item, Mapping):
            raise BadEnvironmentError(f"must be a mapping of variable names to values, got {item!r}")
        check_names(item)
        layers.append(dict(item))
    return tuple(layers)


def check_names(environment: Mapping[Any, Any]) -> None:
    """Refuse a name that is not an environment variable name (it would be shell text, not data)."""
    for name in environment:
        if not isinstance(name, str) or not ENVIRONMENT_NAME.match(name):
            raise BadEnvironmentError(f"{name!r} is not a valid environment variable name")


def merged_environment(layers: Sequence[Any], render: Callable[[Any], Any]) -> dict[str, str]:
    """The layers rendered (`render` templates a value) and merged, inner over outer, values as text."""
    merged: dict[str, Any] = {}
    for layer in layers:
        rendered = render(layer)
        if not isinstance(rendered, Mapping):
            raise BadEnvironmentError(f"environment must be a mapping, got {type(rendered).__name__} {rendered!r}")
        check_names(rendered)
        merged.update(rendered)
    found = {name: str(value) for name, value in merged.items()}
    for name, value in found.items():
        if "\0" in value:
            raise BadEnvironmentError(f"the value of {name} holds a NUL character")
    return found
