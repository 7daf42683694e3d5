"""The scorecards the renderers are tested on: JSON files under cases/, as `Scorecard.to_json` writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deployctl.scorecard.model import Scorecard

CASES = Path(__file__).parent / "cases"


def load_card(name: str) -> Scorecard:
    """The scorecard of cases/<name>.json."""
    return Scorecard.from_json(json.loads((CASES / f"{name}.json").read_text()))


@pytest.fixture
def lab_card() -> Scorecard:
    """A realistic scorecard of the lab's webapp: every row of the issue, a figure not measured, two series."""
    return load_card("lab-webapp")
