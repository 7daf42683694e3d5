"""ansible-core's rule for a loop that reads an undefined variable: the task's `when`, evaluated without the
loop variable, decides. False: the task is skipped on the host; true, or failing itself, the loop's error stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deployctl.model.playbook import Task
from deployctl.templating import Templar, TemplateError


def skips_undefined_loop(task: Task, templar: Templar, scope: Mapping[str, Any]) -> bool:
    """Whether the task is skipped where its loop read an undefined variable: a `when` that is false in `scope`."""
    try:
        return not all(templar.evaluate(condition, scope) for condition in task.when)
    except TemplateError:
        return False  # the loop's error takes precedence, as in ansible-core
