"""compare runs in the ledger: a scorecard stored as JSON comes back equal, per stage, oldest first."""

from __future__ import annotations

import json
from pathlib import Path

from deployctl.ledger.compare import compare_runs, save_compare_run
from deployctl.ledger.db import open_ledger
from deployctl.scorecard.model import Figure, Scorecard, ScoreRow


def card(stage: str, to_release: str, seconds: float) -> Scorecard:
    row = ScoreRow(
        "deploy.stage", "claim", "measure", Figure(seconds, "s", "wall time"), Figure(None, "s", "m", "none")
    )
    return Scorecard(stage, "aaa", to_release, "2026-12-07T21:00:00Z", 30.5, "2 cores", (row,))


def test_runs_are_kept_and_read_back_per_stage(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.db")
    try:
        for stage, release, seconds in (("qa", "bbb", 1.5), ("dev", "ccc", 2.0), ("qa", "ddd", 3.25)):
            scorecard = card(stage, release, seconds)
            text = json.dumps(scorecard.to_json())
            save_compare_run(ledger, stage, "aaa", release, scorecard.started_at, scorecard.duration_s, text)
        qa = compare_runs(ledger, "qa")
        assert [(r.stage, r.to_release) for r in qa] == [("qa", "bbb"), ("qa", "ddd")]
        assert Scorecard.from_json(json.loads(qa[1].scorecard)) == card("qa", "ddd", 3.25)
        assert len(compare_runs(ledger)) == 3 and qa[0].id < qa[1].id
    finally:
        ledger.close()
