"""Horizontal bar charts as inline SVG, for the HTML report: linear scale from zero, every label escaped (pure)."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

CHART_WIDTH = 640
LABEL_WIDTH = 160
"""Room for the bar's label, left of the bars."""
VALUE_WIDTH = 140
"""Room for the value's text, right of the longest bar."""
ROW_HEIGHT = 24
BAR_HEIGHT = 16
MIN_BAR = 1.0
"""A positive value is drawn at least this wide, however small against the largest: it was measured, not zero."""
LABEL_CHARS = 24
"""Labels longer than this are cut with an ellipsis; the whole label stays in the bar's tooltip."""


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None: not measured, drawn as text only), the value as read, its class."""

    label: str
    value: float | None
    text: str
    css: str
    group: str = ""
    """Bars of one group are drawn under a heading naming it (e.g. the strategy of a series' targets)."""


def esc(text: object) -> str:
    """Text and attribute values escaped for HTML and SVG alike."""
    return html.escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}"


def drawable(value: float | None) -> bool:
    """Whether a bar has a length to draw: a finite value (zero and negatives draw as a zero-length bar)."""
    return value is not None and math.isfinite(value)


def scale_max(values: Sequence[float | None]) -> float:
    """The value the full bar width stands for: the largest finite positive value, 0.0 when there is none."""
    return max((v for v in values if v is not None and math.isfinite(v) and v > 0), default=0.0)


def bar_length(value: float | None, maximum: float, area: float) -> float:
    """The bar's length on a linear scale from zero; at least MIN_BAR for any positive value."""
    if value is None or not math.isfinite(value) or value <= 0 or maximum <= 0:
        return 0.0
    return max(area * value / maximum, MIN_BAR)


def fit_label(text: str, chars: int = LABEL_CHARS) -> str:
    """The label cut to `chars` characters, the cut marked with an ellipsis."""
    return text if len(text) <= chars else text[: chars - 1] + "\u2026"


def headings(bars: Sequence[Bar]) -> int:
    """How many group headings the chart draws: one wherever a named group starts."""
    starts = 0
    previous = ""
    for bar in bars:
        if bar.group and bar.group != previous:
            starts += 1
        previous = bar.group or previous
    return starts


def chart_height(bars: Sequence[Bar]) -> int:
    """Rows for the bars and for each group's heading, and a margin."""
    return (len(bars) + headings(bars)) * ROW_HEIGHT + 8


def _bar_row(bar: Bar, y: float, maximum: float, area: float) -> str:
    middle = _num(y + ROW_HEIGHT / 2 + 4)
    label = (
        f'<text class="label" x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end">{esc(fit_label(bar.label))}</text>'
    )
    tooltip = f"<title>{esc(bar.label)}: {esc(bar.text)}</title>"
    if not drawable(bar.value):
        text = f'<text class="value unmeasured" x="{LABEL_WIDTH + 4}" y="{middle}">{esc(bar.text)}{tooltip}</text>'
        return label + text
    length = bar_length(bar.value, maximum, area)
    rect = (
        f'<rect class="bar {esc(bar.css)}" x="{LABEL_WIDTH}" y="{_num(y + (ROW_HEIGHT - BAR_HEIGHT) / 2)}" '
        f'width="{_num(length)}" height="{BAR_HEIGHT}">{tooltip}</rect>'
    )
    text = f'<text class="value" x="{_num(LABEL_WIDTH + length + 6)}" y="{middle}">{esc(bar.text)}</text>'
    return label + rect + text


def bar_chart(bars: Sequence[Bar], title: str, width: int = CHART_WIDTH) -> str:
    """A horizontal bar chart: one row per bar on one linear scale, grouped under headings where bars say so."""
    area = width - LABEL_WIDTH - VALUE_WIDTH
    maximum = scale_max([bar.value for bar in bars])
    height = chart_height(bars)
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>'
    ]
    y = 4.0
    group = ""
    for bar in bars:
        if bar.group and bar.group != group:
            group = bar.group
            parts.append(f'<text class="group" x="0" y="{_num(y + ROW_HEIGHT / 2 + 4)}">{esc(group)}</text>')
            y += ROW_HEIGHT
        parts.append(_bar_row(bar, y, maximum, area))
        y += ROW_HEIGHT
    parts.append(f'<line class="axis" x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}"/></svg>')
    return "".join(parts)
