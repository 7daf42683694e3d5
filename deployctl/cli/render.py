"""Rendering for the CLI: Rich tables on stdout, progress on stderr, JSON when asked (NO_COLOR respected)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

PIPE_WIDTH = 160
"""Width of tables when stdout is not a terminal (logs, CI): wide enough that rows stay on one line."""

stdout = Console(highlight=False, soft_wrap=True)
if not stdout.is_terminal:
    stdout = Console(highlight=False, soft_wrap=True, width=PIPE_WIDTH)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    """How a reporting command prints its result."""

    table = "table"
    json = "json"


def say(message: str) -> None:
    """A progress line, on stderr so that stdout stays the command's result."""
    stderr.print(message, markup=False)


def print_json(payload: Any) -> None:
    """The result as JSON on stdout (plain text, no colour, one document)."""
    stdout.out(json.dumps(payload, indent=2, sort_keys=False, default=str), highlight=False)


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Rich table on stdout; plain text without colour when stdout is not a terminal or NO_COLOR is set."""
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
