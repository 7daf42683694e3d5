"""Figures as people read them: each unit scaled to what reads well."""

from __future__ import annotations

import pytest

from deployctl.scorecard.model import Figure
from deployctl.scorecard.units import format_figure, format_value, is_numeric


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (48.31, "s", "48.3 s"),
        (6.92, "s", "6.92 s"),
        (0.734, "s", "734 ms"),
        (0.0004, "s", "0.4 ms"),
        (0, "s", "0 s"),
        (151.8, "s", "2 min 32 s"),
        (119.6, "s", "120 s"),
        (3725, "s", "62 min 05 s"),
        (850, "ms", "850 ms"),
        (0.35, "ms", "0.35 ms"),
        (2500, "ms", "2.50 s"),
        (1_392_508_928, "bytes", "1.30 GiB"),
        (12_845_056, "bytes", "12.2 MiB"),
        (48_234_496, "bytes", "46 MiB"),
        (4096, "bytes", "4 KiB"),
        (512, "bytes", "512 B"),
        (0, "bytes", "0 B"),
        (3, "count", "3"),
        (12345, "count", "12,345"),
        (2.5, "count", "2.5"),
        (99.5, "%", "99.5 %"),
        (7, "requests/s", "7 requests/s"),
        (float("nan"), "s", "nan s"),
    ],
)
def test_a_value_is_shown_in_its_unit(value: float, unit: str, expected: str) -> None:
    assert format_value(value, unit) == expected


def test_a_figure_not_measured_says_why() -> None:
    assert format_figure(Figure(None, "s", "m", unmeasured="no replica")) == "not measured: no replica"
    assert format_figure(Figure(None, "s", "m")) == "not measured: no reason given"
    assert format_figure(Figure(0.5, "s", "m")) == "500 ms"


def test_only_finite_values_are_numeric() -> None:
    assert is_numeric(Figure(0, "s", "m"))
    assert not is_numeric(Figure(None, "s", "m", unmeasured="x"))
    assert not is_numeric(Figure(float("inf"), "s", "m"))
