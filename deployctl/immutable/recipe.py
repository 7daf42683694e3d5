"""What a build produces and a rollout consumes: the image, its main service, and per-stage config files.

Build once, promote everywhere: the image is the same for every stage. What differs per stage (files
whose templates read stage or host variables) is rendered at deploy time and mounted read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ServiceSpec:
    """The container's single main process, taken from the play's main service."""

    name: str
    command: tuple[str, ...]
    port: int
    user: str | None = None
    group: str | None = None
    working_dir: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    health_path: str = "/health"


@dataclass(frozen=True)
class RuntimeTemplate:
    """A file the image does not contain because its content differs per stage or host.

    `src` is the controller file (a template when `template` is True, else copied as is), rendered
    at deploy time with the stage's variables and mounted read-only at `dest`.
    """

    task: str
    src: str
    dest: str
    template: bool
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    reason: str = ""
    content: str | None = None
    """A copy task's inline `content` (a Jinja string, rendered at deploy time) when there is no `src`."""
    variables: Mapping[str, Any] = field(default_factory=dict)
    """The task's own `vars` and loop item, rendered on top of the stage's variables at deploy time."""


@dataclass(frozen=True)
class RuntimeFile:
    """A per-stage file, rendered, ready to mount read-only into the containers at `dest`."""

    dest: str
    content: bytes
    mode: str = "0644"


@dataclass(frozen=True)
class ImageRelease:
    """A built image: its content-addressed tag and id, its service, and what is delivered at run time."""

    app: str
    image: str
    image_id: str
    context_hash: str
    service: ServiceSpec
    runtime_templates: tuple[RuntimeTemplate, ...] = ()
    not_baked: tuple[str, ...] = ()
    replaced_by_container: tuple[str, ...] = ()
    """Tasks the container runtime stands in for (the unit file, service tasks, handlers), with why."""
