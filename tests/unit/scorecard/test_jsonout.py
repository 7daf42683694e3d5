"""The JSON output: every figure with its unit and method, refused when the measuring left one bare."""

from __future__ import annotations

import dataclasses
import json

import pytest

from deployctl.scorecard.jsonout import IncompleteScorecardError, figure_problems, render_json
from deployctl.scorecard.model import Figure, Scorecard, Series


def test_the_json_is_the_cards_own_and_reads_back(lab_card: Scorecard) -> None:
    data = json.loads(render_json(lab_card))
    assert data == lab_card.to_json()
    assert Scorecard.from_json(data) == lab_card


def test_every_figure_and_series_in_the_json_carries_unit_and_method(lab_card: Scorecard) -> None:
    data = json.loads(render_json(lab_card))
    figures = [row[strategy] for row in data["rows"] for strategy in ("mutable", "immutable")]
    assert len(figures) == 2 * len(lab_card.rows)
    assert all(f["unit"] and f["method"] and (f["value"] is not None or f["unmeasured"]) for f in figures)
    assert all(s["unit"] and s["method"] for s in data["series"])


def _with_figure(card: Scorecard, figure: Figure) -> Scorecard:
    return dataclasses.replace(card, rows=(dataclasses.replace(card.rows[0], immutable=figure), *card.rows[1:]))


@pytest.mark.parametrize(
    ("figure", "problem"),
    [
        (Figure(1.0, "", "wall clock"), "start.fresh_target immutable: no unit"),
        (Figure(1.0, "s", " "), "start.fresh_target immutable: no method"),
        (Figure(None, "s", "wall clock"), "start.fresh_target immutable: not measured, and no reason given"),
        (Figure(1.0, "s", "wall clock", unmeasured="x"), "start.fresh_target immutable: has a value and says"),
        (Figure(float("nan"), "s", "wall clock"), "start.fresh_target immutable: value nan is not a finite"),
    ],
)
def test_a_bare_figure_is_refused_with_where_it_is(lab_card: Scorecard, figure: Figure, problem: str) -> None:
    card = _with_figure(lab_card, figure)
    assert [p for p in figure_problems(card) if p.startswith(problem)]
    with pytest.raises(IncompleteScorecardError, match=problem.split(": ")[1][:10]):
        render_json(card)


def test_a_series_without_method_or_with_a_non_finite_point_is_refused(lab_card: Scorecard) -> None:
    bare = Series("x", "X", "s", {"mutable": (("vm1", float("inf")),)})
    card = dataclasses.replace(lab_card, series=(bare,))
    assert figure_problems(card) == ["series x: no method", "series x mutable vm1: value inf is not a finite number"]


def test_a_complete_card_has_no_problem(lab_card: Scorecard) -> None:
    assert figure_problems(lab_card) == []


def test_a_series_method_survives_the_round_trip_and_an_old_series_reads_with_none() -> None:
    series = Series("d", "D", "s", {"immutable": (("c1", 1.0),)}, method="wall clock")
    assert Series.from_json(json.loads(json.dumps(series.to_json()))) == series
    old = {key: value for key, value in series.to_json().items() if key != "method"}
    assert Series.from_json(old).method == ""
