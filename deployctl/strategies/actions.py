"""Turn a plan's actions into as few remote commands as possible (pure).

Consecutive commands and small file writes of one task become one `sh -c` script with `set -e`, so a
changed task usually costs one round trip. Values reach the script as quoted words or base64 text,
never pasted unquoted. Large files are written on their own, through stdin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from deployctl.modules.base import Action, PutFile, RunCommand
from deployctl.transport.base import put_command, render_command

INLINE_LIMIT = 64 * 1024
"""Largest file written inline (base64 inside the script); larger ones go through stdin."""


@dataclass(frozen=True)
class Step:
    """One remote command of a task, with optional stdin."""

    command: tuple[str, ...]
    stdin: bytes | None = None


def _put_command(action: PutFile, *, inline: bool) -> list[str]:
    content = action.content if inline else None
    return put_command(
        action.path, action.mode, owner=action.owner, group=action.group, content=content, validate=action.validate
    )


def _script_line(action: Action) -> str:
    words = action.argv if isinstance(action, RunCommand) else _put_command(action, inline=True)
    return render_command(words)


def compose_steps(actions: Sequence[Action]) -> list[Step]:
    """Group actions into steps: runs of commands and small puts share one `set -e` script."""
    steps: list[Step] = []
    group: list[Action] = []

    def flush() -> None:
        if len(group) == 1 and isinstance(group[0], RunCommand):
            steps.append(Step(tuple(group[0].argv)))
        elif group:
            steps.append(Step(("sh", "-c", "set -e\n" + "\n".join(_script_line(a) for a in group))))
        group.clear()

    for action in actions:
        if isinstance(action, RunCommand) and action.stdin is not None:
            flush()
            steps.append(Step(tuple(action.argv), action.stdin))
        elif isinstance(action, PutFile) and len(action.content) > INLINE_LIMIT:
            flush()
            steps.append(Step(tuple(_put_command(action, inline=False)), action.content))
        else:
            group.append(action)
    flush()
    return steps
