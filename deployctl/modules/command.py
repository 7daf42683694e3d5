"""command and shell: run a command on the host (always a change, unless a creates/removes guard says no).

As Ansible's modules:
- `command` runs `argv`, or the free-form string (`cmd`) split into words as a POSIX shell would
  (shlex), without a shell: no pipes, redirections or variables. `shell` runs the string with
  `/bin/sh -c` (or `executable -c`).
- `creates`: when the path (or glob) exists, nothing runs ("skipped, since X exists"); `removes`:
  when it does not exist, nothing runs. Relative guard paths are relative to `chdir`.
- `chdir` runs the command in that directory; `stdin` is fed to it, followed by a newline unless
  `stdin_add_newline: false`.
- The command's rc, stdout and stderr are the task's result (`captures_output`).
Differences: `command` does not expand `$VAR` or `~` in its words (Ansible's expand_argument_vars);
free-form `key=value` options inside the command string (`command: ls chdir=/tmp`) are the playbook
loader's business. Not supported (refused): strip_empty_ends, expand_argument_vars, warn.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from deployctl.facts.base import Fact
from deployctl.facts.files import PathExistsFact
from deployctl.modules.base import Module, Param, Plan, RunCommand, no_change
from deployctl.modules.planning import failed, join_path

_GUARD_PARAMS: Mapping[str, Param] = {
    "chdir": Param("path"),
    "creates": Param("path"),
    "removes": Param("path"),
    "stdin": Param("str"),
    "stdin_add_newline": Param("bool", default=True),
}

COMMAND_PARAMS: Mapping[str, Param] = {
    "cmd": Param("str", aliases=("_raw_params",)),
    "argv": Param("list"),
    **_GUARD_PARAMS,
}

SHELL_PARAMS: Mapping[str, Param] = {
    "cmd": Param("str", aliases=("_raw_params",)),
    "executable": Param("path"),
    **_GUARD_PARAMS,
}

CHDIR_SCRIPT = 'cd -- "$1" && shift && exec "$@"'
"""Runs "$@" in directory "$1": the directory and the words stay separate arguments, never shell text."""


def guard_path(params: Mapping[str, Any], name: str) -> str | None:
    """The `creates`/`removes` path as the host sees it (relative to `chdir` when relative)."""
    path: str | None = params.get(name)
    chdir: str | None = params.get("chdir")
    if path is None:
        return None
    if chdir and not path.startswith(("/", "~")):
        return join_path(chdir, path)
    return path


def command_facts(params: Mapping[str, Any]) -> Sequence[Fact[Any]]:
    """Whether the `creates` and `removes` paths exist."""
    paths = (guard_path(params, "creates"), guard_path(params, "removes"))
    return [PathExistsFact(path) for path in dict.fromkeys(paths) if path is not None]


def plan_command(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan running `argv` or the split free-form command, without a shell."""
    cmd: str | None = params.get("cmd")
    argv: list[str] | None = params.get("argv")
    if cmd is not None and argv:
        return failed("only command or argv can be given, not both")
    if argv:
        words = list(argv)
    else:
        try:
            words = shlex.split(cmd or "")
        except ValueError as exc:
            return failed(f"cannot split the command into words: {exc}")
    if not words:
        return failed("no command given")
    return _plan_run(params, facts, words, display=shlex.join(words))


def plan_shell(params: Mapping[str, Any], facts: Mapping[str, Any]) -> Plan:
    """Plan running the command string with /bin/sh -c (or `executable -c`)."""
    cmd: str | None = params.get("cmd")
    if not cmd or not cmd.strip():
        return failed("no command given")
    return _plan_run(params, facts, [params.get("executable") or "/bin/sh", "-c", cmd], display=cmd)


def _plan_run(params: Mapping[str, Any], facts: Mapping[str, Any], words: list[str], display: str) -> Plan:
    creates = guard_path(params, "creates")
    removes = guard_path(params, "removes")
    if creates is not None and facts[f"exists:{creates}"]:
        message = f"skipped, since {creates} exists"
        return no_change(message, cmd=display, rc=0, stdout=message, stderr="")
    if removes is not None and not facts[f"exists:{removes}"]:
        message = f"skipped, since {removes} does not exist"
        return no_change(message, cmd=display, rc=0, stdout=message, stderr="")
    chdir: str | None = params.get("chdir")
    argv = ["sh", "-c", CHDIR_SCRIPT, "sh", chdir, *words] if chdir else words
    stdin: str | None = params.get("stdin")
    data = None
    if stdin is not None:
        data = (stdin + ("\n" if params["stdin_add_newline"] else "")).encode("utf-8")
    return Plan(
        changed=True,
        summary=f"run {display}" + (f" in {chdir}" if chdir else ""),
        actions=(RunCommand(tuple(argv), stdin=data),),
        captures_output=True,
        result={"cmd": display},
        guarded=creates is not None or removes is not None,
    )


COMMAND = Module(
    name="command",
    params=COMMAND_PARAMS,
    facts=command_facts,
    plan=plan_command,
    free_form="cmd",
    doc=__doc__ or "",
)
