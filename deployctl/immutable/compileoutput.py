"""What compiling a play produces as it goes: Dockerfile steps, context files, deploy-time files, and the
notes on what the image lacks or what the container runtime replaces; the errors that stop it."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from deployctl.errors import DeployctlError
from deployctl.immutable.dockerfile import Step
from deployctl.immutable.recipe import RuntimeTemplate
from deployctl.model.playbook import Task
from deployctl.modules.base import PutFile

CONTEXT_FILES = "files"
"""The build context's folder of the files COPY takes."""


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


def task_error(task: Task, problem: str, field_name: str | None = None) -> CompileError:
    """A CompileError located at the task's line (or its field's)."""
    line = task.line_of(field_name) if field_name else task.origin.line
    return CompileError(f"{task.origin.source}:{line}: {task.name}: {problem}")


def joined_names(names: set[str]) -> str:
    """Variable names as a report lists them: sorted, comma-separated."""
    return ", ".join(sorted(names))


def stage_specific_reason(specific: Mapping[str, set[str]]) -> str:
    """Why a task's values are not baked: which arguments read which stage-specific variables."""
    what = "; ".join(f"{key} reads {joined_names(names)}" for key, names in sorted(specific.items()))
    return f"stage-specific ({what}): these values differ between stages and the image is the same for every stage"


@dataclass
class CompileOutput:
    """The parts of a build recipe so far, in task order."""

    steps: list[Step] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    runtime: list[RuntimeTemplate] = field(default_factory=list)
    not_baked: list[TaskNote] = field(default_factory=list)
    replaced: list[TaskNote] = field(default_factory=list)

    def note(self, task: Task, reason: str, *, replaced: bool = False) -> None:
        """Report a task the image lacks (or, `replaced`, one the container runtime stands in for)."""
        (self.replaced if replaced else self.not_baked).append(TaskNote(task.name, str(task.origin), reason))

    def context_file(self, action: PutFile) -> str:
        """The context path of a file to COPY: named by its content, so equal files share one."""
        digest = hashlib.sha256(action.content).hexdigest()[:16]
        name = f"{CONTEXT_FILES}/{digest}/{posixpath.basename(action.path) or 'file'}"
        self.files[name] = action.content
        return name
