"""The scorecard as a plain-text table for the terminal: one row per claim, its details, the parity summary (pure)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from deployctl.scorecard.model import ParityRow, Scorecard, ScoreRow
from deployctl.scorecard.units import format_figure, format_value

COLUMNS = ("CLAIM", "MEASURE", "MUTABLE (VMs)", "IMMUTABLE (containers)", "NOTE")
WIDTHS = (34, 26, 22, 22, 30)
"""The widest each column grows before its text wraps; a narrower column takes only what its cells need."""
GAP = "  "


def printable(text: str) -> str:
    """Text safe for a terminal: control characters (escape sequences a host could send) shown as escapes."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(printable(text), width, break_long_words=True, break_on_hyphens=False) or [""]


def _cells(row: ScoreRow) -> list[str]:
    return [row.claim, row.measure, format_figure(row.mutable), format_figure(row.immutable), row.note]


def _widths(rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column as wide as its widest word-wrapped cell or header, at most its limit."""
    widths = []
    for index, (header, limit) in enumerate(zip(COLUMNS, WIDTHS, strict=True)):
        longest = max((len(line) for row in rows for line in _wrap(row[index], limit)), default=0)
        widths.append(max(len(header), longest))
    return widths


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return GAP.join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _row_lines(cells: Sequence[str], widths: Sequence[int]) -> list[str]:
    wrapped = [_wrap(cell, width) for cell, width in zip(cells, widths, strict=True)]
    height = max(len(lines) for lines in wrapped)
    return [_line([lines[i] if i < len(lines) else "" for lines in wrapped], widths) for i in range(height)]


def _detail_lines(row: ScoreRow) -> list[str]:
    """What stands behind a figure (a rollback's residue, a scan's drift items), listed under its row."""
    lines = []
    for strategy, figure in (("mutable", row.mutable), ("immutable", row.immutable)):
        lines += [f"    {strategy}: {printable(item)}" for item in figure.detail]
    return lines


def _header(card: Scorecard) -> str:
    return printable(
        f"deployctl compare: stage {card.stage}, release {card.from_release} -> {card.to_release}, "
        f"started {card.started_at}, took {format_value(card.duration_s, 's')}; measured on {card.machine}"
    )


def verdict_summary(parity: Sequence[ParityRow]) -> str:
    """The parity rows counted by verdict: "3 identical, 1 differs by design, 0 differ by accident"."""
    counts = {verdict: 0 for verdict in ("identical", "differs by design", "differs by accident")}
    for row in parity:
        counts[row.verdict] += 1
    design, accident = counts["differs by design"], counts["differs by accident"]
    return (
        f"{counts['identical']} identical, {design} {_differ(design)} by design, "
        f"{accident} {_differ(accident)} by accident"
    )


def _differ(count: int) -> str:
    return "differs" if count == 1 else "differ"


def stages_of(parity: Sequence[ParityRow]) -> list[str]:
    """The stages the parity rows name, in the order they first appear."""
    stages: list[str] = []
    for row in parity:
        stages += [stage for stage in row.values if stage not in stages]
    return stages


def parity_lines(parity: Sequence[ParityRow]) -> list[str]:
    """The parity summary: counts by verdict, then each fact that differs by accident with its values."""
    if not parity:
        return ["parity across stages: no fact compared"]
    lines = [printable(f"parity across stages ({', '.join(stages_of(parity))}): {verdict_summary(parity)}")]
    for row in parity:
        if row.verdict == "differs by accident":
            values = ", ".join(f"{stage} {value}" for stage, value in row.values.items())
            reason = f" ({row.reason})" if row.reason else ""
            lines.append(printable(f"  by accident: {row.fact} [{row.strategy}]: {values}{reason}"))
    return lines


def render_table(card: Scorecard) -> str:
    """The scorecard for a terminal: a header, one row per claim with its details under it, the parity summary."""
    cells = [_cells(row) for row in card.rows]
    widths = _widths(cells)
    lines = [_header(card), "", _line(COLUMNS, widths)]
    for row, row_cells in zip(card.rows, cells, strict=True):
        lines += _row_lines(row_cells, widths) + _detail_lines(row)
    if not card.rows:
        lines.append("(no claim measured)")
    return "\n".join([*lines, "", *parity_lines(card.parity)]) + "\n"
