"""Dockerfile text from build steps (pure): RUN commands grouped into few layers, COPY of context files.

Commands arrive as lists of words and are quoted here, once, with shlex.join. Consecutive commands of
ordinary tasks share one RUN (one layer); a step marked `alone` (a package install, a guarded command)
keeps its own RUN, so a change to a later task reuses the cached layer of the packages. An apt step
always refreshes the lists first and removes them last, in the same layer.
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deployctl.immutable.recipe import ServiceSpec
from deployctl.modules.apt import APT_GET
from deployctl.modules.base import Plan, RunCommand
from deployctl.modules.command import guard_path

CLEAN_APT_LISTS = "rm -rf /var/lib/apt/lists/*"


@dataclass(frozen=True)
class RunStep:
    """Shell lines (each already one quoted command) run in order in one RUN, stopping at the first failure."""

    lines: tuple[str, ...]
    origins: tuple[str, ...]
    alone: bool = False


@dataclass(frozen=True)
class CopyStep:
    """Copy a file of the build context (`source`, relative) to `dest` in the image."""

    source: str
    dest: str
    origins: tuple[str, ...]


Step = RunStep | CopyStep


@dataclass(frozen=True)
class HealthCheck:
    """Docker's own health check: a command run inside the container, in exec form. Docker runs it at its
    usual pace at rest; a rollout probes new replicas with it more often (deployctl.immutable.readiness)."""

    command: tuple[str, ...]
    interval: str = "30s"
    timeout: str = "2s"
    start_period: str = "5s"
    retries: int = 3


def group_steps(steps: Sequence[Step]) -> list[Step]:
    """Merge consecutive RUN steps that are not `alone` into one (fewer layers, same order)."""
    grouped: list[Step] = []
    for step in steps:
        previous = grouped[-1] if grouped else None
        if isinstance(step, RunStep) and not step.alone and isinstance(previous, RunStep) and not previous.alone:
            origins = tuple(dict.fromkeys((*previous.origins, *step.origins)))
            grouped[-1] = RunStep((*previous.lines, *step.lines), origins)
        else:
            grouped.append(step)
    return grouped


def _comments(origins: Sequence[str]) -> list[str]:
    return [f"# {' '.join(origin.split())}" for origin in origins]


def _run(step: RunStep) -> str:
    if any("\n" in line for line in step.lines):  # a shell form RUN cannot hold a newline: exec form
        return "RUN " + json.dumps(["/bin/sh", "-c", " && ".join(f"{{ {line}\n}}" for line in step.lines)])
    return "RUN " + " \\\n && ".join(step.lines)


def _env_value(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("\n", "\\n")
    return f'"{escaped}"'


def render_dockerfile(
    header: Sequence[str],
    base_image: str,
    steps: Sequence[Step],
    service: ServiceSpec,
    health: HealthCheck | None,
    user: str | None,
) -> str:
    """The Dockerfile: FROM the base, the steps, then the main service (ENV, WORKDIR, USER, EXPOSE, HEALTHCHECK, CMD).

    `user` is USER's argument (`name` or `name:group`), decided by the caller from the image's accounts.
    """
    lines = [*(f"# {line}" for line in header), "", f"FROM {base_image}"]
    previous: tuple[str, ...] = ()
    for step in group_steps(steps):
        if step.origins != previous:  # a task's COPY and its chmod/chown RUN share one comment
            lines.append("")
            lines.extend(_comments(step.origins))
        previous = step.origins
        if isinstance(step, RunStep):
            lines.append(_run(step))
        else:
            lines.append("COPY " + json.dumps([step.source, step.dest]))
    lines.append("")
    lines.append(f"# The main service: {service.name}")
    for name, value in sorted(service.environment.items()):
        lines.append(f"ENV {name}={_env_value(value)}")
    if service.working_dir:
        lines.append(f"WORKDIR {service.working_dir}")
    if user:
        lines.append(f"USER {user}")
    lines.append(f"EXPOSE {service.port}")
    if health is not None:
        lines.append(
            f"HEALTHCHECK --interval={health.interval} --timeout={health.timeout} "
            f"--start-period={health.start_period} --retries={health.retries} CMD {json.dumps(list(health.command))}"
        )
    lines.append(f"CMD {json.dumps(list(service.command))}")
    return "\n".join(lines) + "\n"


# --- RUN lines from plans ---------------------------------------------------------------------------


def command_line(action: RunCommand) -> str:
    """One command as a shell line, quoted once; its stdin (if any) is fed from base64 text."""
    line = shlex.join(action.argv)
    if action.stdin is None:
        return line
    encoded = base64.b64encode(action.stdin).decode()
    return f"printf %s {encoded} | base64 -d | {line}"


def apt_lines(plan: Plan) -> list[str]:
    """The plan's apt-get commands, with the lists refreshed first and cleaned last (in one layer)."""
    lines = [command_line(action) for action in plan.actions if isinstance(action, RunCommand)]
    update = shlex.join((*APT_GET, "-q", "update"))
    installs = any("install" in action.argv for action in plan.actions if isinstance(action, RunCommand))
    if installs and update not in lines:  # earlier steps (or the base) may have cleaned the lists
        lines.insert(0, update)
    return [*lines, CLEAN_APT_LISTS]


def guarded_line(params: Mapping[str, Any], plan: Plan) -> str:
    """A command task's RUN line: skipped when its `creates` exists (or its `removes` does not)."""
    (action,) = (action for action in plan.actions if isinstance(action, RunCommand))
    line = command_line(action)
    creates = guard_path(params, "creates")
    removes = guard_path(params, "removes")
    guards = []
    if creates:
        guards.append(shlex.join(("test", "-e", creates)))
    if removes:
        guards.append(shlex.join(("test", "!", "-e", removes)))
    return f"{' || '.join(guards)} || {line}" if guards else line
