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
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployctl.facts.ansible import AnsibleFacts
from deployctl.facts.base import Fact
from deployctl.facts.packages import PackageFact
from deployctl.immutable.baker import COMMAND_MODULES, Baker
from deployctl.immutable.compileoutput import (
    CompileError,
    CompileOutput,
    TaskNote,
    joined_names,
    stage_specific_reason,
    task_error,
)
from deployctl.immutable.contentfiles import UNIT_DIR, ContentFiles
from deployctl.immutable.dockerfile import render_dockerfile
from deployctl.immutable.imagefacts import ImageFacts
from deployctl.immutable.imageplay import CONTENT_MODULES, ImagePlay
from deployctl.immutable.mainservice import (
    HEALTH_TOOLS,
    SERVICE_MODULES,
    container_port,
    find_main_service,
    health_check,
    health_path,
    note_service_task,
    user_spec,
)
from deployctl.immutable.recipe import RuntimeTemplate, ServiceSpec
from deployctl.immutable.scopes import StageScopes
from deployctl.lab.images import BASE_IMAGE
from deployctl.model.environment import BadEnvironmentError, merged_environment
from deployctl.model.playbook import Play, Playbook, Task
from deployctl.modules.base import Module
from deployctl.templating import TemplateError

UNBAKEABLE_MODULES: Mapping[str, str] = {
    "sysctl": "kernel parameters belong to the host that runs the containers; an image cannot set them",
    "stat": "reads a path of a running host and changes nothing; an image has nothing to build from it "
    "(the tasks that read its registered result are reported on their own)",
    "getent": "reads a running host's accounts and name services into its facts; an image has nothing to build from it",
    "service_facts": "reads a running host's services into its facts; a container runs one service, no init",
    "package_facts": "reads a running host's packages into its facts; an image has nothing to build from it",
    "authorized_key": "SSH keys let people log in to a host; a container runs one service and no SSH server",
    "mount": "mounts belong to the host that runs the containers; a container's are given by its runtime",
    "setup": "gathers a running host's facts again; an image is built from the base image's facts",
    "get_url": "what a URL serves is not in the build context, so the same context could build another image; "
    "download the file on the controller and copy it",
    "unarchive": "an archive's members are not foreseen in the image's facts yet; "
    "extract it with a command guarded by `creates`",
    "cron": "a container runs its one service and no cron daemon: schedule the job on the host or in its own container",
    "find": "it only reads the host, and what it finds (its registered result) exists only on a running host",
    "apt_key": "apt-key lists the keyring and reads a key's id with gpg on a running host, which the base image's "
    "facts do not foresee; copy the key into /etc/apt/keyrings and name it in the repository's signed-by",
    "ufw": "firewall rules belong to the host that runs the containers; a container's network is given by its runtime",
}
UNBAKED_HASH_NOTE = (
    "password: a hash baked into an image is readable in its build history; the user is baked without it"
)
RELEASE_ROLE = "release"


def secret_reason(module: Module, params: Mapping[str, Any]) -> str | None:
    """Why a task that would write a secret into the image's layers (its build history) is not baked, or None."""
    if module.name == "debconf" and params.get("vtype") == "password":
        return "a debconf password would be written into the image's layers: answer it on the host"
    if module.name == "user" and params.get("generate_ssh_key"):
        return (
            "a generated private ssh key would be in the image's layers, shared by every container: "
            "generate it on the host"
        )
    return None


_REPOSITORY_CHARS = re.compile(r"[^a-z0-9._-]+")


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


def _holds_password(module: Module, params: dict[str, Any]) -> bool:
    return module.name == "user" and params.get("password") is not None


def _without_password(module: Module, params: dict[str, Any]) -> dict[str, Any]:
    """A user task's parameters as baked: without the password (see UNBAKED_HASH_NOTE)."""
    return {**params, "password": None} if _holds_password(module, params) else params


# --- the compiler ------------------------------------------------------------------------------------


class _PlayCompiler:
    """Compiles one play: its tasks in order (ImagePlay), each baked (Baker), a copy/template task's file
    delivered (ContentFiles), the service tasks read for the main process (mainservice), or noted."""

    def __init__(
        self,
        playbook: Playbook,
        play: Play,
        stage_vars: Mapping[str, Mapping[str, Any]],
        base_facts: Mapping[str, Any] | None = None,
    ) -> None:
        self.out = CompileOutput()
        self.image_play = ImagePlay(playbook, play, stage_vars, base_facts, self.out)

    # --- facts the play needs from the base image --------------------------------------------------

    def needed_facts(self) -> list[Fact[Any]]:
        """The base image's facts that planning the play's tasks reads (see `base_facts_needed`)."""
        facts: list[Fact[Any]] = [PackageFact(name) for name in HEALTH_TOOLS]
        if self.image_play.play.gather_facts and self.image_play.reads_facts():
            facts.append(AnsibleFacts())
        for task in self.image_play.tasks():
            if task.unsupported:
                continue
            module = self.image_play.module(task)
            if module.name in SERVICE_MODULES or module.name in UNBAKEABLE_MODULES:
                continue
            scopes = self.image_play.task_scopes(task)
            try:
                items = self.image_play.items(task, scopes)
            except CompileError:
                continue
            for extra in items if isinstance(items, list) else []:
                skip = {key for key, value in task.args.items() if scopes.specific_names(value, extra)}
                try:
                    params = self.image_play.render_args(task, module, scopes, extra, skip)
                    if secret_reason(module, params) is not None:
                        continue
                    if "src" in params and params.get("src"):
                        params["_src_name"] = Path(str(params["src"])).name
                    facts.extend(module.facts(_without_password(module, params)))
                except (CompileError, KeyError, TypeError):
                    continue  # compile reports it
        return facts

    # --- compile -----------------------------------------------------------------------------------

    def compile(self, base_facts: Mapping[str, Any], base_image: str, base_image_id: str) -> BuildRecipe:
        """The build recipe: every task baked, delivered at deploy time or noted, and the main service's settings."""
        self.image = ImageFacts(base_facts)
        self.main = find_main_service(self.image_play)
        self.baker = Baker(self.image, self.out)
        self.content = ContentFiles(self.image_play, self.image, self.main, self.baker)
        for task in self.image_play.tasks(noting=True):
            self.task(task)
        for handler in self.image_play.play.handlers:
            self.out.note(
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
            port=container_port(self.image_play),
            user=unit.user,
            group=unit.group,
            working_dir=unit.working_dir,
            environment=dict(unit.environment),
            health_path=health_path(self.image_play),
        )
        app = _REPOSITORY_CHARS.sub("-", self.main.name.removesuffix(".service").lower()).strip("-._") or "app"
        playbook, play = self.image_play.playbook, self.image_play.play
        header = (
            f"Generated by deployctl from {playbook.source}, play {play.name!r}: do not edit.",
            "Stage-specific files are not in this image: they are mounted read-only at deploy time.",
        )
        dockerfile = render_dockerfile(
            header,
            base_image,
            self.out.steps,
            service,
            health_check(service, self.main, self.image, self.out),
            user_spec(unit, self.image),
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
            playbook=playbook.source,
            play=play.name,
        )

    def task(self, task: Task) -> None:
        """One task of the play: for each loop item whose condition holds, baked, delivered or noted."""
        if task.unsupported:
            self.unsupported(task)
            return
        module = self.image_play.module(task)
        if module.name in SERVICE_MODULES:
            note_service_task(task, self.main, self.image_play)
            return
        if module.name in UNBAKEABLE_MODULES:
            self.out.note(task, UNBAKEABLE_MODULES[module.name])
            return
        scopes = self.image_play.task_scopes(task)
        if task.when:
            specific = set().union(*(scopes.specific_names(f"{{{{ {c} }}}}") for c in task.when))
            if specific:
                self.out.note(
                    task,
                    f"its condition reads stage-specific variables ({joined_names(specific)}); "
                    "the image is the same for every stage",
                )
                return
            if set().union(*(scopes.reads(f"{{{{ {c} }}}}") for c in task.when)) & self.image_play.registered:
                self.out.note(task, "its condition reads a registered result, known only on a running host")
                return
        items = self.image_play.items(task, scopes)
        if isinstance(items, str):
            self.out.note(task, items)
            return
        for extra in items:
            if task.when:
                try:
                    if not all(self.image_play.templar.evaluate(c, {**scopes.common, **extra}) for c in task.when):
                        continue
                except TemplateError as exc:
                    raise task_error(task, str(exc), "when") from None
            self.item(task, module, scopes, extra)

    def unsupported(self, task: Task) -> None:
        """A task deployctl cannot run: a compile error when the image reaches it (or its condition is unknown)."""
        if task.when:
            scope = self.image_play.task_scopes(task).common
            try:
                if not all(self.image_play.templar.evaluate(c, scope) for c in task.when):
                    return
            except TemplateError:
                pass  # a condition the build cannot decide: the task may run
        raise task_error(task, task.unsupported_message)

    def item(self, task: Task, module: Module, scopes: StageScopes, extra: dict[str, Any]) -> None:
        """One loop item of a task (or the task without a loop)."""
        specific = {key: names for key, value in task.args.items() if (names := scopes.specific_names(value, extra))}
        registered = {
            key for key, value in task.args.items() if scopes.reads(value, extra) & self.image_play.registered
        }
        if registered:
            self.out.note(
                task, f"{', '.join(sorted(registered))} read a registered result, known only on a running host"
            )
            return
        if module.name in CONTENT_MODULES:
            self.content.task(task, module, scopes, extra, specific)
            return
        if specific:
            self.out.note(task, stage_specific_reason(specific))
            return
        environment = self.environment(task, scopes, extra)
        if isinstance(environment, str):
            self.out.note(task, environment)
            return
        params = self.image_play.render_args(task, module, scopes, extra, set())
        if (reason := secret_reason(module, params)) is not None:
            self.out.note(task, reason)
            return
        if module.name in COMMAND_MODULES and not params.get("creates"):
            self.out.note(
                task,
                "a command without `creates` needs a running host (it would run on every deploy); "
                "give it `creates` to bake it",
            )
            return
        if _holds_password(module, params):
            self.out.note(task, UNBAKED_HASH_NOTE)
        self.baker.bake(task, module, _without_password(module, params), environment)

    def environment(self, task: Task, scopes: StageScopes, extra: dict[str, Any]) -> dict[str, str] | str:
        """The task's `environment:` for its RUN steps, or why it cannot be baked (it differs per stage or host)."""
        if not task.environment:
            return {}
        layers = list(task.environment)
        specific = set().union(*(scopes.specific_names(layer, extra) for layer in layers))
        if specific:
            return f"its environment reads stage-specific variables ({joined_names(specific)})"
        if set().union(*(scopes.reads(layer, extra) for layer in layers)) & self.image_play.registered:
            return "its environment reads a registered result, known only on a running host"
        scope = {**scopes.common, **extra}
        try:
            return merged_environment(layers, lambda layer: self.image_play.templar.render(layer, scope))
        except (TemplateError, BadEnvironmentError) as exc:
            raise task_error(task, str(exc), "environment") from None


# --- public API ----------------------------------------------------------------------------------------


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
