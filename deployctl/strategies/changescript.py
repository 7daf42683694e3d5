"""Several tasks' changes in one script: each runs in order, the first failure stops the rest (pure).

The script prints, per change that ran, a record fenced by a random marker: the exit code of its last step,
then its stdout and stderr in base64 (the first OUTPUT_BYTES of each), so that each
change's result is parsed back exactly as if it had run alone. A step's stdin (a large file, a command's
input) is carried inside the script in base64 and piped to it; every other step reads /dev/null. The script
reaches the host through stdin, so its size is not bound by the command line's. Facts to read once every
change succeeded (`then`) follow the last change.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from deployctl.strategies.actions import Step
from deployctl.transport.base import render_command

OUTPUT_BYTES = 256 * 1024
"""At most this much of each stream of a change is sent back (the results keep less: outcome.OUTPUT_LIMIT)."""

RUNNER = ["sh", "-c", 'deployctl_batch=$(cat) && exec </dev/null && eval "$deployctl_batch"']
"""The command a batch runs with: reads the script from stdin whole, then runs it with stdin closed."""


@dataclass(frozen=True)
class BatchedChange:
    """One task's change: its steps (with their environment), and whether every step runs (command-like
    plans, whose last step gives the result) or the first failing step stops it."""

    steps: tuple[Step, ...]
    captures_output: bool = False


@dataclass(frozen=True)
class ChangeResult:
    """What one change of a batch gave: its last step's exit code and output (cut at OUTPUT_BYTES)."""

    exit_code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class ChangeScript:
    """A batch's script and how to split its output into each change's result and the facts' output."""

    script: str
    marker: str
    count: int

    def split(self, stdout: str) -> tuple[list[ChangeResult], str]:
        """The results of the changes that ran (in order; fewer when one failed or the batch was cut short),
        and the output after the last change (the facts read in the same script)."""
        results: list[ChangeResult] = []
        position = 0
        for index in range(self.count):
            head = f"\n{self.marker} {index} rc="
            start = stdout.find(head, position)
            end_mark = f"\n{self.marker} {index} end\n"
            end = stdout.find(end_mark, start + 1) if start >= 0 else -1
            if start < 0 or end < 0:
                break
            line_end = stdout.find("\n", start + len(head))
            exit_code = int(stdout[start + len(head) : line_end])
            fields = stdout[line_end + 1 : end].split("\n")
            if len(fields) != 2:
                break
            results.append(ChangeResult(exit_code, _decoded(fields[0]), _decoded(fields[1])))
            position = end + len(end_mark)
        after = stdout[position:] if len(results) == self.count else ""
        return results, after


def _decoded(text: str) -> str:
    try:
        return base64.b64decode(text.strip()).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""


def _step_line(step: Step) -> str:
    """One step writing its output to the batch's files; its stdin carried in base64, else /dev/null."""
    command = render_command(step.command)
    if step.stdin is None:
        return f'{command} >"$d/o" 2>"$d/e" </dev/null'
    encoded = base64.b64encode(step.stdin).decode()
    return f'printf %s \'{encoded}\' | base64 -d | {command} >"$d/o" 2>"$d/e"'


_PRELUDE = f"""d=$(mktemp -d) || exit 1
trap 'rm -rf -- "$d"' EXIT
deployctl_part() {{ head -c {OUTPUT_BYTES} "$1" | base64 | tr -d '\\n'; }}
deployctl_report() {{
  printf '\\n%s %s rc=%s\\n' "$M" "$1" "$2"
  deployctl_part "$d/o"; printf '\\n'; deployctl_part "$d/e"
  printf '\\n%s %s end\\n' "$M" "$1"
}}"""


def change_script(changes: Sequence[BatchedChange], then: str = "") -> ChangeScript:
    """The script that runs `changes` in order, stops after the first that fails, and runs `then` (a script
    of its own, e.g. a fact batch's) only when every change succeeded."""
    marker = f"::deployctl-change-{secrets.token_hex(8)}::"
    lines = [_PRELUDE, f"M='{marker}'"]
    for index, change in enumerate(changes):
        lines.append(': >"$d/o"; : >"$d/e"; rc=0')
        for step in change.steps:
            if change.captures_output:
                lines.append(f"rc=0; {_step_line(step)} || rc=$?")
            else:
                lines.append(f'if [ "$rc" -eq 0 ]; then {_step_line(step)} || rc=$?; fi')
        lines.append(f'deployctl_report {index} "$rc"')
        lines.append('[ "$rc" -eq 0 ] || exit 0')
    if then:
        lines.append(f"(\n{then}\n)")
    return ChangeScript("\n".join(lines) + "\n", marker, len(changes))
