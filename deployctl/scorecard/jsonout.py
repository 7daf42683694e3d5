"""The scorecard as JSON: `Scorecard.to_json`, refused when a figure lacks its unit or its method (pure)."""

from __future__ import annotations

import json
import math

from deployctl.scorecard.model import Figure, Scorecard


class IncompleteScorecardError(ValueError):
    """A figure without a unit or a method, or a value without a reason for its absence: a bug of the measuring."""


def _figure_problems(where: str, figure: Figure) -> list[str]:
    problems = []
    if not figure.unit.strip():
        problems.append(f"{where}: no unit")
    if not figure.method.strip():
        problems.append(f"{where}: no method")
    if figure.value is None and not figure.unmeasured.strip():
        problems.append(f"{where}: not measured, and no reason given")
    if figure.value is not None and figure.unmeasured.strip():
        problems.append(f"{where}: has a value and says it was not measured")
    if isinstance(figure.value, float) and not math.isfinite(figure.value):
        problems.append(f"{where}: value {figure.value} is not a finite number")
    return problems


def figure_problems(card: Scorecard) -> list[str]:
    """What makes the card's figures unreadable: each figure needs its unit and method, a value or a reason."""
    problems = []
    for row in card.rows:
        problems += _figure_problems(f"{row.key} mutable", row.mutable)
        problems += _figure_problems(f"{row.key} immutable", row.immutable)
    for series in card.series:
        if not series.unit.strip():
            problems.append(f"series {series.key}: no unit")
        if not series.method.strip():
            problems.append(f"series {series.key}: no method")
        for strategy, points in series.points.items():
            problems += [
                f"series {series.key} {strategy} {name}: value {value} is not a finite number"
                for name, value in points
                if not math.isfinite(value)
            ]
    return problems


def render_json(card: Scorecard) -> str:
    """The card as one JSON document (format `SCORECARD_FORMAT`); raises IncompleteScorecardError on a bare figure."""
    problems = figure_problems(card)
    if problems:
        raise IncompleteScorecardError("scorecard figures incomplete: " + "; ".join(problems))
    return json.dumps(card.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
