"""Figures as people read them: seconds, milliseconds, bytes in binary units, counts (pure)."""

from __future__ import annotations

import math

from deployctl.scorecard.model import Figure

_BINARY = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))


def plain_number(value: float) -> str:
    """Three significant figures below 100, whole numbers above (1.23, 12.3, 123, 1,234)."""
    size = abs(value)
    if size >= 100 or value == int(value):
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _seconds(value: float) -> str:
    if value != 0 and abs(value) < 1:
        return f"{plain_number(value * 1000)} ms"
    if abs(value) >= 120:
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes} min {seconds:02d} s"
    return f"{plain_number(value)} s"


def _milliseconds(value: float) -> str:
    if abs(value) >= 1000:
        return _seconds(value / 1000)
    return f"{plain_number(value)} ms"


def _bytes(value: float) -> str:
    for name, size in _BINARY:
        if abs(value) >= size:
            return f"{plain_number(value / size)} {name}"
    return f"{value:,.0f} B"


def _count(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


_BY_UNIT = {"s": _seconds, "ms": _milliseconds, "bytes": _bytes, "B": _bytes, "count": _count}


def format_value(value: float, unit: str) -> str:
    """A number in its unit, scaled to what reads well: 0.35 s -> "350 ms", 3221225472 bytes -> "3 GiB"."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} {unit}".strip()
    render = _BY_UNIT.get(unit)
    if render is not None:
        return render(value)
    return f"{plain_number(value)} {unit}".strip()


def format_figure(figure: Figure) -> str:
    """The figure's value in its unit, or "not measured: <why>"."""
    if figure.value is None:
        return f"not measured: {figure.unmeasured or 'no reason given'}"
    return format_value(figure.value, figure.unit)


def is_numeric(figure: Figure) -> bool:
    """Whether the figure has a finite value that a chart can draw."""
    return figure.value is not None and math.isfinite(figure.value)
