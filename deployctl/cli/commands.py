"""Every command by name, with its one-line help: `--help` lists them all; only the command that runs is imported.

A command's module imports what it needs (the playbook loader, paramiko, the Docker SDK, the ledger): loading
all of them to print the root's help or the version would cost most of a second.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # Typer's own Click, which its groups are made of
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class CommandEntry:
    """A command: the module of deployctl.cli that implements it, the function or sub-app, and its one-line help."""

    module: str
    attribute: str
    help: str


COMMANDS: dict[str, CommandEntry] = {
    "inventory": CommandEntry(
        "inventory",
        "show_inventory",
        "Hosts of the stage inventories with their groups and resolved SSH endpoints (validates every file).",
    ),
    "ping": CommandEntry(
        "inventory", "ping", "Reach every host over SSH: log in, check sudo and python3 (like Ansible's ping)."
    ),
    "apply": CommandEntry(
        "apply", "apply", "Apply a playbook to a stage's hosts in place over SSH (the mutable strategy)."
    ),
    "lint": CommandEntry(
        "lint",
        "lint",
        "List every unsupported keyword, module or invalid value in a playbook, role or folder, with file and line.",
    ),
    "deploy": CommandEntry(
        "deploy",
        "deploy",
        "Deploy a release to the stage: its VMs in place over SSH, its containers rolled to the release's image.",
    ),
    "rollback": CommandEntry(
        "deploy",
        "rollback",
        "Return the stage's containers to the previous release (or `--to` one): the image is local, it takes seconds.",
    ),
    "verify": CommandEntry(
        "verify",
        "verify",
        "Run tests/infra/ on every host of the stage (SSH for VMs, Docker for containers) and record the result.",
    ),
    "promote": CommandEntry(
        "promote",
        "promote",
        "Promote the release current in the previous stage (pipeline order from deployctl.yml) to STAGE.",
    ),
    "status": CommandEntry(
        "status",
        "status",
        "Per stage (pipeline order): the current release, when, by which strategy, verified or not, drift or not.",
    ),
    "history": CommandEntry(
        "history",
        "history",
        "Everything that happened to the stages, oldest first: apply, deploy, promote (and refusals), rollback, "
        "verify.",
    ),
    "compare": CommandEntry(
        "compare",
        "app",
        "The mutable-versus-immutable scorecard of a stage's next release, measured on the lab.",
    ),
    "lab": CommandEntry("lab", "app", "The lab fleet: bring it up, see it, take it down."),
    "drift": CommandEntry("drift", "app", "Drift of VMs and containers from their release, and between stages."),
    "release": CommandEntry(
        "release",
        "app",
        "Releases: content-hashed snapshots of a playbook, its files and variables, with their images.",
    ),
    "lock": CommandEntry("lock", "app", "Stage locks: break one whose holder is gone."),
}
"""In the order `--help` lists them."""


def _no_options() -> None:
    """The callback of the one-command group a command is built in (it makes Typer build a group)."""


def load_command(name: str) -> click.Command:
    """Import the module of the command `name` and build its Click command, as Typer builds it for an app."""
    entry = COMMANDS[name]
    implementation = getattr(importlib.import_module(f"deployctl.cli.{entry.module}"), entry.attribute)
    resume_collection()
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    holder.callback()(_no_options)
    if isinstance(implementation, typer.Typer):
        holder.add_typer(implementation, name=name)
    else:
        holder.command(name)(implementation)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    command = group.commands[name]
    _whole_summaries(command)
    return command


def resume_collection() -> None:
    """End of start-up: when main() paused cyclic garbage collection for the imports, freeze what they made (it
    lives as long as the process: no collection scans it again) and collect again from here on."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _whole_summaries(command: click.Command) -> None:
    """Give a group's subcommands their whole first paragraph as one-line help (Click cuts it at 45 characters)."""
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            if sub.short_help is None and sub.help:
                sub.short_help = " ".join(sub.help.split("\n\n")[0].split())
            _whole_summaries(sub)


class CommandsOnUse(MutableMapping[str, click.Command]):
    """Every command of COMMANDS by name; a command is built (its module imported) when it is first looked up."""

    def __init__(self) -> None:
        self.built: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self.built:
            if name not in COMMANDS:
                raise KeyError(name)
            self.built[name] = load_command(name)
        return self.built[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.built[name] = command

    def __delitem__(self, name: str) -> None:
        del self.built[name]

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self.built

    def __iter__(self) -> Iterator[str]:
        return iter({**dict.fromkeys(COMMANDS), **dict.fromkeys(self.built)})

    def __len__(self) -> int:
        return len(set(COMMANDS) | set(self.built))


class LazyCommands(TyperGroup):
    """The root group: every command of COMMANDS by name (typos get suggestions), each imported only when it runs.

    The root's help lists the one-line helps of COMMANDS, without importing any command.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = CommandsOnUse()
        self.listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if self.listing and cmd_name in COMMANDS:
            return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name].help)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False
