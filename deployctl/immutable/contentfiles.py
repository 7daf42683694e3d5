"""copy and template tasks in an image: baked when every stage writes the same content, delivered at deploy
time (a RuntimeTemplate, mounted read-only) when it is stage-specific, and the main service's unit file read
for its CMD, USER, WORKDIR and ENV (a container has no systemd)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from deployctl.facts.files import FileInfo
from deployctl.immutable.baker import Baker
from deployctl.immutable.compileoutput import joined_names, stage_specific_reason, task_error
from deployctl.immutable.imagefacts import ImageFacts
from deployctl.immutable.imageplay import ImagePlay
from deployctl.immutable.mainservice import MainService
from deployctl.immutable.recipe import RuntimeTemplate
from deployctl.immutable.scopes import StageScopes
from deployctl.immutable.unitfile import UnitFileError, UnitService, parse_service_unit
from deployctl.model.playbook import Task
from deployctl.model.runvars import template_variables
from deployctl.modules.base import Module
from deployctl.modules.planning import join_path, strip_trailing_slash
from deployctl.templating import TemplateError, keep_literal

UNIT_DIR = "/etc/systemd/system"


class ContentFiles:
    """Compiles the play's copy and template tasks into baked files, deploy-time files or the main unit."""

    def __init__(self, play: ImagePlay, image: ImageFacts, main: MainService, baker: Baker) -> None:
        self.play = play
        self.image = image
        self.main = main
        self.baker = baker
        self.out = play.out

    def task(
        self, task: Task, module: Module, scopes: StageScopes, extra: dict[str, Any], specific: Mapping[str, set[str]]
    ) -> None:
        """A copy/template task: baked, delivered at deploy time when its content is stage-specific, or read
        as the main service's unit file."""
        placing = {key: names for key, names in specific.items() if key != "content"}
        if placing:
            self.out.note(task, stage_specific_reason(placing))
            return
        params = self.play.render_args(task, module, scopes, extra, set(specific))
        source = self.play.source_file(task, module, params)
        if source is not None:
            params["_src_name"] = source.name
        target = self.target_path(params)
        content_names = set(specific.get("content", set()))
        if module.name == "template" and source is not None:
            try:
                content_names |= scopes.specific_names(source, extra)
            except TemplateError as exc:
                raise task_error(task, str(exc), "src") from None
        if target in (f"{UNIT_DIR}/{self.main.name}.service", f"{UNIT_DIR}/{self.main.name}"):
            self.unit_file(task, module, source, scopes, extra, target, content_names)
            return
        if content_names:
            self.runtime_file(task, module, params, source, target, content_names, self.play.runtime_vars(task, extra))
            return
        if source is not None:
            if module.name == "template":
                try:
                    common = {**scopes.common, **extra}
                    variables = template_variables(str(params["src"]), source, str(params["dest"]), common)
                    params["_content"] = self.play.templar.render_file(
                        source, variables, self.play.playbook.display(source)
                    )
                except TemplateError as exc:
                    raise task_error(task, str(exc), "src") from None
            else:
                params["_content"] = source.read_bytes()
        self.baker.bake(task, module, params)

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
        """A source file as the recipe names it: relative to the playbook's folder when inside it."""
        if source is None:
            return ""
        try:
            return source.relative_to(self.play.playbook.base_dir).as_posix()
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
        """Deliver the file at deploy time: a RuntimeTemplate rendered per stage and mounted read-only."""
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
                reason=f"{task.origin}: reads {joined_names(names)} (values differ between stages)",
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
                    text = str(self.play.templar.render(task.args.get("content", ""), full))
                elif module.name == "template":
                    src = str(task.args.get("src", source.name))
                    variables = template_variables(src, source, target, full)
                    text = self.play.templar.render_file(source, variables, self.play.playbook.display(source))
                else:
                    text = source.read_text(encoding="utf-8")
                units.append(parse_service_unit(text))
            except TemplateError as exc:
                raise task_error(task, str(exc), "src") from None
            except UnitFileError as exc:
                raise task_error(task, f"{target}: {exc}", "src") from None
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
                self.out.note(
                    task,
                    f"{target}: {label} differs between stages ({scopes.keys[0]} vs {', '.join(differing)}); "
                    f"the image uses {scopes.keys[0]}'s",
                )
        for setting in first.ignored:
            self.out.note(task, f"{target}: {setting} has no equivalent in the container and is not applied")
        reads = (
            f" (it reads stage-specific {joined_names(names)}; the image uses only its [Service] settings)"
            if names
            else ""
        )
        self.out.note(
            task,
            f"unit file {target}: read for the main process (CMD, USER, WORKDIR, ENV); a container has no systemd, "
            f"so it is neither baked nor mounted{reads}",
            replaced=True,
        )
        self.main.unit = first
        self.main.unit_task = task
