"""The HTML report in headless Chromium: its DOM has the rows, charts and bars the scorecard holds, it fetches
nothing, logs no error, and a hostile host name stays text. Needs Chromium (scripts/install --test): no skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployctl.scorecard.html import chartable, render_html
from deployctl.scorecard.model import Scorecard
from deployctl.scorecard.svg import MIN_BAR
from deployctl.scorecard.units import is_numeric
from tests.unit.scorecard.chromium import PageLoad, load_page
from tests.unit.scorecard.conftest import load_card

QUERIES = {
    "rows": "Array.from(document.querySelectorAll('#scorecard tr.claim')).map(tr => tr.id)",
    "cells": "Array.from(document.querySelectorAll('#scorecard tr.claim')).map(tr => tr.cells.length)",
    "charts": """Object.fromEntries(Array.from(document.querySelectorAll('figure.chart')).map(f => [f.id,
        Array.from(f.querySelectorAll('svg')).map(s => s.querySelectorAll('rect.bar').length)]))""",
    "widths": """Object.fromEntries(Array.from(document.querySelectorAll('figure.chart')).map(f => [f.id,
        Array.from(f.querySelectorAll('rect.bar')).map(r => r.getBBox().width)]))""",
    "parity": "Array.from(document.querySelectorAll('#parity tbody tr')).map(tr => tr.cells.length)",
    "scripts": "document.scripts.length",
    "text": "document.body.innerText",
    "stage": "document.getElementById('stage').textContent",
}


def _load(tmp_path: Path, card: Scorecard, name: str = "report.html") -> tuple[Path, PageLoad]:
    page = tmp_path / name
    page.write_text(render_html(card), encoding="utf-8")
    return page, load_page(page, QUERIES)


def _nothing_fetched_nothing_logged(page: Path, load: PageLoad) -> None:
    assert load.requests == [page.as_uri()], "the page asked for something besides itself"
    assert load.failed_requests == []
    assert load.errors == []


@pytest.fixture(scope="module")
def lab_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, PageLoad]:
    """The lab's scorecard, loaded once for the tests that read it."""
    return _load(tmp_path_factory.mktemp("scorecard"), load_card("lab-webapp"))


def test_the_lab_scorecard_renders_with_its_rows_charts_and_bars(lab_page: tuple[Path, PageLoad]) -> None:
    card = load_card("lab-webapp")
    page, load = lab_page
    _nothing_fetched_nothing_logged(page, load)
    answers = load.answers
    assert answers["rows"] == [f"row-{row.key}" for row in card.rows]
    assert set(answers["cells"]) == {5}
    expected = {
        f"chart-{row.key}": [sum(1 for f in (row.mutable, row.immutable) if is_numeric(f))]
        for row in card.rows
        if chartable(row)
    }
    expected |= {f"series-{s.key}": [sum(len(points) for points in s.points.values())] for s in card.series}
    assert answers["charts"] == expected
    stages = {stage for row in card.parity for stage in row.values}
    assert answers["parity"] == [len(stages) + 4] * len(card.parity)
    assert answers["scripts"] == 0
    for row in card.rows:
        assert row.claim in answers["text"]


def test_the_drawn_bars_keep_the_ratio_of_the_figures(lab_page: tuple[Path, PageLoad]) -> None:
    card = load_card("lab-webapp")
    _, load = lab_page
    checked = 0
    for row in card.rows:
        widths = load.answers["widths"].get(f"chart-{row.key}", [])
        if len(widths) == 2 and min(widths) > MIN_BAR and row.mutable.value and row.immutable.value:
            assert widths[0] / widths[1] == pytest.approx(row.mutable.value / row.immutable.value, rel=0.02)
            checked += 1
    assert checked >= 2


def test_a_hostile_host_name_shows_as_text_in_the_browser(tmp_path: Path) -> None:
    card = load_card("hostile")
    page, load = _load(tmp_path, card)
    _nothing_fetched_nothing_logged(page, load)
    assert load.answers["scripts"] == 0
    assert "<script" not in load.dom.split("</style>", 1)[1]
    assert "<script>alert('claim')</script>" in load.answers["text"]
    assert "<b>bold</b>" in load.answers["text"]
    assert load.answers["charts"]["series-deploy.per_target"] == [2]


def test_the_check_sees_a_page_that_fetches_or_errs(tmp_path: Path) -> None:
    """The checks above can fail: the same report with an external image added is caught."""
    page = tmp_path / "fetching.html"
    html = render_html(load_card("lab-webapp")).replace("</body>", '<img src="http://deployctl.invalid/x.png"></body>')
    page.write_text(html, encoding="utf-8")
    load = load_page(page, {})
    assert "http://deployctl.invalid/x.png" in load.requests, "an external image went unnoticed"
    assert load.errors, "the page's policy refused the image, and that refusal is logged"
