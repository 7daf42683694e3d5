"""Turn a plan's actions into as few remote commands as possible (pure).

Consecutive commands and small file writes of one task become one `sh -c` script with `set -e`, so a
changed task usually costs one round trip. Values reach the script as quoted words or base64 text,
never pasted unquoted. Large files are written on their own, through stdin.
"""

from __future__ import annotations

import base64
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


def _inline_put(action: PutFile) -> str:
    encoded = base64.b64encode(action.content).decode()
    words = [action.path, encoded, action.mode or ""]
    script = (
        'tmp="$(dirname -- "$1")/.deployctl.$$.tmp"; printf %s "$2" | base64 -d > "$tmp"; '
        'if [ -n "$3" ]; then chmod "$3" "$tmp"; fi; mv -f -- "$tmp" "$1"'
    )
    return render_command(["sh", "-c", script, "deployctl-put", *words])


def _script_line(action: Action) -> str:
    return render_command(action.argv) if isinstance(action, RunCommand) else _inline_put(action)


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
            steps.append(Step(tuple(put_command(action.path, action.mode)), action.content))
        else:
            group.append(action)
    flush()
    return steps
