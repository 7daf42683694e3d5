"""The SVG bar charts: linear scale from zero, lengths proportional, zero and unmeasured values, escaping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from deployctl.scorecard.svg import (
    CHART_WIDTH,
    LABEL_WIDTH,
    MIN_BAR,
    ROW_HEIGHT,
    VALUE_WIDTH,
    Bar,
    bar_chart,
    bar_length,
    chart_height,
    fit_label,
    headings,
    scale_max,
)

CASES = Path(__file__).parent / "cases" / "svg"
AREA = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH


def _bars(case: dict[str, Any]) -> list[Bar]:
    return [Bar(**bar) for bar in case["bars"]]


@pytest.mark.parametrize("name", sorted(p.stem for p in CASES.glob("*.json")))
def test_a_chart_is_drawn_as_its_golden_svg(name: str) -> None:
    case = json.loads((CASES / f"{name}.json").read_text())
    assert bar_chart(_bars(case), case["title"]) == (CASES / f"{name}.svg").read_text().rstrip("\n")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([21.4, 6.92], 21.4),
        ([None, 3.0], 3.0),
        ([0, None], 0.0),
        ([], 0.0),
        ([-2.0, 1.0], 1.0),
        ([float("nan"), float("inf"), 2.5], 2.5),
        ([1e12, 1.0], 1e12),
    ],
)
def test_the_scale_is_the_largest_finite_positive_value(values: list[float | None], expected: float) -> None:
    assert scale_max(values) == expected


def test_bar_lengths_are_proportional_to_values_on_one_scale() -> None:
    values = [21.4, 10.7, 5.35, 2.675]
    lengths = [bar_length(v, scale_max(values), AREA) for v in values]
    assert lengths[0] == AREA
    for value, length in zip(values, lengths, strict=True):
        assert length / AREA == pytest.approx(value / values[0])


@pytest.mark.parametrize(
    ("value", "maximum", "expected"),
    [
        (None, 10.0, 0.0),
        (0, 10.0, 0.0),
        (-1.0, 10.0, 0.0),
        (5.0, 0.0, 0.0),
        (float("nan"), 10.0, 0.0),
        (10.0, 10.0, AREA),
        (1.0, 1e9, MIN_BAR),
    ],
)
def test_zero_unmeasured_and_tiny_values_have_lengths(value: float | None, maximum: float, expected: float) -> None:
    assert bar_length(value, maximum, AREA) == expected


def test_a_single_value_fills_the_area() -> None:
    assert bar_length(0.25, scale_max([0.25]), AREA) == AREA


def _rects(svg: str) -> list[ElementTree.Element]:
    return list(ElementTree.fromstring(svg).iter("rect"))  # noqa: S314 (our own output)


def test_the_drawn_widths_keep_the_ratio_of_the_values() -> None:
    bars = [Bar("a", 9.0, "9", "mutable"), Bar("b", 3.0, "3", "immutable"), Bar("c", 1.5, "1.5", "immutable")]
    widths = [float(rect.get("width", "")) for rect in _rects(bar_chart(bars, "t"))]
    assert widths == [pytest.approx(AREA), pytest.approx(AREA / 3, abs=0.05), pytest.approx(AREA / 6, abs=0.05)]


def test_a_huge_ratio_still_draws_the_small_bar_visibly() -> None:
    svg = bar_chart([Bar("vm", 1.4e9, "1.3 GiB", "mutable"), Bar("ct", 4096, "4 KiB", "immutable")], "t")
    assert [float(rect.get("width", "")) for rect in _rects(svg)] == [AREA, MIN_BAR]


def test_an_unmeasured_value_has_no_bar_and_says_so_while_zero_has_an_empty_bar() -> None:
    svg = bar_chart([Bar("vm", 0, "0 B", "mutable"), Bar("ct", None, "not measured: why", "immutable")], "t")
    rects = _rects(svg)
    assert [(r.get("class"), r.get("width")) for r in rects] == [("bar mutable", "0.0")]
    assert "not measured: why" in "".join(ElementTree.fromstring(svg).itertext())  # noqa: S314


def test_every_text_is_escaped_and_the_chart_parses() -> None:
    bars = [Bar("<script>alert(1)</script>", 1.0, "<b>1</b>", 'x" onload="y', group="<g>")]
    svg = bar_chart(bars, "<title>")
    assert "<script>" not in svg and "<b>" not in svg and 'onload="y' not in svg
    texts = "".join(ElementTree.fromstring(svg).itertext())  # noqa: S314
    assert "<script>alert(1)</script>" in texts and "<g>" in texts


def test_groups_get_one_heading_each_and_the_height_counts_them() -> None:
    bars = [Bar("a", 1, "1", "m", "m"), Bar("b", 1, "1", "m", "m"), Bar("c", 1, "1", "i", "i")]
    assert headings(bars) == 2
    assert chart_height(bars) == 5 * ROW_HEIGHT + 8
    assert headings([Bar("a", 1, "1", "m")]) == 0


def test_long_labels_are_cut_with_an_ellipsis() -> None:
    assert fit_label("qa-vm1") == "qa-vm1"
    assert fit_label("x" * 30, 10) == "x" * 9 + "\u2026"
