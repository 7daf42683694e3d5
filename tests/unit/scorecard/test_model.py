"""The scorecard's JSON shape: every figure keeps its unit and method through a round trip."""

from __future__ import annotations

import json

import pytest

from deployctl.scorecard.model import Figure, ParityRow, Scorecard, ScoreRow, Series


def _scorecard() -> Scorecard:
    return Scorecard(
        stage="qa",
        from_release="r1",
        to_release="r2",
        started_at="2026-12-07T21:00:00+00:00",
        duration_s=12.5,
        machine="2 cores; lab VMs are containers",
        rows=(
            ScoreRow(
                key="backout",
                claim="backing out a container is stopping it",
                measure="time to the previous release",
                mutable=Figure(3.2, "s", "rollback command, wall clock", detail=("package htop",)),
                immutable=Figure(None, "s", "rollback command, wall clock", unmeasured="no replica"),
            ),
        ),
        series=(Series("deploy", "Deploy per target", "s", {"mutable": (("vm1", 1.5),), "immutable": ()}),),
        parity=(ParityRow("image digest", "immutable", {"qa": "sha256:1", "uat": "sha256:1"}, "identical"),),
    )


def test_a_scorecard_survives_a_json_round_trip() -> None:
    card = _scorecard()
    assert Scorecard.from_json(json.loads(json.dumps(card.to_json()))) == card


def test_a_row_is_found_by_its_key_and_an_unknown_key_is_an_error() -> None:
    card = _scorecard()
    assert card.row("backout").mutable.detail == ("package htop",)
    with pytest.raises(KeyError):
        card.row("start")


def test_another_format_and_an_unknown_verdict_are_refused() -> None:
    data = _scorecard().to_json()
    with pytest.raises(ValueError, match="format"):
        Scorecard.from_json({**data, "format": 99})
    data["parity"][0]["verdict"] = "same-ish"
    with pytest.raises(ValueError, match="verdict"):
        Scorecard.from_json(data)
