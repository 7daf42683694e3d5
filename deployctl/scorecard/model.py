"""The scorecard of `deployctl compare`: every figure with its unit and how it was measured."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Strategy = Literal["mutable", "immutable"]
ParityVerdict = Literal["identical", "differs by design", "differs by accident"]

SCORECARD_FORMAT = 1
"""The version of the JSON shape; a reader refuses a scorecard of another version."""


@dataclass(frozen=True)
class Figure:
    """One measured value, or why there is none (`value` None and `unmeasured` saying why)."""

    value: float | int | None
    unit: str
    method: str
    unmeasured: str = ""
    detail: tuple[str, ...] = ()
    """Items behind the figure, e.g. the residue a rollback left or the drift a scan found, one per line."""

    def to_json(self) -> dict[str, Any]:
        """The figure as JSON data."""
        return {
            "value": self.value,
            "unit": self.unit,
            "method": self.method,
            "unmeasured": self.unmeasured,
            "detail": list(self.detail),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figure:
        """The figure from `to_json`'s data."""
        return cls(
            value=data["value"],
            unit=str(data["unit"]),
            method=str(data["method"]),
            unmeasured=str(data.get("unmeasured", "")),
            detail=tuple(str(item) for item in data.get("detail", ())),
        )


@dataclass(frozen=True)
class ScoreRow:
    """One claim people repeat about the two strategies, and what each strategy measured for it."""

    key: str
    """Stable id of the row, e.g. `start.fresh_target`, `deploy.stage`, `load.failed_requests`."""
    claim: str
    """The claim as people repeat it, e.g. "containers start in milliseconds and VMs in minutes"."""
    measure: str
    """What is measured, e.g. "fresh target to converged / healthy"."""
    mutable: Figure
    immutable: Figure
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The row as JSON data."""
        return {
            "key": self.key,
            "claim": self.claim,
            "measure": self.measure,
            "mutable": self.mutable.to_json(),
            "immutable": self.immutable.to_json(),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScoreRow:
        """The row from `to_json`'s data."""
        return cls(
            key=str(data["key"]),
            claim=str(data["claim"]),
            measure=str(data["measure"]),
            mutable=Figure.from_json(data["mutable"]),
            immutable=Figure.from_json(data["immutable"]),
            note=str(data.get("note", "")),
        )


@dataclass(frozen=True)
class Series:
    """Per-target values of one measure for a chart, e.g. deploy seconds per host and per replica."""

    key: str
    title: str
    unit: str
    points: Mapping[Strategy, tuple[tuple[str, float], ...]] = field(default_factory=dict)
    """For each strategy, (target name, value) in order."""
    method: str = ""
    """How the per-target values were measured, as a Figure's method says it (the JSON requires one)."""

    def to_json(self) -> dict[str, Any]:
        """The series as JSON data."""
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "points": {strategy: [[name, value] for name, value in pts] for strategy, pts in self.points.items()},
            "method": self.method,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Series:
        """The series from `to_json`'s data."""
        points: dict[Strategy, tuple[tuple[str, float], ...]] = {}
        for strategy in ("mutable", "immutable"):
            if strategy in data.get("points", {}):
                points[strategy] = tuple((str(n), float(v)) for n, v in data["points"][strategy])
        return cls(
            key=str(data["key"]),
            title=str(data["title"]),
            unit=str(data["unit"]),
            points=points,
            method=str(data.get("method", "")),
        )


@dataclass(frozen=True)
class ParityRow:
    """One fact of the release as it runs in every stage, and whether the stages agree on it."""

    fact: str
    """What is compared, e.g. `package nginx version`, `/etc/webapp/app.conf sha256`, `image digest`."""
    strategy: Strategy
    values: Mapping[str, str]
    """Stage name -> the value seen there (a short, non-secret rendering)."""
    verdict: ParityVerdict
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        """The row as JSON data."""
        return {
            "fact": self.fact,
            "strategy": self.strategy,
            "values": dict(self.values),
            "verdict": self.verdict,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParityRow:
        """The row from `to_json`'s data."""
        verdict = str(data["verdict"])
        strategy = str(data["strategy"])
        if verdict not in ("identical", "differs by design", "differs by accident"):
            raise ValueError(f"parity verdict {verdict!r} is not one of identical, differs by design/accident")
        if strategy not in ("mutable", "immutable"):
            raise ValueError(f"parity strategy {strategy!r} is not mutable or immutable")
        return cls(
            fact=str(data["fact"]),
            strategy=strategy,  # type: ignore[arg-type]
            values={str(k): str(v) for k, v in data["values"].items()},
            verdict=verdict,  # type: ignore[arg-type]
            reason=str(data.get("reason", "")),
        )


@dataclass(frozen=True)
class Scorecard:
    """A whole `deployctl compare` run: the stage, the two releases, the rows, the charts' series, the parity."""

    stage: str
    from_release: str
    to_release: str
    started_at: str
    duration_s: float
    machine: str
    """Where it was measured (cores, memory, whether the lab's VMs are containers or real VMs)."""
    rows: tuple[ScoreRow, ...]
    series: tuple[Series, ...] = ()
    parity: tuple[ParityRow, ...] = ()

    def row(self, key: str) -> ScoreRow:
        """The row with this key."""
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(key)

    def to_json(self) -> dict[str, Any]:
        """The scorecard as JSON data."""
        return {
            "format": SCORECARD_FORMAT,
            "stage": self.stage,
            "from_release": self.from_release,
            "to_release": self.to_release,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "machine": self.machine,
            "rows": [row.to_json() for row in self.rows],
            "series": [series.to_json() for series in self.series],
            "parity": [row.to_json() for row in self.parity],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Scorecard:
        """The scorecard from `to_json`'s data; refuses another format's."""
        if data.get("format") != SCORECARD_FORMAT:
            raise ValueError(f"scorecard format {data.get('format')!r} is not {SCORECARD_FORMAT}")
        return cls(
            stage=str(data["stage"]),
            from_release=str(data["from_release"]),
            to_release=str(data["to_release"]),
            started_at=str(data["started_at"]),
            duration_s=float(data["duration_s"]),
            machine=str(data["machine"]),
            rows=tuple(ScoreRow.from_json(row) for row in data["rows"]),
            series=tuple(Series.from_json(series) for series in data.get("series", ())),
            parity=tuple(ParityRow.from_json(row) for row in data.get("parity", ())),
        )
