"""Unified diffs of a resource's text, as `--diff` and drift reports show them."""

from __future__ import annotations

import difflib


def unified_diff(resource: str, before: str, after: str, labels: tuple[str, str] = ("before", "after")) -> str:
    """A unified diff of one resource's text; every line ends with a newline."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{labels[0]}: {resource}",
        tofile=f"{labels[1]}: {resource}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
