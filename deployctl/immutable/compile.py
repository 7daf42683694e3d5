"""Compile a play into a build context: a Dockerfile FROM the base image, its files, and the main service (pure).

One definition of the desired state: every task is planned by the same module planner as in the
mutable strategy, against the facts of the image being built (the base image's real facts, brought
forward past each baked step, see `imagefacts`), and each plan's actions become build steps:
commands become RUN, file writes become COPY of a context file (then the plan's chown/chmod).

Build once, promote everywhere: the image must not depend on the stage. `stage_vars` gives the
variables of every stage (or target host) the image will be promoted through; a variable whose value
differs between them, or a host-specific magic variable (inventory_hostname, deployctl_stage,
group_names...), is stage-specific, and so is any value that reads one (followed through variables).
Tasks are rendered with the variables common to all stages only. A stage-specific file (a template
or copied content) becomes a RuntimeTemplate, rendered at deploy time and mounted read-only; anything
else stage-specific is reported in `not_baked` with the task's file:line and why, never dropped.

The main service (a `service`/`systemd` task with state started, name N) becomes the container's
single process: its command, user, group, working directory and environment come from the unit file
that a copy/template task writes to /etc/systemd/system/N.service. That unit file is neither baked
nor mounted (a container has no systemd); handlers and service tasks are replaced by the container
runtime (`replaced_by_container`). The port is the variable `deployctl_port`, else `app_port`; the
health check path `deployctl_health_path` (default /health), checked with curl or python3 inside the
image. Guarded commands (`creates`) become RUN steps guarded by `test -e`; unguarded ones need a
running host and are reported.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployctl.errors import DeployctlError
from deployctl.facts.ansible import ANSIBLE_FACTS_KEY, IMAGE_FACTS, AnsibleFacts, fact_variables
from deployctl.facts.base import Fact
from deployctl.facts.files import FileInfo
from deployctl.facts.packages import PackageFact, PackageInfo
from deployctl.facts.users import UserInfo
from deployctl.immutable.dockerfile import (
    CopyStep,
    HealthCheck,
    RunStep,
    Step,
    apt_lines,
    command_line,
    guarded_line,
    render_dockerfile,
)
from deployctl.immutable.imagefacts import ImageFacts, UnknownFactError
from deployctl.immutable.recipe import RuntimeTemplate, ServiceSpec
from deployctl.immutable.scopes import StageScopes
from deployctl.immutable.unitfile import UnitFileError, UnitService, parse_service_unit
from deployctl.lab.images import BASE_IMAGE
from deployctl.lookups import LOOKUP_SITE_VAR, LookupFailure, LookupSite, LookupUsageError
from deployctl.model.factreads import reads_facts
from deployctl.model.playbook import (
    Block,
    Play,
    Playbook,
    Task,
    find_task_file,
    first_found,
    include_vars_values,
    included_content,
)
from deployctl.model.playbook import Step as PlayStep
from deployctl.modules.base import Module, Plan, PutFile
from deployctl.modules.params import ParamError, validate_params
from deployctl.modules.planning import join_path, strip_trailing_slash
from deployctl.modules.registry import find_module
from deployctl.templating import TemplateError, keep_literal

PORT_VARIABLES = ("deployctl_port", "app_port")
"""The container's port: the first of these variables that is set."""
HEALTH_PATH_VARIABLE = "deployctl_health_path"
DEFAULT_HEALTH_PATH = "/health"
UNIT_DIR = "/etc/systemd/system"
SERVICE_MODULES = ("service", "systemd")
CONTENT_MODULES = ("copy", "template")
COMMAND_MODULES = ("command", "shell")
APT_MODULES = ("apt", "package")
MAIN_STATES = ("started", "restarted", "reloaded")
UNBAKEABLE_MODULES: Mapping[str, str] = {
    "sysctl": "kernel parameters belong to the host that runs the containers; an image cannot set them",
}
HEALTH_TOOLS = ("curl", "python3")
"""Packages the health check can use, in order of preference; their facts are always read from the base."""
CONTEXT_FILES = "files"
RELEASE_ROLE = "release"
SILENT_ACTIONS = ("debug", "meta")
"""Actions with nothing to bake and nothing lost (messages, handler flushes)."""
_REPOSITORY_CHARS = re.compile(r"[^a-z0-9._-]+")


class CompileError(DeployctlError):
    """The play cannot become an image: no main service, a task that fails to plan, a bad template."""

    exit_code = 4


@dataclass(frozen=True)
class TaskNote:
    """A task (or part of one) that is not in the image, and why."""

    task: str
    origin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.task}: {self.reason}"


@dataclass(frozen=True)
class BuildRecipe:
    """A build context (Dockerfile and files, content-hashed) and what the image's containers need at run time.

    `files` maps paths relative to the context to their bytes. `not_baked` lists what the image lacks
    (stage-specific values that cannot be mounted, commands that need a running host...);
    `replaced_by_container` what the container runtime stands in for (unit file, service tasks,
    handlers). `context_hash` covers the Dockerfile, the files and the base image's id; `tag` is
    `deployctl/<app>:<hash[:12]>`.
    """

    app: str
    dockerfile: str
    files: Mapping[str, bytes]
    service: ServiceSpec
    runtime_templates: tuple[RuntimeTemplate, ...]
    not_baked: tuple[TaskNote, ...]
    replaced_by_container: tuple[TaskNote, ...]
    context_hash: str
    base_image: str
    base_image_id: str
    playbook: str
    play: str

    @property
    def tag(self) -> str:
        """The image's content-addressed tag."""
        return f"deployctl/{self.app}:{self.context_hash[:12]}"

    @property
    def labels(self) -> dict[str, str]:
        """The labels of the release image."""
        return {"deployctl.app": self.app, "deployctl.context": self.context_hash, "deployctl.role": RELEASE_ROLE}


def context_hash(dockerfile: str, files: Mapping[str, bytes], base_image_id: str) -> str:
    """sha256 over the Dockerfile, the context files (by name, sorted) and the base image's id.

    The Dockerfile's comment lines do not count: they name the tasks' files and lines, and moving or
    renaming a task without changing what it does must not build a new image.
    """
    instructions = [line for line in dockerfile.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    digest = hashlib.sha256()
    digest.update(b"Dockerfile\0" + "\n".join(instructions).encode("utf-8") + b"\0")
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    digest.update(b"base\0" + base_image_id.encode("utf-8"))
    return digest.hexdigest()


def _names(names: set[str]) -> str:
    return ", ".join(sorted(names))


# --- the compiler ------------------------------------------------------------------------------------


@dataclass
class _MainService:
    task: Task
    name: str
    unit: UnitService | None = None
    unit_task: Task | None = None


@dataclass
class _Output:
    steps: list[Step] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    runtime: list[RuntimeTemplate] = field(default_factory=list)
    not_baked: list[TaskNote] = field(default_factory=list)
    replaced: list[TaskNote] = field(default_factory=list)


class _PlayCompiler:
    """Compiles one play: renders, plans and translates its tasks in order."""

    def __init__(
        self,
        playbook: Playbook,
        play: Play,
        stage_vars: Mapping[str, Mapping[str, Any]],
        base_facts: Mapping[str, Any] | None = None,
    ) -> None:
        self.playbook = playbook
        self.play = play
        self.templar = playbook.templar()
        if not stage_vars:
            raise CompileError("no stage variables: give the variables of every stage the image is promoted through")
        self.stage_vars = {key: {**scope, **play.vars} for key, scope in stage_vars.items()}
        self.scopes = StageScopes(self.templar, self.stage_vars)
        self.registered = {task.register for task in play.all_tasks() if task.register}
        self.image_vars = image_fact_variables(base_facts or {}) if play.gather_facts else {}
        self.included: dict[str, Any] = {}
        self.scope_cache: dict[tuple[int, int, int, LookupSite], StageScopes] = {}
        self.noting = False
        self.out = _Output()

    # --- shared task plumbing ----------------------------------------------------------------------

    def module(self, task: Task) -> Module:
        module = find_module(task.module)
        if module is None:  # the loader refuses unknown modules
            raise AssertionError(f"unknown module {task.module}")
        return module

    def error(self, task: Task, problem: str, field_name: str | None = None) -> CompileError:
        line = task.line_of(field_name) if field_name else task.origin.line
        return CompileError(f"{task.origin.source}:{line}: {task.name}: {problem}")

    def note(self, task: Task, reason: str, *, replaced: bool = False) -> None:
        (self.out.replaced if replaced else self.out.not_baked).append(TaskNote(task.name, str(task.origin), reason))

    def tasks(self, noting: bool = False) -> Iterator[Task]:
        """The play's tasks in order as the image gets them: roles' and included files' opened, actions done.

        include_vars and set_fact values common to every stage feed the later tasks; include_tasks and
        include_role pick their file with those values and the base image's facts. With `noting`, what
        cannot be decided at build time (a rescue, a stage-specific include) is reported.
        """
        self.included = {}
        self.noting = noting
        for _section, steps in self.play.section_steps():
            yield from self.walk(steps)

    def walk(self, steps: tuple[PlayStep, ...]) -> Iterator[Task]:
        for step in steps:
            if isinstance(step, Block):
                yield from self.walk(step.block)
                for task in self.leaves(step.rescue):
                    self.quiet_note(task, "rescue: runs only when a task of its block fails on a running host")
                yield from self.walk(step.always)
                continue
            if "never" in step.tags:
                continue
            if step.delegate_to:
                self.quiet_note(step, "delegate_to localhost: runs on the machine that deploys, not in the image")
            elif step.check_mode:
                self.quiet_note(step, "check_mode: reports only, nothing to bake")
            elif step.is_action:
                yield from self.action(step)
            else:
                yield step

    def leaves(self, steps: tuple[PlayStep, ...]) -> Iterator[Task]:
        for step in steps:
            if isinstance(step, Block):
                yield from self.leaves((*step.block, *step.rescue, *step.always))
            else:
                yield step

    def quiet_note(self, task: Task, reason: str) -> None:
        if self.noting:
            self.note(task, reason)

    def action(self, task: Task) -> Iterator[Task]:
        """Evaluate an action at build time with the values every stage shares, or report it."""
        if task.module in SILENT_ACTIONS:
            return
        scopes = self.task_scopes(task)
        values = {
            key: value for key, value in task.args.items() if key not in ("name",) or task.module != "include_vars"
        }
        specific = scopes.specific_names(values) | (scopes.specific_names(task.loop) if task.loop else set())
        if task.when:
            specific |= set().union(*(scopes.specific_names(f"{{{{ {c} }}}}") for c in task.when))
        if specific:
            self.quiet_note(task, f"{task.module} reads stage-specific variables ({_names(specific)})")
            return
        if task.module in ("fail", "assert"):
            self.quiet_note(task, f"{task.module}: a check of a running host, not evaluated at build time")
            return
        try:
            common = {**scopes.common}
            if task.when and not all(self.templar.evaluate(c, common) for c in task.when):
                return
            items: list[Any] = [None]
            if task.loop is not None:
                rendered = self.templar.render(task.loop, common)
                items = task.loop_items(rendered)
                if task.loop_keyword == "with_first_found":
                    items = list(first_found(task, items, self.playbook.base_dir))
            for item in items:
                scope = common if task.loop is None else {**common, task.loop_var: item}
                yield from self.run_action(task, scope)
        except TemplateError as exc:
            raise self.error(task, str(exc)) from None
        except (LookupFailure, LookupUsageError) as exc:
            raise self.error(task, str(exc), task.loop_keyword) from None

    def run_action(self, task: Task, scope: Mapping[str, Any]) -> Iterator[Task]:
        if task.module == "set_fact":
            self.included.update(self.templar.render(dict(task.args), scope))
            return
        if task.module == "include_vars":
            name = str(self.templar.render(task.args.get("file", ""), scope))
            path = find_task_file(task, task.module, name, self.playbook.base_dir)
            if path is None:
                raise self.error(task, f"include_vars: no file {name!r}", "file")
            values = include_vars_values(task, path, self.playbook.display(path))
            self.included.update({str(task.args["name"]): values} if task.args.get("name") else values)
            return
        name = "" if task.module == "include_role" else str(self.templar.render(task.args.get("file", ""), scope))
        found = included_content(task, name, self.playbook.base_dir)
        if found is None:
            raise self.error(task, f"include_tasks: no file {task.args.get('file')!r} for this image", "file")
        if found.problem is not None:
            raise self.error(task, f"included content cannot run: {found.problem}")
        yield from self.walk(found.steps)

    def reads_facts(self) -> bool:
        """Whether the play can read an `ansible_*` fact with any stage's variables (deployctl.model.factreads)."""
        base_dir = self.playbook.base_dir
        return any(reads_facts(self.play, self.templar, base_dir, scope) for scope in self.stage_vars.values())

    def runtime_vars(self, task: Task, extra: Mapping[str, Any]) -> dict[str, Any]:
        """The variables a deploy-time file needs on top of a stage's: the task's, and its role's and
        the image's that no stage defines (a stage's value wins over a role default, as in Ansible)."""
        role = task.role
        low = {**self.play.role_defaults, **(role.defaults if role else {}), **self.image_vars}
        unset = {name: value for name, value in low.items() if all(name not in s for s in self.stage_vars.values())}
        high = {
            **self.play.role_vars,
            **(role.vars if role else {}),
            **task.vars,
            **self.included,
            **(role.params if role else {}),
            **({"role_name": role.name, "role_path": str(role.path)} if role else {}),
        }
        return {**unset, **high, **extra}

    def task_scopes(self, task: Task) -> StageScopes:
        """The stages' variables for a task: role defaults beneath, base image facts, role/task/included vars above."""
        role = task.role
        site = task.lookup_site
        key = (id(role), id(task.vars), hash(repr(sorted(self.included.items(), key=lambda kv: kv[0]))), site)
        if key not in self.scope_cache:
            low = {**self.play.role_defaults, **(role.defaults if role else {})}
            high = {
                LOOKUP_SITE_VAR: site,
                **self.play.role_vars,
                **(role.vars if role else {}),
                **task.vars,
                **self.included,
                **(role.params if role else {}),
                **({"role_name": role.name, "role_path": str(role.path)} if role else {}),
            }
            self.scope_cache[key] = StageScopes(
                self.templar,
                {name: {**low, **scope, **self.image_vars, **high} for name, scope in self.stage_vars.items()},
            )
        return self.scope_cache[key]

    def items(self, task: Task, scopes: StageScopes) -> list[dict[str, Any]] | str:
        """Each loop item's extra variables ([{}] without a loop), or why the loop cannot be known at build time."""
        if task.loop is None:
            return [{}]
        specific = scopes.specific_names(task.loop)
        if specific:
            return f"its loop reads stage-specific variables ({_names(specific)})"
        if scopes.reads(task.loop) & self.registered:
            return "its loop reads a registered result, known only on a running host"
        try:
            rendered = self.templar.render(task.loop, scopes.common)
        except TemplateError as exc:
            raise self.error(task, str(exc), task.loop_keyword) from None
        return [{task.loop_var: item} for item in task.loop_items(rendered)]

    def render_args(
        self, task: Task, module: Module, scopes: StageScopes, extra: Mapping[str, Any], skip: set[str]
    ) -> dict[str, Any]:
        """Render and validate a task's arguments (except `skip`) with the variables common to all stages."""
        args = {key: value for key, value in task.args.items() if key not in skip}
        try:
            rendered = self.templar.render(args, {**scopes.common, **extra})
            return validate_params(module, rendered)
        except ParamError as exc:
            raise self.error(task, f"{exc.field}: {exc.problem}", exc.field) from None
        except TemplateError as exc:
            raise self.error(task, str(exc)) from None

    def source_file(self, task: Task, module: Module, params: Mapping[str, Any]) -> Path | None:
        if module.name not in CONTENT_MODULES or not params.get("src"):
            return None
        source = find_task_file(task, module.name, str(params["src"]), self.playbook.base_dir)
        if source is None:
            raise self.error(task, f"{module.name} src {params['src']!r} not found", "src")
        return source

    # --- facts the play needs from the base image --------------------------------------------------

    def needed_facts(self) -> list[Fact[Any]]:
        facts: list[Fact[Any]] = [PackageFact(name) for name in HEALTH_TOOLS]
        if self.play.gather_facts and self.reads_facts():
            facts.append(AnsibleFacts())
        for task in self.tasks():
            module = self.module(task)
            if module.name in SERVICE_MODULES or module.name in UNBAKEABLE_MODULES:
                continue
            scopes = self.task_scopes(task)
            try:
                items = self.items(task, scopes)
            except CompileError:
                continue
            for extra in items if isinstance(items, list) else []:
                skip = {key for key, value in task.args.items() if scopes.specific_names(value, extra)}
                try:
                    params = self.render_args(task, module, scopes, extra, skip)
                    if "src" in params and params.get("src"):
                        params["_src_name"] = Path(str(params["src"])).name
                    facts.extend(module.facts(params))
                except (CompileError, KeyError, TypeError):
                    continue  # compile reports it
        return facts

    # --- compile -----------------------------------------------------------------------------------

    def compile(self, base_facts: Mapping[str, Any], base_image: str, base_image_id: str) -> BuildRecipe:
        self.image = ImageFacts(base_facts)
        self.main = self.main_service()
        for task in self.tasks(noting=True):
            self.task(task)
        for handler in self.play.handlers:
            self.note(
                handler, "handler: a container starts fresh from its image, there is nothing to restart", replaced=True
            )
        unit = self.main.unit
        if unit is None:
            raise CompileError(
                f"{self.main.task.origin}: {self.main.task.name}: no copy or template task writes "
                f"{UNIT_DIR}/{self.main.name}.service: the image's main process is that unit's ExecStart"
            )
        service = ServiceSpec(
            name=self.main.name,
            command=unit.command,
            port=self.port(),
            user=unit.user,
            group=unit.group,
            working_dir=unit.working_dir,
            environment=dict(unit.environment),
            health_path=self.health_path(),
        )
        app = _REPOSITORY_CHARS.sub("-", self.main.name.removesuffix(".service").lower()).strip("-._") or "app"
        header = (
            f"Generated by deployctl from {self.playbook.source}, play {self.play.name!r}: do not edit.",
            "Stage-specific files are not in this image: they are mounted read-only at deploy time.",
        )
        dockerfile = render_dockerfile(
            header, base_image, self.out.steps, service, self.health_check(service), self.user_spec(unit)
        )
        return BuildRecipe(
            app=app,
            dockerfile=dockerfile,
            files=dict(self.out.files),
            service=service,
            runtime_templates=tuple(self.out.runtime),
            not_baked=tuple(self.out.not_baked),
            replaced_by_container=tuple(self.out.replaced),
            context_hash=context_hash(dockerfile, self.out.files, base_image_id),
            base_image=base_image,
            base_image_id=base_image_id,
            playbook=self.playbook.source,
            play=self.play.name,
        )

    def main_service(self) -> _MainService:
        """The first service/systemd task that starts a service: the container's main process."""
        for task in self.tasks():
            module = self.module(task)
            if module.name not in SERVICE_MODULES:
                continue
            scopes = self.task_scopes(task)
            specific = scopes.specific_names({"name": task.args.get("name"), "state": task.args.get("state")})
            if specific:
                raise self.error(
                    task, f"the main service's name or state reads stage-specific variables ({_names(specific)})"
                )
            params = self.render_args(task, module, scopes, {}, set(task.args) - {"name", "state"})
            if params.get("name") and params.get("state") in MAIN_STATES:
                return _MainService(task=task, name=str(params["name"]))
        where = f"{self.play.origin.source}:{self.play.origin.line}"
        raise CompileError(
            f"{where}: play {self.play.name!r}: no service or systemd task with state: started names the "
            "image's main process"
        )

    def task(self, task: Task) -> None:
        module = self.module(task)
        if module.name in SERVICE_MODULES:
            self.service_task(task)
            return
        if module.name in UNBAKEABLE_MODULES:
            self.note(task, UNBAKEABLE_MODULES[module.name])
            return
        scopes = self.task_scopes(task)
        if task.when:
            specific = set().union(*(scopes.specific_names(f"{{{{ {c} }}}}") for c in task.when))
            if specific:
                self.note(
                    task,
                    f"its condition reads stage-specific variables ({_names(specific)}); "
                    "the image is the same for every stage",
                )
                return
            if set().union(*(scopes.reads(f"{{{{ {c} }}}}") for c in task.when)) & self.registered:
                self.note(task, "its condition reads a registered result, known only on a running host")
                return
        items = self.items(task, scopes)
        if isinstance(items, str):
            self.note(task, items)
            return
        for extra in items:
            if task.when:
                try:
                    if not all(self.templar.evaluate(c, {**scopes.common, **extra}) for c in task.when):
                        continue
                except TemplateError as exc:
                    raise self.error(task, str(exc), "when") from None
            self.item(task, module, scopes, extra)

    def service_task(self, task: Task) -> None:
        if task is self.main.task:
            self.note(
                task, f"the container's main process is {self.main.name} (CMD); no service manager", replaced=True
            )
            return
        scopes = self.task_scopes(task)
        specific = {key: names for key, value in task.args.items() if (names := scopes.specific_names(value))}
        if "name" in specific or "state" in specific:
            self.note(task, self.specific_reason(specific))
            return
        params = self.render_args(task, self.module(task), scopes, {}, set(specific))
        if params.get("state") in MAIN_STATES and params.get("name") and params["name"] != self.main.name:
            self.note(task, f"a container runs one main process ({self.main.name}); {params['name']} is not started")
        else:
            self.note(
                task, "a container has no service manager: the container runtime starts and restarts it", replaced=True
            )

    def item(self, task: Task, module: Module, scopes: StageScopes, extra: dict[str, Any]) -> None:
        specific = {key: names for key, value in task.args.items() if (names := scopes.specific_names(value, extra))}
        registered = {key for key, value in task.args.items() if scopes.reads(value, extra) & self.registered}
        if registered:
            self.note(task, f"{', '.join(sorted(registered))} read a registered result, known only on a running host")
            return
        if module.name in CONTENT_MODULES:
            self.content_task(task, module, scopes, extra, specific)
            return
        if specific:
            self.note(task, self.specific_reason(specific))
            return
        params = self.render_args(task, module, scopes, extra, set())
        if module.name in COMMAND_MODULES and not params.get("creates"):
            self.note(
                task,
                "a command without `creates` needs a running host (it would run on every deploy); "
                "give it `creates` to bake it",
            )
            return
        self.plan_and_bake(task, module, params)

    def specific_reason(self, specific: Mapping[str, set[str]]) -> str:
        what = "; ".join(f"{key} reads {_names(names)}" for key, names in sorted(specific.items()))
        return f"stage-specific ({what}): these values differ between stages and the image is the same for every stage"

    # --- files -------------------------------------------------------------------------------------

    def content_task(
        self, task: Task, module: Module, scopes: StageScopes, extra: dict[str, Any], specific: Mapping[str, set[str]]
    ) -> None:
        placing = {key: names for key, names in specific.items() if key != "content"}
        if placing:
            self.note(task, self.specific_reason(placing))
            return
        params = self.render_args(task, module, scopes, extra, set(specific))
        source = self.source_file(task, module, params)
        if source is not None:
            params["_src_name"] = source.name
        target = self.target_path(params)
        content_names = set(specific.get("content", set()))
        if module.name == "template" and source is not None:
            try:
                content_names |= scopes.specific_names(source, extra)
            except TemplateError as exc:
                raise self.error(task, str(exc), "src") from None
        if target in (f"{UNIT_DIR}/{self.main.name}.service", f"{UNIT_DIR}/{self.main.name}"):
            self.unit_file(task, module, source, scopes, extra, target, content_names)
            return
        if content_names:
            self.runtime_file(task, module, params, source, target, content_names, self.runtime_vars(task, extra))
            return
        if source is not None:
            if module.name == "template":
                try:
                    params["_content"] = self.templar.render_file(
                        source, {**scopes.common, **extra}, self.playbook.display(source)
                    )
                except TemplateError as exc:
                    raise self.error(task, str(exc), "src") from None
            else:
                params["_content"] = source.read_bytes()
        self.plan_and_bake(task, module, params)

    def target_path(self, params: Mapping[str, Any]) -> str:
        """Where a copy/template task writes, as its planner decides (inside `dest` when it is a directory)."""
        dest = str(params["dest"])
        name = params.get("_src_name")
        if dest.endswith("/") and name:
            return join_path(strip_trailing_slash(dest), str(name))
        info = self.image.get(f"file:{dest}")
        if name and isinstance(info, FileInfo) and info.followed().type == "directory":
            return join_path(dest, str(name))
        return dest

    def relative_source(self, source: Path | None) -> str:
        if source is None:
            return ""
        try:
            return source.relative_to(self.playbook.base_dir).as_posix()
        except ValueError:
            return str(source)

    def runtime_file(
        self,
        task: Task,
        module: Module,
        params: Mapping[str, Any],
        source: Path | None,
        target: str,
        names: set[str],
        own_vars: Mapping[str, Any],
    ) -> None:
        inline = task.args.get("content") if source is None else None
        self.out.runtime.append(
            RuntimeTemplate(
                task=task.name,
                src=self.relative_source(source),
                dest=target,
                template=module.name == "template" or inline is not None,
                mode=params.get("mode"),
                owner=params.get("owner"),
                group=params.get("group"),
                reason=f"{task.origin}: reads {_names(names)} (values differ between stages)",
                content=str(inline) if inline is not None else None,
                variables=keep_literal(dict(own_vars)),  # what the base image said stays data
            )
        )
        self.image.forget(f"file:{target}", f"{target} is delivered at deploy time (mounted read-only)")

    def unit_file(
        self,
        task: Task,
        module: Module,
        source: Path | None,
        scopes: StageScopes,
        extra: dict[str, Any],
        target: str,
        names: set[str],
    ) -> None:
        """Read the main service's unit in every stage's rendering; it becomes CMD/USER/WORKDIR/ENV, not a file."""
        units: list[UnitService] = []
        for scope in scopes.scopes:
            full = {**scope, **extra}
            try:
                if source is None:
                    text = str(self.templar.render(task.args.get("content", ""), full))
                elif module.name == "template":
                    text = self.templar.render_file(source, full, self.playbook.display(source))
                else:
                    text = source.read_text(encoding="utf-8")
                units.append(parse_service_unit(text))
            except TemplateError as exc:
                raise self.error(task, str(exc), "src") from None
            except UnitFileError as exc:
                raise self.error(task, f"{target}: {exc}", "src") from None
        first = units[0]
        for label, read in (
            ("ExecStart", lambda unit: unit.command),
            ("User", lambda unit: unit.user),
            ("Group", lambda unit: unit.group),
            ("WorkingDirectory", lambda unit: unit.working_dir),
            ("Environment", lambda unit: dict(unit.environment)),
        ):
            differing = [key for key, unit in zip(scopes.keys, units, strict=True) if read(unit) != read(first)]
            if differing:
                self.note(
                    task,
                    f"{target}: {label} differs between stages ({scopes.keys[0]} vs {', '.join(differing)}); "
                    f"the image uses {scopes.keys[0]}'s",
                )
        for setting in first.ignored:
            self.note(task, f"{target}: {setting} has no equivalent in the container and is not applied")
        reads = (
            f" (it reads stage-specific {_names(names)}; the image uses only its [Service] settings)" if names else ""
        )
        self.note(
            task,
            f"unit file {target}: read for the main process (CMD, USER, WORKDIR, ENV); a container has no systemd, "
            f"so it is neither baked nor mounted{reads}",
            replaced=True,
        )
        self.main.unit = first
        self.main.unit_task = task

    # --- planning and translating ------------------------------------------------------------------

    def plan_and_bake(self, task: Task, module: Module, params: dict[str, Any]) -> None:
        step_name = f"{task.origin} {task.name}"
        try:
            facts = self.image.lookup(fact.key for fact in module.facts(params))
        except UnknownFactError as exc:
            self.note(task, f"cannot be planned at build time: {exc.reason} ({exc.key})")
            return
        except KeyError as exc:
            raise self.error(
                task,
                f"the base image's fact {exc.args[0]} was not gathered: gather the facts the play needs "
                "(base_facts_needed, then gather_base_facts)",
            ) from None
        plan = module.plan(params, facts)
        if plan.failed is not None:
            raise self.error(task, f"{plan.failed} (planned against the image as the earlier steps leave it)")
        if not plan.changed:
            return
        self.out.steps.extend(self.translate(task, module, params, plan))
        self.image.apply(module.name, params, plan, step_name)

    def translate(self, task: Task, module: Module, params: Mapping[str, Any], plan: Plan) -> list[Step]:
        origin = (f"{task.origin} {task.name}",)
        if module.name in APT_MODULES:
            return [RunStep(tuple(apt_lines(plan)), origin, alone=True)]
        if module.name in COMMAND_MODULES:
            return [RunStep((guarded_line(params, plan),), origin, alone=True)]
        steps: list[Step] = []
        commands: list[str] = []
        for action in plan.actions:
            if isinstance(action, PutFile):
                if commands:
                    steps.append(RunStep(tuple(commands), origin))
                    commands = []
                steps.append(CopyStep(self.context_file(action), action.path, origin))
                if action.owner is not None or action.group is not None:
                    owner = action.owner or ""
                    spec = f"{owner}:{action.group}" if action.group is not None else owner
                    commands.append(shlex.join(("chown", "-h", "--", spec, action.path)))
                if action.mode is not None:
                    commands.append(shlex.join(("chmod", "--", action.mode, action.path)))
            else:
                commands.append(command_line(action))
        if commands:
            steps.append(RunStep(tuple(commands), origin))
        return steps

    def context_file(self, action: PutFile) -> str:
        """The context path of a file to COPY: named by its content, so equal files share one."""
        digest = hashlib.sha256(action.content).hexdigest()[:16]
        name = f"{CONTEXT_FILES}/{digest}/{posixpath.basename(action.path) or 'file'}"
        self.out.files[name] = action.content
        return name

    # --- the main service --------------------------------------------------------------------------

    def variable(self, name: str) -> tuple[Any, bool] | None:
        """A variable's value (rendered) and whether it is stage-specific; None when no stage sets it."""
        if name in self.scopes.common:
            return self.templar.render(self.scopes.common[name], self.scopes.common), False
        if any(name in scope for scope in self.scopes.scopes):
            first = self.scopes.first()
            return (self.templar.render(first[name], first) if name in first else None), True
        return None

    def port(self) -> int:
        for name in PORT_VARIABLES:
            found = self.variable(name)
            if found is None:
                continue
            value, specific = found
            try:
                port = int(value)
            except (TypeError, ValueError):
                raise CompileError(f"{self.play.origin}: {name}: must be a port number, got {value!r}") from None
            if specific:
                self.out.not_baked.append(
                    TaskNote(
                        self.play.name,
                        str(self.play.origin),
                        f"{name} differs between stages: the image exposes {port}",
                    )
                )
            return port
        raise CompileError(
            f"{self.play.origin}: play {self.play.name!r}: set deployctl_port (or app_port): the port the "
            "main service listens on"
        )

    def health_path(self) -> str:
        found = self.variable(HEALTH_PATH_VARIABLE)
        path = str(found[0]) if found is not None and found[0] else DEFAULT_HEALTH_PATH
        return path if path.startswith("/") else f"/{path}"

    def installed(self, package: str) -> bool:
        info = self.image.get(f"package:{package}")
        return isinstance(info, PackageInfo) and info.installed is not None

    def health_check(self, service: ServiceSpec) -> HealthCheck | None:
        url = f"http://127.0.0.1:{service.port}{service.health_path}"
        if self.installed("curl"):
            return HealthCheck(("curl", "-fsS", "-o", "/dev/null", "--max-time", "2", url))
        if self.installed("python3"):
            script = f"import urllib.request; urllib.request.urlopen({url!r}, timeout=2)"
            return HealthCheck(("python3", "-c", script))
        self.out.not_baked.append(
            TaskNote(
                self.main.task.name,
                str(self.main.task.origin),
                "no HEALTHCHECK: neither curl nor python3 is installed in the image",
            )
        )
        return None

    def user_spec(self, unit: UnitService) -> str | None:
        """USER's argument: `user`, or `user:group` when Group= is not the user's own primary group."""
        if not unit.user:
            return None if not unit.group else f"root:{unit.group}"
        info = self.image.get(f"user:{unit.user}")
        if unit.group and not (isinstance(info, UserInfo) and info.group == unit.group):
            return f"{unit.user}:{unit.group}"
        return unit.user


# --- public API ----------------------------------------------------------------------------------------


def image_fact_variables(base_facts: Mapping[str, Any]) -> dict[str, Any]:
    """The `ansible_*` facts an image has whatever host runs it (its OS), from the base image's facts.

    Facts of the running host (hostname, addresses, memory...) are left out: they stay stage-specific.
    """
    gathered = base_facts.get(ANSIBLE_FACTS_KEY)
    if not isinstance(gathered, Mapping):
        return {}
    return fact_variables({name: gathered[name] for name in IMAGE_FACTS if name in gathered})


def base_facts_needed(
    playbook: Playbook,
    play: Play,
    stage_vars: Mapping[str, Mapping[str, Any]],
    base_facts: Mapping[str, Any] | None = None,
) -> list[Fact[Any]]:
    """The facts of the base image that compiling `play` needs (read them with gather_base_facts).

    Given the facts already read, the tasks whose values depend on the image's OS facts (include_vars
    chosen by `ansible_os_family`...) are rendered too: read what is still missing in a second pass.
    """
    needed = _PlayCompiler(playbook, play, stage_vars, base_facts).needed_facts()
    return [fact for fact in needed if base_facts is None or fact.key not in base_facts]


def compile_play(
    playbook: Playbook,
    play: Play,
    stage_vars: Mapping[str, Mapping[str, Any]],
    base_facts: Mapping[str, Any] | None = None,
    *,
    base_image: str = BASE_IMAGE,
    base_image_id: str = "",
) -> BuildRecipe:
    """Compile `play` into a build recipe (pure): see the module docstring.

    `stage_vars` maps each stage (or target host) the image is promoted through to its merged
    variables (inventory, magic and play variables, as the mutable strategy builds them); give them
    all, since what differs between them decides what is delivered at deploy time. `base_facts` are
    the base image's facts (fact key -> parsed value) for `base_facts_needed`; `base_image_id` goes
    into the context hash, so a rebuilt base gives new tags.
    """
    compiler = _PlayCompiler(playbook, play, stage_vars, base_facts)
    return compiler.compile(base_facts or {}, base_image, base_image_id)
