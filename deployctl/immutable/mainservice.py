"""The image's main process: the first service/systemd task that starts a service, and the container
settings that come with it (port, health check, USER); other service tasks are replaced by the runtime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deployctl.facts.packages import PackageInfo
from deployctl.facts.users import UserInfo
from deployctl.immutable.compileoutput import (
    CompileError,
    CompileOutput,
    TaskNote,
    joined_names,
    stage_specific_reason,
    task_error,
)
from deployctl.immutable.dockerfile import HealthCheck
from deployctl.immutable.imagefacts import ImageFacts
from deployctl.immutable.imageplay import ImagePlay
from deployctl.immutable.recipe import ServiceSpec
from deployctl.immutable.unitfile import UnitService
from deployctl.model.playbook import Task

SERVICE_MODULES = ("service", "systemd")
MAIN_STATES = ("started", "restarted", "reloaded")
PORT_VARIABLES = ("deployctl_port", "app_port")
"""The container's port: the first of these variables that is set."""
HEALTH_PATH_VARIABLE = "deployctl_health_path"
DEFAULT_HEALTH_PATH = "/health"
HEALTH_TOOLS = ("curl", "python3")
"""Packages the health check can use, in order of preference; their facts are always read from the base."""


@dataclass
class MainService:
    """The task that starts the image's main process, its service name, and the unit file read for it."""

    task: Task
    name: str
    unit: UnitService | None = None
    unit_task: Task | None = None


def find_main_service(play: ImagePlay) -> MainService:
    """The first service/systemd task that starts a service: the container's main process."""
    for task in play.tasks():
        if task.unsupported:
            continue
        module = play.module(task)
        if module.name not in SERVICE_MODULES:
            continue
        scopes = play.task_scopes(task)
        specific = scopes.specific_names({"name": task.args.get("name"), "state": task.args.get("state")})
        if specific:
            raise task_error(
                task, f"the main service's name or state reads stage-specific variables ({joined_names(specific)})"
            )
        params = play.render_args(task, module, scopes, {}, set(task.args) - {"name", "state"})
        if params.get("name") and params.get("state") in MAIN_STATES:
            return MainService(task=task, name=str(params["name"]))
    where = f"{play.play.origin.source}:{play.play.origin.line}"
    raise CompileError(
        f"{where}: play {play.play.name!r}: no service or systemd task with state: started names the "
        "image's main process"
    )


def note_service_task(task: Task, main: MainService, play: ImagePlay) -> None:
    """A service/systemd task: the main process is the container's CMD; the runtime replaces the others."""
    out = play.out
    if task is main.task:
        out.note(task, f"the container's main process is {main.name} (CMD); no service manager", replaced=True)
        return
    scopes = play.task_scopes(task)
    specific = {key: names for key, value in task.args.items() if (names := scopes.specific_names(value))}
    if "name" in specific or "state" in specific:
        out.note(task, stage_specific_reason(specific))
        return
    params = play.render_args(task, play.module(task), scopes, {}, set(specific))
    if params.get("state") in MAIN_STATES and params.get("name") and params["name"] != main.name:
        out.note(task, f"a container runs one main process ({main.name}); {params['name']} is not started")
    else:
        out.note(
            task, "a container has no service manager: the container runtime starts and restarts it", replaced=True
        )


def _variable(play: ImagePlay, name: str) -> tuple[Any, bool] | None:
    """A variable's value (rendered) and whether it is stage-specific; None when no stage sets it."""
    scopes, templar = play.scopes, play.templar
    if name in scopes.common:
        return templar.render(scopes.common[name], scopes.common), False
    if any(name in scope for scope in scopes.scopes):
        first = scopes.first()
        return (templar.render(first[name], first) if name in first else None), True
    return None


def container_port(play: ImagePlay) -> int:
    """The port the main service listens on: the first of PORT_VARIABLES set (noted when stages differ)."""
    for name in PORT_VARIABLES:
        found = _variable(play, name)
        if found is None:
            continue
        value, specific = found
        try:
            port = int(value)
        except (TypeError, ValueError):
            raise CompileError(f"{play.play.origin}: {name}: must be a port number, got {value!r}") from None
        if specific:
            play.out.not_baked.append(
                TaskNote(
                    play.play.name, str(play.play.origin), f"{name} differs between stages: the image exposes {port}"
                )
            )
        return port
    raise CompileError(
        f"{play.play.origin}: play {play.play.name!r}: set deployctl_port (or app_port): the port the "
        "main service listens on"
    )


def health_path(play: ImagePlay) -> str:
    """The health check's path: `deployctl_health_path`, else /health."""
    found = _variable(play, HEALTH_PATH_VARIABLE)
    path = str(found[0]) if found is not None and found[0] else DEFAULT_HEALTH_PATH
    return path if path.startswith("/") else f"/{path}"


def _installed(image: ImageFacts, package: str) -> bool:
    info = image.get(f"package:{package}")
    return isinstance(info, PackageInfo) and info.installed is not None


def health_check(service: ServiceSpec, main: MainService, image: ImageFacts, out: CompileOutput) -> HealthCheck | None:
    """HEALTHCHECK with curl, else python3, whichever the image has; none (and a note) without either."""
    url = f"http://127.0.0.1:{service.port}{service.health_path}"
    if _installed(image, "curl"):
        return HealthCheck(("curl", "-fsS", "-o", "/dev/null", "--max-time", "2", url))
    if _installed(image, "python3"):
        script = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=2)"
        return HealthCheck(("python3", "-c", script))
    out.not_baked.append(
        TaskNote(
            main.task.name, str(main.task.origin), "no HEALTHCHECK: neither curl nor python3 is installed in the image"
        )
    )
    return None


def user_spec(unit: UnitService, image: ImageFacts) -> str | None:
    """USER's argument: `user`, or `user:group` when Group= is not the user's own primary group."""
    if not unit.user:
        return None if not unit.group else f"root:{unit.group}"
    info = image.get(f"user:{unit.user}")
    if unit.group and not (isinstance(info, UserInfo) and info.group == unit.group):
        return f"{unit.user}:{unit.group}"
    return unit.user
