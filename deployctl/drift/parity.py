"""The environment-parity matrix: the same facts across stages (config values, package versions, images)."""

from __future__ import annotations

from collections.abc import Sequence

from deployctl.drift.model import HostScan, ParityMatrix, ParityRow

KIND_ORDER = ("release", "image", "package", "config")


def _kind(fact: str) -> str:
    return fact.split(" ", 1)[0]


def parity_matrix(stages: Sequence[str], hosts: Sequence[HostScan]) -> ParityMatrix:
    """Per fact, the values each stage's hosts and containers have; rows that differ come first in each kind."""
    values: dict[str, dict[str, set[str]]] = {}
    for host in hosts:
        for fact, value in host.facts.items():
            values.setdefault(fact, {}).setdefault(host.stage, set()).add(value)
    rows = [
        ParityRow(fact, _kind(fact), {stage: tuple(sorted(per_stage.get(stage, ()))) for stage in stages})
        for fact, per_stage in values.items()
    ]
    order = {kind: index for index, kind in enumerate(KIND_ORDER)}
    rows.sort(key=lambda r: (order.get(r.kind, len(order)), not r.differs, r.fact))
    return ParityMatrix(tuple(stages), tuple(rows))
