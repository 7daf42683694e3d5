"""The HTML report as text: self-contained, everything from a host escaped, a chart per figure pair and series."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from deployctl.scorecard.html import chartable, ratio_text, render_html, row_bars, series_bars
from deployctl.scorecard.model import Scorecard
from tests.unit.scorecard.conftest import load_card

FETCHING = re.compile(r"https?:|\bsrc\s*=|\bhref\s*=|url\(|@import|<link|<script|<iframe|<object|<embed", re.I)


class _Elements(HTMLParser):
    """Start tags with their attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Elements:
    elements = _Elements()
    elements.feed(page)
    return elements


@pytest.mark.parametrize("name", ["lab-webapp", "unmeasured", "empty", "hostile"])
def test_the_page_fetches_nothing_and_runs_nothing(name: str) -> None:
    page = render_html(load_card(name))
    without_policy = page.replace('http-equiv="Content-Security-Policy"', "")
    assert not FETCHING.findall(without_policy)
    assert "default-src 'none'" in page
    assert all(tag not in ("script", "link", "img", "iframe") for tag, _ in _parse(page).tags)


def test_host_text_is_shown_as_text_never_as_markup() -> None:
    page = render_html(load_card("hostile"))
    elements = _parse(page)
    assert {tag for tag, _ in elements.tags} <= {
        *("html", "head", "meta", "title", "style", "body", "h1", "h2", "span", "dl", "dt", "dd", "time"),
        *("table", "thead", "tbody", "tr", "th", "td", "ul", "li", "p", "figure", "figcaption", "div"),
        *("svg", "text", "rect", "line"),
    }
    text = "".join(elements.text)
    for shown in ("<script>alert('host')</script>", "<script>alert(2)</script>", "<b>bold</b>", "a&amp;b", "<em>"):
        assert shown in text
    assert "a&b\"c'd" in text


def test_the_page_has_a_row_per_claim_a_chart_per_numeric_row_and_per_series(lab_card: Scorecard) -> None:
    elements = _parse(render_html(lab_card))
    ids = [attrs.get("id") or "" for _, attrs in elements.tags]
    assert [i for i in ids if i.startswith("row-") and i != "row-charts"] == [f"row-{r.key}" for r in lab_card.rows]
    assert [i for i in ids if i.startswith("chart-")] == [f"chart-{r.key}" for r in lab_card.rows if chartable(r)]
    assert [i for i in ids if i.startswith("series-") and i != "series-charts"] == [
        f"series-{s.key}" for s in lab_card.series
    ]
    assert sum(1 for tag, _ in elements.tags if tag == "svg") == len([r for r in lab_card.rows if chartable(r)]) + len(
        lab_card.series
    )


def test_each_figure_s_method_and_the_header_are_on_the_page(lab_card: Scorecard) -> None:
    text = "".join(_parse(render_html(lab_card)).text)
    for row in lab_card.rows:
        assert row.mutable.method in text and row.immutable.method in text
    for series in lab_card.series:
        assert series.method in text
    for part in (lab_card.stage, lab_card.from_release, lab_card.to_release, lab_card.started_at, lab_card.machine):
        assert part in text
    assert "not measured: cgroup v1 on this host" in text


def test_the_parity_matrix_has_a_cell_per_fact_and_stage_coloured_by_verdict(lab_card: Scorecard) -> None:
    elements = _parse(render_html(lab_card))
    rows = [attrs["class"] for tag, attrs in elements.tags if tag == "tr" and "parity" in (attrs.get("class") or "")]
    assert rows == [
        "parity identical",
        "parity accident",
        "parity design",
        "parity design",
        "parity identical",
    ]
    odd = [attrs for tag, attrs in elements.tags if tag == "td" and attrs.get("class") == "accident odd"]
    assert len(odd) == 1
    assert "2 identical, 2 differ by design, 1 differs by accident" in "".join(elements.text)


def test_a_row_s_bars_and_a_series_bars() -> None:
    card = load_card("unmeasured")
    assert not chartable(card.rows[0])
    assert chartable(card.rows[1])
    assert [(b.css, b.value) for b in row_bars(card.rows[1])] == [("mutable", 0), ("immutable", None)]
    series = load_card("lab-webapp").series[0]
    assert [(b.group, b.label) for b in series_bars(series)] == [
        ("mutable (VMs)", "qa-vm1"),
        ("mutable (VMs)", "qa-vm2"),
        ("immutable (containers)", "webapp-qa-1"),
        ("immutable (containers)", "webapp-qa-2"),
    ]


@pytest.mark.parametrize(
    ("mutable", "immutable", "expected"),
    [
        (48.31, 0.734, "mutable is 65.8\u00d7 immutable"),
        (1.0, 4.0, "immutable is 4\u00d7 mutable"),
        (3.0, 0.0, ""),
        (None, 1.0, ""),
    ],
)
def test_the_ratio_is_said_only_between_positive_figures(
    mutable: float | None, immutable: float | None, expected: str
) -> None:
    assert ratio_text(mutable, immutable) == expected
