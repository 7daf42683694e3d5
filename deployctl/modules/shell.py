"""shell: run a command string with /bin/sh (see deployctl.modules.command for the shared rules)."""

from __future__ import annotations

from deployctl.modules import command
from deployctl.modules.base import Module

SHELL = Module(
    name="shell",
    params=command.SHELL_PARAMS,
    facts=command.command_facts,
    plan=command.plan_shell,
    free_form="cmd",
    doc=command.__doc__ or "",
)
