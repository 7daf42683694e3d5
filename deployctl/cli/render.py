"""Rendering for the CLI: Rich tables on stdout, progress on stderr, JSON when asked (NO_COLOR respected)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console

PIPE_WIDTH = 160
"""Width of tables when stdout is not a terminal (logs, CI): wide enough that rows stay on one line."""


class _LazyConsole:
    """A Rich console made on first use, so that a command that prints only JSON never imports Rich (20 ms)."""

    def __init__(self, make: Callable[[], Console]) -> None:
        object.__setattr__(self, "_make", make)
        object.__setattr__(self, "_console", None)

    def _get(self) -> Console:
        console: Console | None = object.__getattribute__(self, "_console")
        if console is None:
            console = object.__getattribute__(self, "_make")()
            object.__setattr__(self, "_console", console)
        return console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._get(), name, value)

    def __enter__(self) -> Console:
        return self._get().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._get().__exit__(*exc)


def _stdout_console() -> Console:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    return console if console.is_terminal else Console(highlight=False, soft_wrap=True, width=PIPE_WIDTH)


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


stdout = cast("Console", _LazyConsole(_stdout_console))
stderr = cast("Console", _LazyConsole(_stderr_console))


class OutputFormat(StrEnum):
    """How a reporting command prints its result."""

    table = "table"
    json = "json"


def say(message: str) -> None:
    """A progress line, on stderr so that stdout stays the command's result."""
    stderr.print(message, markup=False)


def print_json(payload: Any) -> None:
    """The result as JSON on stdout (plain text, no colour, one document; written as is, without Rich)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Rich table on stdout; plain text without colour when stdout is not a terminal or NO_COLOR is set."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    stdout.print(table)


def human_duration(seconds: float | None) -> str:
    """1d 2h, 3h 4m, 5m 6s, 7s."""
    if seconds is None:
        return "-"
    total = int(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
