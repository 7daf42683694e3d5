"""Bake a task into the image: plan it with its module against the image's facts as the earlier steps
leave them (see `imagefacts`), and turn the plan's actions into Dockerfile steps (commands become RUN,
file writes COPY of a context file, then the plan's chown/chmod)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from deployctl.immutable.compileoutput import CompileOutput, task_error
from deployctl.immutable.dockerfile import CopyStep, RunStep, Step, apt_lines, command_line, guarded_line
from deployctl.immutable.imagefacts import ImageFacts, UnknownFactError
from deployctl.model.playbook import Task
from deployctl.modules.base import Module, Plan, PutFile, RunCommand
from deployctl.transport.base import VALIDATE_MARK, validate_words, with_environment

COMMAND_MODULES = ("command", "shell")
APT_MODULES = ("apt", "package")


class Baker:
    """Adds tasks' plans to the recipe's steps, keeping the image's facts up to date past each step."""

    def __init__(self, image: ImageFacts, out: CompileOutput) -> None:
        self.image = image
        self.out = out

    def bake(
        self, task: Task, module: Module, params: dict[str, Any], environment: Mapping[str, str] | None = None
    ) -> None:
        """Plan the task against the image as the earlier steps leave it; add its steps, and bring the image forward."""
        step_name = f"{task.origin} {task.name}"
        try:
            facts = self.image.lookup(fact.key for fact in module.facts(params))
        except UnknownFactError as exc:
            self.out.note(task, f"cannot be planned at build time: {exc.reason} ({exc.key})")
            return
        except KeyError as exc:
            raise task_error(
                task,
                f"the base image's fact {exc.args[0]} was not gathered: gather the facts the play needs "
                "(base_facts_needed, then gather_base_facts)",
            ) from None
        plan = module.plan(params, facts)
        if plan.failed is not None:
            raise task_error(task, f"{plan.failed} (planned against the image as the earlier steps leave it)")
        if not plan.changed:
            return
        steps = self.translate(task, module, params, plan)
        self.out.steps.extend(with_run_environment(step, environment or {}) for step in steps)
        self.image.apply(module.name, params, plan, step_name)

    def translate(self, task: Task, module: Module, params: Mapping[str, Any], plan: Plan) -> list[Step]:
        """A plan's actions as Dockerfile steps: apt and commands alone, file writes as COPY then chown/chmod."""
        origin = (f"{task.origin} {task.name}",)
        if module.name in APT_MODULES:
            return [RunStep(tuple(apt_lines(plan)), origin, alone=True)]
        if module.name in COMMAND_MODULES:
            return [RunStep((guarded_line(params, plan),), origin, alone=True)]
        steps: list[Step] = []
        commands: list[str] = []
        for action in plan.actions:
            if module.name == "apt_repository" and isinstance(action, RunCommand) and "update" in action.argv:
                continue  # every apt step of an image refreshes the lists itself, then cleans them
            if isinstance(action, PutFile):
                if commands:
                    steps.append(RunStep(tuple(commands), origin))
                    commands = []
                steps.append(CopyStep(self.out.context_file(action), action.path, origin))
                if action.owner is not None or action.group is not None:
                    owner = action.owner or ""
                    spec = f"{owner}:{action.group}" if action.group is not None else owner
                    commands.append(shlex.join(("chown", "-h", "--", spec, action.path)))
                if action.mode is not None:
                    commands.append(shlex.join(("chmod", "--", action.mode, action.path)))
                if action.validate is not None:  # a file that fails it fails the build: no image holds it
                    words = validate_words(action.validate)
                    commands.append(shlex.join(word.replace(VALIDATE_MARK, action.path) for word in words))
            else:
                commands.append(command_line(action))
        if commands:
            steps.append(RunStep(tuple(commands), origin))
        return steps


def with_run_environment(step: Step, environment: Mapping[str, str]) -> Step:
    """A RUN step whose lines run with the task's `environment:` exported (each line a `sh -c` under `env`)."""
    if not environment or not isinstance(step, RunStep):
        return step
    lines = tuple(shlex.join(with_environment(["sh", "-c", line], environment)) for line in step.lines)
    return RunStep(lines, step.origins, step.alone)
